import { HubUnavailableError, QuotaExhaustedError, QuotaHubError } from "./errors.js";
import type { Lease } from "./lease.js";
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
}

/** One acquire. */
export interface AcquireOptions {
  /** Estimated tokens of the call, an integer > 0; reserved until the lease is settled. */
  tokens: number;
  /** How long to wait for room, 0 (default) for a single attempt (still failing over between hubs). */
  maxWaitMs?: number;
  /** Priority of the request; default the client's `defaultPriority`. */
  priority?: Priority;
  /** Abandons the acquire: the promise rejects with the signal's reason; a lease granted afterwards is given back. */
  signal?: AbortSignal;
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
  /** The agent id sent with every request and heartbeat. */
  readonly agentId: string;

  private constructor(core: ClientCore, agentId: string, defaultPriority: Priority) {
    this.#core = core;
    this.agentId = agentId;
    this.#defaultPriority = defaultPriority;
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
    return new QuotaClient(core, agentId, defaultPriority);
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
    const { tokens, maxWaitMs, priority } = this.#check(pool, options, options?.maxWaitMs ?? 0);
    return this.#core.acquire(pool, tokens, maxWaitMs, priority, options.signal);
  }

  /**
   * One attempt: resolves to null at once when the hub refuses (still fails over between hubs when
   * one does not answer). Use `acquire(pool, { tokens })` to learn why a refusal happened.
   * @throws the errors of {@link acquire} except QuotaExhaustedError
   */
  async tryAcquire(pool: string, options: Omit<AcquireOptions, "maxWaitMs">): Promise<Lease | null> {
    const { tokens, maxWaitMs, priority } = this.#check(pool, options, 0);
    try {
      return await this.#core.acquire(pool, tokens, maxWaitMs, priority, options.signal);
    } catch (e) {
      if (e instanceof QuotaExhaustedError) return null;
      throw e;
    }
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
    return { tokens: options.tokens, maxWaitMs, priority: wirePriority(options.priority ?? this.#defaultPriority) };
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
   * not dropped silently: each is settled with its estimate (outcome OK, tokens = lease.tokens),
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

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${field} must be a positive number of milliseconds, was ${value}`);
  }
  return value;
}

export { HubUnavailableError, QuotaExhaustedError, QuotaHubError };
