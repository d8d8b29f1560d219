import { setTimeout as sleep } from "node:timers/promises";
import { HubUnavailableError, QuotaExhaustedError, QuotaHubError } from "./errors.js";
import type { Lease } from "./lease.js";
import { generic, PROVIDERS, type ProviderAdapter, type ProviderAnswer } from "./provider.js";
import { retrySettings, runCall, type RetryOptions } from "./internal/call-runner.js";
import { ClientCore, wirePriority, type PriorityName } from "./internal/core.js";
import { DEFAULT_LOGGER, type Logger } from "./internal/logger.js";
import { resolveSecurity } from "./internal/security.js";
import { checkField } from "./internal/text.js";

export type Priority = PriorityName;
export type { Logger };

/** How to reach the hubs and who this agent is. */
export interface ConnectOptions {
  /**
   * NATS servers, the local one first. The client keeps a connection to each (at least one must
   * answer at connect; the others are connected in the background) and sends on the first one that
   * is up. Default `["nats://127.0.0.1:4222"]`.
   */
  servers?: string[];
  /** Id of this agent, sent with every request and heartbeat: non-blank, at most 128 UTF-8 bytes. */
  agentId: string;
  /** A file holding one line `user:password` (keep it mode 0600); replies then come under `_QH.agent.<user>`. */
  userPasswordFile?: string;
  /** NATS user (with `pass`), instead of a file; replies then come under `_QH.agent.<user>`. */
  user?: string;
  pass?: string;
  /** A `.creds` file (user JWT + nkey seed) or a file holding a user nkey seed (`SU…`). */
  credentialsFile?: string;
  /** Prefix of the reply subjects; default `_QH.agent.<user>` with a user, else the NATS client's `_INBOX`. */
  inboxPrefix?: string;
  /** TLS files for every connection (PEM). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Priority of the calls without one. Default `NORMAL`. */
  defaultPriority?: Priority;
  /** Timeout of one request attempt on one route; then the other route is tried. Default 750 ms. */
  requestTimeoutMs?: number;
  /** Heartbeat period. Default 2000 ms. */
  heartbeatIntervalMs?: number;
  /** How long a settle is retried before it fails. Default 5000 ms. */
  settleTimeoutMs?: number;
  /** Name of the NATS connections (shown by the server's monitoring). Default `qh-agent-<agentId>`. */
  connectionName?: string;
  /** Where the SDK logs; default: warnings to `console.warn`. */
  logger?: Logger;
  /**
   * The provider behind each pool, for {@link QuotaClient.call} without a `provider`: an adapter or
   * its name (`openai`, `anthropic`, `gemini`, `generic`), e.g. `{ "gemini-pro": gemini }`.
   * A pool not listed reads as `generic` (statuses and Retry-After).
   */
  providers?: Record<string, ProviderAdapter | string>;
}

/** One acquire. */
export interface AcquireOptions {
  /** Estimated tokens of the call, an integer > 0; reserved until the lease is settled. */
  tokens: number;
  /** How long to wait for room, 0 (default) for a single attempt (still failing over between hubs). */
  maxWaitMs?: number;
  /** Priority of the request; default the client's `defaultPriority`. */
  priority?: Priority;
  /**
   * Whether a fallback pool may serve the acquire when the pool has no room within `maxWaitMs`
   * (default true; `lease.pool` then names the fallback). false: only `pool` itself.
   */
  fallback?: boolean;
  /** Abandons the acquire: the promise rejects with the signal's reason; a lease granted afterwards is given back. */
  signal?: AbortSignal;
}

/** One provider call on a lease: {@link QuotaClient.call}. */
export interface CallOptions<T> extends AcquireOptions {
  /** Reads the provider's answer; default the adapter given for the pool at connect, else `generic`. */
  provider?: ProviderAdapter;
  /**
   * Where the provider's answer is in what the call returned, when it is not a fetch `Response` or
   * `{ data, response }` (OpenAI's and Anthropic's `.withResponse()`): status, headers and body
   * text from any HTTP client. Returning null settles the call as OK with the estimate.
   */
  answer?: (result: T) => ProviderAnswer | Response | null | undefined | Promise<ProviderAnswer | Response | null | undefined>;
  /**
   * Retries of transient failures (a 429 asking for at most `maxRetryAfterMs`, 5xx, timeouts and
   * network errors), each on a fresh lease after 1, 2, 4, 8 s (jittered). Off by default; `true`
   * for the defaults. Turn the provider SDK's own retries off (`maxRetries: 0`): they would call
   * again on the same lease, unseen by the hub.
   */
  retries?: RetryOptions | boolean;
  /** The whole call, retries included, ends within this many ms: no retry starts past it. Default: no bound but the retries. */
  deadlineMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 750;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
export const DEFAULT_SETTLE_TIMEOUT_MS = 5_000;

/**
 * The agent's handle on QuotaHub: asks the hubs for {@link Lease leases} over NATS, fails over
 * between hubs, and heartbeats the leases it holds. Make one per process.
 *
 * Routing: an acquire goes to the hubs' queue group through the local server (NATS prefers the hub
 * beside it). If it times out or has no responders, the same request (same request id: hubs never
 * grant a duplicate twice) goes to the direct subject of each other hub the client has heard
 * announce itself. A hub answering UNAVAILABLE or FENCED is skipped for a few seconds or until it
 * announces itself ready again; a BUDGET_EXHAUSTED refusal is taken to the other hub first.
 */
export class QuotaClient {
  readonly #core: ClientCore;
  readonly #defaultPriority: Priority;
  readonly #providers: ReadonlyMap<string, ProviderAdapter>;
  /** The agent id sent with every request and heartbeat. */
  readonly agentId: string;

  private constructor(core: ClientCore, agentId: string, defaultPriority: Priority, providers: ReadonlyMap<string, ProviderAdapter>) {
    this.#core = core;
    this.agentId = agentId;
    this.#defaultPriority = defaultPriority;
    this.#providers = providers;
  }

  /**
   * Connects to every server, subscribes to the hubs' announcements and starts heartbeats.
   * @throws TypeError / RangeError if an option is invalid (names the option; never holds a password)
   * @throws HubUnavailableError if no server of the list could be reached
   */
  static async connect(options: ConnectOptions): Promise<QuotaClient> {
    if (options === null || typeof options !== "object") throw new TypeError("options must be an object");
    const agentId = checkField(options.agentId, "agentId");
    const servers = options.servers ?? ["nats://127.0.0.1:4222"];
    if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== "string" || s.trim() === "")) {
      throw new TypeError("servers must list at least one NATS URL, none blank");
    }
    const defaultPriority = options.defaultPriority ?? "NORMAL";
    wirePriority(defaultPriority);
    const providers = providerMap(options.providers);
    const security = resolveSecurity(options);
    const core = await ClientCore.connect({
      servers: [...servers],
      agentId,
      connectionName: options.connectionName ?? `qh-agent-${agentId}`,
      security,
      requestTimeoutMs: positive(options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, "requestTimeoutMs"),
      heartbeatIntervalMs: positive(options.heartbeatIntervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS, "heartbeatIntervalMs"),
      settleTimeoutMs: positive(options.settleTimeoutMs, DEFAULT_SETTLE_TIMEOUT_MS, "settleTimeoutMs"),
      logger: options.logger ?? DEFAULT_LOGGER,
      now: () => performance.now(),
      wallClock: () => Date.now(),
      random: Math.random,
    });
    return new QuotaClient(core, agentId, defaultPriority, providers);
  }

  /**
   * Asks for a lease, waiting up to `maxWaitMs` for room: when a hub refuses, waits (at least the
   * hub's retry-after, spread up to 1.5 times it) and asks again with a new request id. Hub errors
   * UNAVAILABLE, FENCED and DEADLINE_EXCEEDED are retried within `maxWaitMs`; other hub errors
   * reject at once.
   *
   * @throws TypeError / RangeError for a blank or too long pool, tokens not an integer > 0, a negative maxWaitMs
   * @throws QuotaExhaustedError if the hubs still refused when `maxWaitMs` ran out (`code`, `retryAfterMs`, `reason`)
   * @throws HubUnavailableError if no hub answered within `maxWaitMs` (after at least two attempts)
   * @throws QuotaHubError a hub's rejection (`UNKNOWN_POOL`, `BAD_REQUEST`, …) or `CLOSED`
   */
  async acquire(pool: string, options: AcquireOptions): Promise<Lease> {
    const { tokens, maxWaitMs, priority, fallback } = this.#check(pool, options, options?.maxWaitMs ?? 0);
    return this.#core.acquire(pool, tokens, maxWaitMs, priority, options.signal, fallback);
  }

  /**
   * One attempt: resolves to null at once when the hub refuses (still fails over between hubs when
   * one does not answer). Use `acquire(pool, { tokens })` to learn why a refusal happened.
   * @throws the errors of {@link acquire} except QuotaExhaustedError
   */
  async tryAcquire(pool: string, options: Omit<AcquireOptions, "maxWaitMs">): Promise<Lease | null> {
    const { tokens, maxWaitMs, priority, fallback } = this.#check(pool, options, 0);
    try {
      return await this.#core.acquire(pool, tokens, maxWaitMs, priority, options.signal, fallback);
    } catch (e) {
      if (e instanceof QuotaExhaustedError) return null;
      throw e;
    }
  }

  /**
   * Makes one provider call on a lease and reports how it went, from what the provider said:
   * acquires a lease (waiting up to `maxWaitMs`), runs `fn(lease)`, reads the answer with the
   * pool's adapter, and settles: OK with the provider's token count (the estimate when it gave
   * none), RATE_LIMITED with its retry-after, AUTH_FAILED, or ERROR, each with the limits the
   * provider described and the call's measured duration. A function that throws settles ERROR with
   * the error's name only (never its message), and the error is rethrown; an error of a provider
   * SDK that carries the answer's status and headers (OpenAI's and Anthropic's `APIError`) is read
   * as that answer. With `retries`, transient failures are tried again on a fresh lease.
   *
   * ```ts
   * const res = await client.call("gemini-pro", { tokens: 1200, maxWaitMs: 5000, provider: gemini },
   *   (lease) => fetch(url, { method: "POST", headers: { "x-goog-api-key": lease.apiKey }, body }));
   * ```
   *
   * @returns what `fn` returned on its last attempt (a 429 `Response` too: check `res.ok`)
   * @throws what `fn` threw on its last attempt
   * @throws the errors of {@link acquire} when no first lease was granted
   * @throws TypeError / RangeError for bad options
   */
  async call<T>(pool: string, options: CallOptions<T>, fn: (lease: Lease) => Promise<T> | T): Promise<T> {
    const { tokens, maxWaitMs, priority, fallback } = this.#check(pool, options, options?.maxWaitMs ?? 0);
    if (typeof fn !== "function") throw new TypeError("fn must be a function of the lease that calls the provider");
    const adapter = options.provider ?? this.#providers.get(pool) ?? generic;
    if (adapter === null || typeof adapter !== "object" || typeof adapter.read !== "function") {
      throw new TypeError("provider must be a ProviderAdapter (openai, anthropic, gemini, generic, or one of your own)");
    }
    if (options.answer !== undefined && typeof options.answer !== "function") throw new TypeError("answer must be a function of the result");
    const deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
    if (typeof deadlineMs !== "number" || Number.isNaN(deadlineMs) || deadlineMs < 0) {
      throw new RangeError(`deadlineMs must be zero or positive, was ${deadlineMs}`);
    }
    const retries = retrySettings(options.retries);
    const core = this.#core;
    const signal = options.signal;
    return runCall({
      acquire: (wait) => core.acquire(pool, tokens, wait, priority, signal, fallback),
      now: () => core.settings.now(),
      wallClock: () => core.settings.wallClock(),
      random: () => core.settings.random(),
      sleep: (ms) => sleep(ms, undefined, { signal }).catch((e: unknown) => { throw signal?.reason ?? e; }),
      settleFailed: (e) => core.warn(`a call on pool '${pool}' could not be settled; the hub will expire its lease: `
        + `${e instanceof Error ? e.message : String(e)}`),
    }, { adapter, answer: options.answer, maxWaitMs, deadlineMs, retries }, async (lease) => fn(lease));
  }

  #check(pool: string, options: AcquireOptions, maxWaitMs: number) {
    checkField(pool, "pool");
    if (options === null || typeof options !== "object") throw new TypeError("options must be an object with tokens");
    if (!Number.isSafeInteger(options.tokens) || options.tokens < 1) {
      throw new RangeError(`tokens must be an integer > 0 (the call's estimated tokens), was ${options.tokens}`);
    }
    if (typeof maxWaitMs !== "number" || Number.isNaN(maxWaitMs) || maxWaitMs < 0) {
      throw new RangeError(`maxWaitMs must be zero or positive, was ${maxWaitMs}`);
    }
    if (options.fallback !== undefined && typeof options.fallback !== "boolean") {
      throw new TypeError(`fallback must be true or false, was ${String(options.fallback)}`);
    }
    return { tokens: options.tokens, maxWaitMs, priority: wirePriority(options.priority ?? this.#defaultPriority),
      fallback: options.fallback !== false };
  }

  /** Ids of the hubs heard from so far (announcements and replies). */
  knownHubs(): string[] {
    return this.#core.router.knownHubs();
  }

  /** Ids of the leases held now (what the next heartbeat lists). */
  openLeaseIds(): string[] {
    return this.#core.openLeaseIds();
  }

  /**
   * Closes the client. Pending acquires reject with QuotaHubError `CLOSED`. Leases still open are
   * not dropped silently: each is settled with its estimate (outcome UNKNOWN, tokens = lease.tokens),
   * as `lease.close()` would, and named in a warning on the logger; a settle that fails within the
   * settle timeout is logged and the hub expires that lease. Then heartbeats stop and the
   * connections close. Idempotent; never rejects.
   */
  async close(): Promise<void> {
    await this.#core.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  toString(): string {
    return `QuotaClient[agent=${this.agentId}, hubs=${this.knownHubs().join(",")}, openLeases=${this.openLeaseIds().length}]`;
  }
}

function providerMap(providers: Record<string, ProviderAdapter | string> | undefined): ReadonlyMap<string, ProviderAdapter> {
  const map = new Map<string, ProviderAdapter>();
  if (providers === undefined) return map;
  if (providers === null || typeof providers !== "object") throw new TypeError("providers must map pools to adapters");
  for (const [pool, p] of Object.entries(providers)) {
    const adapter = typeof p === "string" ? PROVIDERS[p] : p;
    if (adapter === undefined || adapter === null || typeof adapter.read !== "function") {
      throw new TypeError(`providers['${pool}'] must be an adapter or one of ${Object.keys(PROVIDERS).join(", ")}, was ${String(p)}`);
    }
    map.set(pool, adapter);
  }
  return map;
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${field} must be a positive number of milliseconds, was ${value}`);
  }
  return value;
}

export { HubUnavailableError, QuotaExhaustedError, QuotaHubError };
