/**
 * Every error the SDK reports carries a stable `code` that programs may switch on (the message is
 * for humans and may change). Messages never contain an API key or a lease secret.
 *
 * Codes: the hubs' error codes (`BAD_REQUEST`, `FORBIDDEN`, `UNKNOWN_POOL`, `NO_USABLE_KEY`,
 * `UNKNOWN_LEASE`, `UNAVAILABLE`, `FENCED`, `DEADLINE_EXCEEDED`, `INTERNAL`), the refusal codes of
 * {@link QuotaExhaustedError} (`QUOTA_EXHAUSTED`, `OVERLOADED`, …), `HUB_UNAVAILABLE`
 * ({@link HubUnavailableError}), and the SDK's own `CLOSED` (the client is closed) and
 * `ALREADY_SETTLED` (a second outcome for one lease).
 */
export class QuotaHubError extends Error {
  /** The client is closed: no acquire or settle goes out any more. */
  static readonly CLOSED = "CLOSED";
  /** An outcome was reported for a lease that was already settled. */
  static readonly ALREADY_SETTLED = "ALREADY_SETTLED";

  /** The stable code of this error. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "QuotaHubError";
    this.code = code;
  }
}

/**
 * No hub answered in time: every route (the hubs' queue group and each known hub's direct subject)
 * timed out, had no responders, or answered that it cannot serve now, until the caller's deadline
 * passed. Also thrown by `QuotaClient.connect` when no NATS server of the list can be reached, and
 * by a settle that no hub confirmed within the settle timeout.
 */
export class HubUnavailableError extends QuotaHubError {
  /** The `code` of every HubUnavailableError. */
  static readonly CODE = "HUB_UNAVAILABLE";

  constructor(message: string, options?: ErrorOptions) {
    super(HubUnavailableError.CODE, message, options);
    this.name = "HubUnavailableError";
  }
}

/** What a hub said when it refused a lease. */
export interface Refusal {
  /** Stable refusal code, e.g. `QUOTA_EXHAUSTED`, `CONCURRENCY`, `OVERLOADED`. */
  code: string;
  /** The hub's human-readable reason (which limit of which key or pool). */
  reason: string;
  /** How long to wait before asking again, 0 if the hub gave no hint. */
  retryAfterMs: number;
  /** The pool that refused. */
  pool: string;
  /** The key whose limit refused, empty when the pool as a whole refused. */
  keyId: string;
  /** The limit that refused, e.g. `requests 60/PT1M`, may be empty. */
  limit: string;
  /**
   * With fallback pools: every pool asked, in order (the pool asked for first), each with its own
   * refusal; the fields above are then those of the pool that frees up first. Empty for one pool.
   */
  tried?: Refusal[];
}

/**
 * The hub refused a lease and the caller's `maxWaitMs` ran out before room was made: carries the
 * refusal's code, reason, the limit, and when a retry may succeed.
 */
export class QuotaExhaustedError extends QuotaHubError implements Refusal {
  readonly reason: string;
  readonly retryAfterMs: number;
  readonly pool: string;
  readonly keyId: string;
  readonly limit: string;
  /** Every pool asked when the pool has fallback pools, in order; empty when only it was asked. */
  readonly tried: Refusal[];

  constructor(refusal: Refusal) {
    super(refusal.code, QuotaExhaustedError.describe(refusal));
    this.name = "QuotaExhaustedError";
    this.reason = refusal.reason;
    this.retryAfterMs = refusal.retryAfterMs;
    this.pool = refusal.pool;
    this.keyId = refusal.keyId;
    this.limit = refusal.limit;
    this.tried = refusal.tried ?? [];
  }

  private static describe(r: Refusal): string {
    let s = `pool '${r.pool}' refused (${r.code})`;
    if (r.reason) s += `: ${r.reason}`;
    if (r.keyId) s += ` [key ${r.keyId}]`;
    if (r.limit) s += ` [limit ${r.limit}]`;
    s += `; retry after ${r.retryAfterMs} ms`;
    if (r.tried && r.tried.length > 0) s += `; pools tried: ${r.tried.map((t) => `${t.pool} (${t.code})`).join(" ")}`;
    return s;
  }
}
