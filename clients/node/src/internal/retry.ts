/**
 * Every wait before a retry, spread so that clients told "not now" at the same instant do not come
 * back at the same instant (as the Java SDK's RetryPolicy and Jitter). All times in milliseconds.
 */

/** Between two rounds of routes that all failed. */
export const ROUND_BACKOFF_MS = 200;
/** Between the first rounds of an acquire (the minimum sends are not made yet). */
export const MIN_ROUND_BACKOFF_MS = 50;
/** After a retryable error answer of a hub (UNAVAILABLE, FENCED, DEADLINE_EXCEEDED). */
export const ERROR_BACKOFF_MS = 100;
/** The shortest wait after a refusal, whatever its retry-after says. */
export const MIN_REFUSAL_WAIT_MS = 50;
/**
 * The longest wait after every hub refused for want of budget. Such a refusal's retry-after is when
 * the window frees, but budgets move sooner: the hubs rebalance every second, and a hub takes its
 * dead peer's budget over within seconds.
 */
export const BUDGET_RECHECK_MS = 500;
/** Between attempts to connect to a server that was down at start. */
export const RECONNECT_WAIT_MS = 250;

/** A source of uniform draws in [0, 1). */
export type Uniform = () => number;

export class RetryPolicy {
  constructor(private readonly uniform: Uniform = Math.random) {}

  private draw(): number {
    const u = this.uniform();
    return u >= 0 && u < 1 ? u : 0; // an out-of-range draw must not shorten a wait
  }

  /** Uniform in [base, 1.5 x base). */
  atLeast(baseMs: number): number {
    const b = Math.max(0, baseMs);
    return b + this.draw() * (b / 2);
  }

  /** Uniform in [0.5 x base, 1.5 x base). */
  around(baseMs: number): number {
    const b = Math.max(0, baseMs);
    return b / 2 + this.draw() * b;
  }

  /** After a round in which every route failed; `early`: fewer sends than the minimum were made. */
  afterRound(early: boolean, remainingMs: number): number {
    return early ? this.atLeast(MIN_ROUND_BACKOFF_MS) : capped(this.atLeast(ROUND_BACKOFF_MS), remainingMs);
  }

  /** After a retryable error answer of a hub. */
  afterError(remainingMs: number): number {
    return capped(this.atLeast(ERROR_BACKOFF_MS), remainingMs);
  }

  /**
   * After a refusal: never earlier than the hub's retry-after, from [retryAfter, 1.5 x retryAfter);
   * after OVERLOADED (a backlog estimate, not a limit's reset) from [0.5, 1.5) x retryAfter.
   */
  afterRefusal(retryAfterMs: number, overloaded: boolean, remainingMs: number): number {
    const retryAfter = Math.max(Math.max(0, retryAfterMs), MIN_REFUSAL_WAIT_MS);
    const wait = overloaded ? this.around(retryAfter) : this.atLeast(retryAfter);
    return Math.min(wait, remainingMs);
  }

  /** After every hub asked refused BUDGET_EXHAUSTED: as a refusal, but at most BUDGET_RECHECK_MS. */
  afterBudgetRefusal(retryAfterMs: number, remainingMs: number): number {
    const retryAfter = Math.max(Math.max(0, retryAfterMs), MIN_REFUSAL_WAIT_MS);
    return Math.min(this.atLeast(Math.min(retryAfter, BUDGET_RECHECK_MS)), remainingMs);
  }

  reconnect(): number {
    return this.atLeast(RECONNECT_WAIT_MS);
  }
}

function capped(wait: number, remaining: number): number {
  return Math.max(0, Math.min(wait, remaining));
}
