import { Outcome } from "./gen/quotahub_pb.js";
import { QuotaHubError } from "./errors.js";
import type { ProviderReading } from "./provider.js";
import { MAX_FIELD_BYTES, mask, scrub, truncateUtf8 } from "./internal/text.js";

/**
 * Permission from a hub to make one call to a provider, with the API key to use. Report how the
 * call went with exactly one of {@link Lease.complete}, {@link Lease.rateLimited},
 * {@link Lease.failed} or {@link Lease.authFailed}, or hand over what the provider said with
 * {@link Lease.settleWith}; {@link Lease.close} (or `await using`) without an outcome settles the
 * lease as UNKNOWN with its estimate (counted as used, neither a success nor a failure of the key).
 *
 * A settle goes to the hub that granted the lease first, then to any hub through the queue group,
 * retried with the same request id until the client's settle timeout. Every settle and heartbeat
 * presents the grant's lease secret, which the lease keeps to itself (never exposed, logged or put
 * in a message); a hub that does not accept it answers FORBIDDEN, which is not retried.
 */
export interface Lease {
  /** The hub's id of this lease. */
  readonly leaseId: string;
  /** The pool the lease was granted from (a fallback pool when the pool asked for had no room). */
  readonly pool: string;
  /** The pool the acquire asked for: {@link pool} unless a fallback pool granted the lease. */
  readonly requestedPool: string;
  /** Id of the key to use (safe to log, unlike {@link apiKey}). */
  readonly keyId: string;
  /** The secret API key to call the provider with. Never log it. */
  readonly apiKey: string;
  /** The token estimate reserved for this lease until it is settled. */
  readonly tokens: number;
  /** When the hub settles the lease by itself if the agent does not (the agent is presumed dead then). */
  readonly expiresAt: Date;
  /** Id of the hub that granted the lease, e.g. `main`. */
  readonly hubId: string;
  /** Whether an outcome was already reported (or the lease was closed). */
  readonly settled: boolean;

  /**
   * Reports a successful call that used `tokensUsed` tokens; resolves once a hub confirmed it.
   * @throws RangeError if `tokensUsed` is not an integer >= 0
   * @throws QuotaHubError `ALREADY_SETTLED`; a hub's code (`FORBIDDEN`, `BAD_REQUEST`, `UNKNOWN_LEASE`); `CLOSED`
   * @throws HubUnavailableError if no hub confirmed it within the settle timeout (the hub then expires the lease)
   */
  complete(tokensUsed: number): Promise<void>;
  /**
   * Reports that the provider answered "rate limited" (HTTP 429): the key cools down. 0 tokens used.
   * @param retryAfterMs the provider's Retry-After in ms, 0 (default) if it gave none
   */
  rateLimited(retryAfterMs?: number): Promise<void>;
  /**
   * Reports that the call failed (timeout, 5xx…): feeds the key's circuit breaker; the estimate
   * counts as used. At most 128 UTF-8 bytes of `reason` are sent; this lease's key is masked in it.
   */
  failed(reason: string): Promise<void>;
  /** Reports that the provider rejected the key itself (HTTP 401/403): the hub disables the key. */
  authFailed(): Promise<void>;
  /**
   * Reports what the provider said, as an adapter read it: OK with the provider's token count (the
   * estimate when it gave none), RATE_LIMITED with its retry-after, AUTH_FAILED, or ERROR (the
   * estimate counts as used); the limits and quota id it described go to the hub with the outcome.
   * @param options.callDurationMs how long the provider call took (sent to the hub)
   * @param options.detail with ERROR: a short reason (default `provider error`); the key is masked in it
   * @throws TypeError if `reading` is not a reading; else as {@link complete}
   */
  settleWith(reading: ProviderReading, options?: { callDurationMs?: number; detail?: string }): Promise<void>;
  /**
   * Settles as UNKNOWN with the estimate if no outcome was reported (the call may or may not have
   * reached the provider: counted as used, neither a success nor a failure of the key); never
   * rejects (a failure is logged).
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What the provider said and how long the call took, sent with the outcome. */
export interface SettleExtras {
  reading?: ProviderReading;
  callDurationMs?: number;
}

/** What a lease needs from its client. */
export interface LeaseSettler {
  settle(lease: LeaseImpl, outcome: Outcome, tokensUsed: number, retryAfterMs: number, detail: string,
    extras?: SettleExtras): Promise<void>;
  warn(message: string): void;
}

export interface Grant {
  leaseId: string;
  pool: string;
  requestedPool?: string;
  keyId: string;
  apiKey: string;
  secret: string;
  tokens: number;
  expiresAt: Date;
  hubId: string;
}

/** A granted lease; settles once through its client. */
export class LeaseImpl implements Lease {
  readonly leaseId: string;
  readonly pool: string;
  readonly requestedPool: string;
  readonly keyId: string;
  readonly tokens: number;
  readonly expiresAt: Date;
  readonly hubId: string;
  readonly #apiKey: string;
  readonly #secret: string;
  readonly #settler: LeaseSettler;
  #settled = false;

  constructor(settler: LeaseSettler, g: Grant) {
    this.#settler = settler;
    this.leaseId = g.leaseId;
    this.pool = g.pool;
    this.requestedPool = g.requestedPool || g.pool;
    this.keyId = g.keyId;
    this.#apiKey = g.apiKey;
    this.#secret = g.secret;
    this.tokens = g.tokens;
    this.expiresAt = g.expiresAt;
    this.hubId = g.hubId;
  }

  get apiKey(): string {
    return this.#apiKey;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** The grant's lease secret: for settles and heartbeats only. */
  secret(): string {
    return this.#secret;
  }

  /** `text` with this lease's API key masked and its secret removed. */
  scrub(text: string): string {
    return scrub(text, this.#apiKey, this.#secret);
  }

  async complete(tokensUsed: number): Promise<void> {
    if (!Number.isSafeInteger(tokensUsed) || tokensUsed < 0) {
      throw new RangeError(`tokensUsed must be an integer >= 0, was ${tokensUsed}`);
    }
    return this.settle(Outcome.OK, tokensUsed, 0, "");
  }

  async rateLimited(retryAfterMs = 0): Promise<void> {
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      throw new RangeError(`retryAfterMs must be zero or positive, was ${retryAfterMs}`);
    }
    return this.settle(Outcome.RATE_LIMITED, 0, Math.round(retryAfterMs), "");
  }

  async failed(reason: string): Promise<void> {
    if (typeof reason !== "string") throw new TypeError("reason must be a string");
    // scrub before cutting: a key cut in half would no longer match and would go out in part
    return this.settle(Outcome.ERROR, this.tokens, 0, truncateUtf8(this.scrub(reason), MAX_FIELD_BYTES));
  }

  async authFailed(): Promise<void> {
    return this.settle(Outcome.AUTH_FAILED, 0, 0, "");
  }

  async settleWith(reading: ProviderReading, options: { callDurationMs?: number; detail?: string } = {}): Promise<void> {
    if (reading === null || typeof reading !== "object" || !Array.isArray(reading.limits)) {
      throw new TypeError("reading must be a ProviderReading (an adapter's read of the provider's answer)");
    }
    const duration = options.callDurationMs;
    if (duration !== undefined && (!Number.isFinite(duration) || duration < 0)) {
      throw new RangeError(`callDurationMs must be zero or positive, was ${duration}`);
    }
    const extras: SettleExtras = { reading, callDurationMs: duration };
    switch (reading.outcome) {
      case "OK": {
        const used = reading.tokensUsed;
        return this.settle(Outcome.OK, used !== undefined && Number.isSafeInteger(used) && used >= 0 ? used : this.tokens, 0, "", extras);
      }
      case "RATE_LIMITED": {
        const wait = reading.retryAfterMs;
        return this.settle(Outcome.RATE_LIMITED, 0, wait !== undefined && Number.isFinite(wait) && wait > 0 ? Math.round(wait) : 0, "", extras);
      }
      case "AUTH_FAILED":
        return this.settle(Outcome.AUTH_FAILED, 0, 0, "", extras);
      case "ERROR": {
        const detail = options.detail ?? (reading.transient ? "provider error (transient)" : "provider error");
        return this.settle(Outcome.ERROR, this.tokens, 0, truncateUtf8(this.scrub(String(detail)), MAX_FIELD_BYTES), extras);
      }
      default:
        throw new TypeError(`reading.outcome must be OK, RATE_LIMITED, AUTH_FAILED or ERROR, was ${String(reading.outcome)}`);
    }
  }

  async close(): Promise<void> {
    await this.settleOnClose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Claims the lease and settles it as UNKNOWN with its estimate, logging a failure; null if already
   * settled. Not OK: nobody said the call succeeded, and a failure must not count as a success.
   */
  settleOnClose(): Promise<void> | null {
    if (this.#settled) return null;
    this.#settled = true;
    return this.#settler.settle(this, Outcome.UNKNOWN, this.tokens, 0, "").catch((e: unknown) => {
      this.#settler.warn(`lease ${this.leaseId} of pool '${this.pool}' (key ${this.keyId}) could not be settled on close;`
        + ` the hub will expire it: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /** Gives an unused lease back (its acquire was abandoned): OK with 0 tokens, fire and forget. */
  release(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settler.settle(this, Outcome.OK, 0, 0, "unused").catch(() => undefined);
  }

  private settle(outcome: Outcome, tokensUsed: number, retryAfterMs: number, detail: string, extras?: SettleExtras): Promise<void> {
    if (this.#settled) {
      return Promise.reject(new QuotaHubError(QuotaHubError.ALREADY_SETTLED, `lease ${this.leaseId} is already settled`));
    }
    this.#settled = true;
    return this.#settler.settle(this, outcome, tokensUsed, retryAfterMs, detail, extras);
  }

  toString(): string {
    return `Lease[id=${this.leaseId}, pool=${this.pool}, key=${this.keyId}, apiKey=${mask(this.#apiKey)}, tokens=${this.tokens},`
      + ` hub=${this.hubId}, expiresAt=${this.expiresAt.toISOString()}, settled=${this.#settled}]`;
  }

  toJSON(): object {
    return { leaseId: this.leaseId, pool: this.pool, keyId: this.keyId, apiKey: mask(this.#apiKey), tokens: this.tokens,
      hubId: this.hubId, expiresAt: this.expiresAt.toISOString(), settled: this.#settled };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
