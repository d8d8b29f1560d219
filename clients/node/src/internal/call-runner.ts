import type { ProviderAdapter, ProviderAnswer, ProviderReading } from "../provider.js";

/** Retries of a provider call: off unless asked for. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 4 (waits of about 1, 2, 4, 8 s). */
  maxRetries?: number;
  /** The first backoff; each next one doubles. Default 1000 ms. */
  baseDelayMs?: number;
  /** The longest backoff. Default 8000 ms. */
  maxDelayMs?: number;
  /** A 429 whose retry-after is longer than this is not retried (a daily quota will not free in time). Default 10 000 ms. */
  maxRetryAfterMs?: number;
}

export interface RetrySettings {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

export const NO_RETRIES: RetrySettings = Object.freeze({ maxRetries: 0, baseDelayMs: 1_000, maxDelayMs: 8_000, maxRetryAfterMs: 10_000 });

/** Checks retry options (`true`: the defaults; `false`/absent: none), naming a bad field. */
export function retrySettings(retries: RetryOptions | boolean | undefined): RetrySettings {
  if (retries === undefined || retries === false) return NO_RETRIES;
  const o = retries === true ? {} : retries;
  if (o === null || typeof o !== "object") throw new TypeError("retries must be true, false or { maxRetries, baseDelayMs, maxDelayMs, maxRetryAfterMs }");
  const whole = (v: number | undefined, fallback: number, field: string, min: number) => {
    if (v === undefined) return fallback;
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`retries.${field} must be an integer >= ${min}, was ${v}`);
    return v;
  };
  const s = {
    maxRetries: whole(o.maxRetries, 4, "maxRetries", 0),
    baseDelayMs: whole(o.baseDelayMs, 1_000, "baseDelayMs", 1),
    maxDelayMs: whole(o.maxDelayMs, 8_000, "maxDelayMs", 1),
    maxRetryAfterMs: whole(o.maxRetryAfterMs, 10_000, "maxRetryAfterMs", 0),
  };
  if (s.maxDelayMs < s.baseDelayMs) throw new RangeError(`retries.maxDelayMs (${s.maxDelayMs}) must be >= baseDelayMs (${s.baseDelayMs})`);
  return Object.freeze(s);
}

/** The backoff before retry `n` (1, 2, …): base × 2^(n−1), capped, spread over [0.5, 1.5) of it. */
export function backoffMs(n: number, s: RetrySettings, uniform: number): number {
  const base = Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** Math.min(n - 1, 30));
  const u = uniform >= 0 && uniform < 1 ? uniform : 0.5;
  return Math.round(base * (0.5 + u));
}

/** Whether a retry may succeed: a 429 that asked for a short enough wait (or none), a 5xx, an overload. */
export function retryableReading(r: ProviderReading, s: RetrySettings): boolean {
  if (r.outcome === "RATE_LIMITED") return (r.retryAfterMs ?? 0) <= s.maxRetryAfterMs;
  return r.outcome === "ERROR" && r.transient === true;
}

const NETWORK_NAMES = new Set(["TimeoutError", "APIConnectionError", "APIConnectionTimeoutError", "ConnectTimeoutError",
  "HeadersTimeoutError", "BodyTimeoutError", "SocketError", "FetchError"]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH",
  "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CLOSED"]);

/** A timeout or network failure (fetch's `fetch failed`, a socket error, a provider SDK's connection error). */
export function isNetworkError(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x !== null && typeof x === "object" && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const { name, code, message } = x as { name?: unknown; code?: unknown; message?: unknown };
    if (typeof name === "string" && NETWORK_NAMES.has(name)) return true;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
    if (x instanceof TypeError && message === "fetch failed") return true;
  }
  return false;
}

/** The safe name of an error for a failure detail: its class or name, never its message. */
export function errorName(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== "Error" ? e.name : (e.constructor?.name || "Error");
  return typeof e;
}

/**
 * The provider's answer carried by an error a provider SDK threw (OpenAI's and Anthropic's
 * `APIError`: `status`, `headers`, the parsed `error`), or null when the error carries none.
 */
export function answerOfError(e: unknown): ProviderAnswer | null {
  if (e === null || typeof e !== "object") return null;
  const { status, headers, error } = e as { status?: unknown; headers?: unknown; error?: unknown };
  if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) return null;
  const h = headers !== null && typeof headers === "object" ? headers as ProviderAnswer["headers"] : undefined;
  let body: string | undefined;
  if (error !== null && typeof error === "object") {
    // OpenAI's SDK keeps the body's `error` member, Anthropic's the whole body: give the adapter the body's shape
    body = JSON.stringify("error" in error ? error : { error });
  }
  return { status, headers: h, body };
}

/** A result that is, or holds, a fetch `Response` (OpenAI's and Anthropic's `.withResponse()`: `{ data, response }`). */
export function answerOfResult(result: unknown): ProviderAnswer | Response | null {
  if (isResponse(result)) return result;
  if (result !== null && typeof result === "object" && isResponse((result as { response?: unknown }).response)) {
    const { response, data } = result as { response: Response; data?: unknown };
    if (data !== null && typeof data === "object") {
      // the SDK consumed the body: its parsed data holds the usage
      return { status: response.status, headers: response.headers, body: JSON.stringify(data) };
    }
    return response;
  }
  return null;
}

/** The adapter's reading of an answer, with its status (for a failure's detail). */
export interface Read {
  reading: ProviderReading;
  status: number;
}

async function readWith(adapter: ProviderAdapter, answer: ProviderAnswer | Response, receivedAtMs: number): Promise<Read> {
  if (isResponse(answer)) return { reading: await adapter.readResponse(answer, receivedAtMs), status: answer.status };
  return { reading: adapter.read({ receivedAtMs, ...answer }), status: answer.status };
}

function isResponse(x: unknown): x is Response {
  if (typeof Response !== "undefined" && x instanceof Response) return true;
  return x !== null && typeof x === "object" && typeof (x as Response).status === "number"
    && typeof (x as Response).headers?.get === "function" && typeof (x as Response).clone === "function";
}

/** What the runner needs of a lease. */
export interface CallLease {
  settleWith(reading: ProviderReading, options: { callDurationMs?: number; detail?: string }): Promise<void>;
}

/** What the runner needs of its client: leases, clocks, a sleep and randomness (all injectable for tests). */
export interface CallDeps<L extends CallLease> {
  /** A lease, waiting at most `maxWaitMs`. */
  acquire(maxWaitMs: number): Promise<L>;
  /** Monotonic ms: durations, deadlines. */
  now(): number;
  /** Epoch ms: when an answer arrived (absolute resets are read from it). */
  wallClock(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
  /** A settle that failed (the provider's result still goes to the caller; the hub expires the lease). */
  settleFailed(e: unknown): void;
}

export interface CallPlan<T> {
  adapter: ProviderAdapter;
  /** Where the provider's answer is in the body's result; default: a fetch `Response`, or `{ response }`. */
  answer?: (result: T) => ProviderAnswer | Response | null | undefined | Promise<ProviderAnswer | Response | null | undefined>;
  maxWaitMs: number;
  /** The whole call (retries included) ends within this many ms; Infinity for no bound but the retries. */
  deadlineMs: number;
  retries: RetrySettings;
}

/**
 * Runs a provider call on a lease: acquires, calls, reads the answer with the adapter, settles with
 * what the provider said and how long the call took, and retries transient failures on a fresh
 * lease after a backoff, within the deadline. Returns the last attempt's result; rethrows the last
 * attempt's error.
 */
export async function runCall<T, L extends CallLease>(deps: CallDeps<L>, plan: CallPlan<T>, body: (lease: L) => Promise<T>): Promise<T> {
  const deadline = deps.now() + plan.deadlineMs;
  let last: { result: T } | { error: unknown } | null = null;
  for (let retry = 0; ; retry++) {
    let lease: L;
    try {
      lease = await deps.acquire(Math.max(0, Math.min(plan.maxWaitMs, deadline - deps.now())));
    } catch (e) {
      // no lease for a retry: the caller gets the provider's last word, not the hub's refusal
      if (last === null) throw e;
      if ("error" in last) throw last.error;
      return last.result;
    }
    const started = deps.now();
    let result: T;
    let read: Read | null;
    let failure: { error: unknown } | null = null;
    try {
      result = await body(lease);
      const answer = plan.answer === undefined ? answerOfResult(result) : await plan.answer(result);
      read = answer === null || answer === undefined ? null : await readWith(plan.adapter, answer, deps.wallClock());
    } catch (e) {
      failure = { error: e };
      result = undefined as T;
      const answer = answerOfError(e);
      // an error whose answer cannot be read is just an error: the lease must be settled either way
      read = answer === null ? null : await readWith(plan.adapter, answer, deps.wallClock()).catch(() => null);
    }
    const callDurationMs = deps.now() - started;
    let retryable: boolean;
    let settled: Promise<void>;
    if (read !== null) {
      // a provider's error is named by its status only: its message may echo part of the key
      const detail = read.reading.outcome === "ERROR" ? `http ${read.status}` : undefined;
      settled = lease.settleWith(read.reading, { callDurationMs, detail });
      retryable = retryableReading(read.reading, plan.retries);
    } else if (failure !== null) {
      const network = isNetworkError(failure.error);
      settled = lease.settleWith({ outcome: "ERROR", transient: network, limits: [] }, { callDurationMs, detail: errorName(failure.error) });
      retryable = network;
    } else {
      // the body returned something that is no HTTP answer: the call went through, its tokens unknown
      settled = lease.settleWith({ outcome: "OK", limits: [] }, { callDurationMs });
      retryable = false;
    }
    await settled.catch((e: unknown) => deps.settleFailed(e));
    if (retryable && retry < plan.retries.maxRetries) {
      const wait = backoffMs(retry + 1, plan.retries, deps.random());
      if (deps.now() + wait < deadline) {
        if (last !== null && "result" in last) discard(last.result);
        last = failure !== null ? failure : { result };
        await deps.sleep(wait);
        continue;
      }
    }
    if (last !== null && "result" in last) discard(last.result);
    if (failure !== null) throw failure.error;
    return result;
  }
}

/** Frees the connection of a fetch answer nobody will read (one retried away). */
function discard(result: unknown): void {
  const response = isResponse(result) ? result
    : result !== null && typeof result === "object" && isResponse((result as { response?: unknown }).response)
      ? (result as { response: Response }).response : null;
  if (response === null || response.body === null || response.bodyUsed) return;
  response.body.cancel().catch(() => undefined);
}
