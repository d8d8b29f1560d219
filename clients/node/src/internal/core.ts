import { randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Msg } from "@nats-io/transport-node";
import {
  AcquireReplySchema,
  AcquireRequestSchema,
  HeartbeatSchema,
  HubAnnouncementSchema,
  LeaseProofSchema,
  Outcome,
  Priority as WirePriority,
  SettleReplySchema,
  SettleRequestSchema,
  type AcquireReply,
  type AcquireRequest,
  type SettleRequest,
} from "../gen/quotahub_pb.js";
import { HubUnavailableError, QuotaHubError } from "../errors.js";
import { LeaseImpl, type LeaseSettler, type SettleExtras } from "../lease.js";
import { AcquireMachine, CANCELLED, type AcquireOut } from "./acquire-machine.js";
import { ServerLinks, classify, type Link } from "./links.js";
import type { Logger } from "./logger.js";
import { RetryPolicy } from "./retry.js";
import { HubRouter } from "./router.js";
import type { NatsSecurity } from "./security.js";
import { SettleMachine, type SettleOut } from "./settle-machine.js";
import { settleRequest } from "./settle-request.js";
import { AcquireSlots } from "./slots.js";
import { ACQUIRE, HEARTBEAT, HUBS, isQueue, type Route } from "./subjects.js";

/** Proofs per heartbeat message: an agent holding more leases sends several messages per beat. */
export const MAX_PROOFS_PER_HEARTBEAT = 256;
/** Notices remembered (each logged once per pool); past the bound a new one is logged at debug only. */
const MAX_NOTICES = 256;

export interface CoreSettings {
  servers: string[];
  agentId: string;
  connectionName: string;
  security: NatsSecurity;
  requestTimeoutMs: number;
  heartbeatIntervalMs: number;
  settleTimeoutMs: number;
  logger: Logger;
  /** Monotonic ms for every wait, deadline and timer. */
  now: () => number;
  /** Wall clock (epoch ms) for the absolute deadlines and timestamps on the wire. */
  wallClock: () => number;
  random: () => number;
}

export type PriorityName = "LOW" | "NORMAL" | "HIGH";

const PRIORITIES: Record<PriorityName, WirePriority> = {
  LOW: WirePriority.LOW,
  NORMAL: WirePriority.NORMAL,
  HIGH: WirePriority.HIGH,
};

export function wirePriority(p: PriorityName): WirePriority {
  const w = PRIORITIES[p];
  if (w === undefined) throw new TypeError(`priority must be LOW, NORMAL or HIGH, was ${String(p)}`);
  return w;
}

/**
 * The client behind {@link QuotaClient}: a NATS connection to each configured server, the router,
 * the acquire slots, open leases and the heartbeat. Node's event loop is the one logical thread on
 * which every state machine runs (the Java SDK's SerialExecutor).
 */
export class ClientCore implements LeaseSettler {
  readonly router: HubRouter;
  readonly slots: AcquireSlots;
  readonly retry: RetryPolicy;
  private links!: ServerLinks;
  private readonly openLeases = new Map<string, LeaseImpl>();
  private readonly pending = new Set<AcquireOperation>();
  private readonly notices = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private terminated = false;

  private constructor(readonly settings: CoreSettings) {
    this.router = new HubRouter(settings.now);
    this.slots = new AcquireSlots(settings.now);
    this.retry = new RetryPolicy(settings.random);
  }

  static async connect(settings: CoreSettings): Promise<ClientCore> {
    const core = new ClientCore(settings);
    try {
      core.links = await ServerLinks.connect({
        servers: settings.servers,
        name: settings.connectionName,
        security: settings.security,
        logger: settings.logger,
        retry: core.retry,
        onConnected: (link) => core.listenToHubs(link),
      });
    } catch (e) {
      throw new HubUnavailableError(`cannot connect to any NATS server of [${settings.servers.join(", ")}]`
        + ` (${e instanceof Error ? e.message : String(e)})`, { cause: e });
    }
    core.sendHeartbeat();
    core.heartbeatTimer = setInterval(() => core.sendHeartbeat(), settings.heartbeatIntervalMs);
    core.heartbeatTimer.unref();
    return core;
  }

  private listenToHubs(link: Link): void {
    link.nc!.subscribe(HUBS, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const a = fromBinary(HubAnnouncementSchema, msg.data);
          this.router.onAnnouncement(a.hubId, a.ready);
          if (a.ready) this.links?.hubHeard(link);
        } catch {
          this.settings.logger.debug("ignoring an unparsable hub announcement");
        }
      },
    });
  }

  get isClosing(): boolean {
    return this.closing;
  }

  get isTerminated(): boolean {
    return this.terminated;
  }

  connectionClosed(): boolean {
    return this.links.allClosed();
  }

  now(): number {
    return this.settings.now();
  }

  // ---- acquire

  acquire(pool: string, tokens: number, maxWaitMs: number, priority: WirePriority, signal?: AbortSignal,
    fallback = true): Promise<LeaseImpl> {
    if (this.closing) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const op = new AcquireOperation(this, pool, tokens, maxWaitMs, priority, signal, fallback);
    this.pending.add(op);
    op.start();
    return op.result;
  }

  operationDone(op: AcquireOperation): void {
    this.pending.delete(op);
  }

  /** Runs the waiters the slots handed a slot, each in its own turn of the event loop. */
  wake(waiters: Array<() => void>): void {
    for (const w of waiters) setImmediate(w);
  }

  /**
   * Sends a request on the active connection; "no responders" through a server while a hub that
   * should answer is alive elsewhere sends the same request once more on the other connection, and
   * so does a request through a connection on trial that got no answer within the trial.
   */
  request(route: Route, data: Uint8Array, timeoutMs: number, handler: (msg: Msg | null, error: unknown) => void): void {
    this.send(this.links.active(), route, data, timeoutMs, handler, true);
  }

  private send(link: Link | null, route: Route, data: Uint8Array, timeoutMs: number,
    handler: (msg: Msg | null, error: unknown) => void, mayMove: boolean): void {
    if (link === null) {
      queueMicrotask(() => handler(null, new Error("no NATS connection")));
      return;
    }
    const links = this.links;
    const waitMs = mayMove ? links.trialTimeout(link, timeoutMs) : timeoutMs;
    links.request(link, route.subject, data, waitMs).then(
      (m) => {
        if (isQueue(route) && link.trial) {
          // an error such as UNAVAILABLE: the hub announced itself a moment before it serves
          if (isErrorReply(route, m)) links.trialFailed(link);
          else links.answeredThrough(link);
        }
        handler(m, null);
      },
      (e: unknown) => {
        if (mayMove) {
          const failure = classify(e);
          let other: Link | null = null;
          let left = timeoutMs;
          if (failure === "NO_RESPONDERS" && (isQueue(route) || this.router.isFresh(route.hubId))) {
            other = links.moveAwayFrom(link);
          } else if (failure === "TIMEOUT" && waitMs < timeoutMs) {
            other = links.trialFailed(link);
            left = timeoutMs - waitMs; // the attempt keeps its whole timeout
            this.settings.logger.debug(`no answer on ${route.subject} within the trial of a server that came back: `
              + "sending it through the other server");
          }
          if (other !== null) {
            this.send(other, route, data, left, handler, false);
            return;
          }
        }
        handler(null, e);
      },
    );
  }

  /** Logs a hub's notice once per pool and text. */
  notice(pool: string, hubId: string, notice: string): void {
    if (!notice || notice.trim() === "") return;
    const text = notice.length > 512 ? notice.slice(0, 512) + "…" : notice;
    const message = `hub ${hubId} on pool '${pool}': ${text}`;
    const key = pool + "\n" + text;
    if (this.notices.has(key)) return;
    if (this.notices.size >= MAX_NOTICES) {
      this.settings.logger.debug(message);
      return;
    }
    this.notices.add(key);
    this.settings.logger.warn(`${message} (logged once per pool and notice)`);
  }

  openLease(reply: AcquireReply, requestedTokens: number): LeaseImpl {
    if (reply.result.case !== "granted") throw new Error("not a grant");
    const g = reply.result.value;
    const lease = new LeaseImpl(this, {
      leaseId: g.leaseId,
      pool: g.pool,
      requestedPool: g.requestedPool || g.pool,
      keyId: g.keyId,
      apiKey: g.apiKey,
      secret: g.leaseSecret,
      tokens: g.tokens > 0n ? Number(g.tokens) : requestedTokens,
      expiresAt: new Date(Number(g.expiresAtEpochMs)),
      hubId: reply.hubId,
    });
    this.openLeases.set(lease.leaseId, lease);
    return lease;
  }

  isOpenLease(leaseId: string): boolean {
    return this.openLeases.has(leaseId);
  }

  // ---- settle

  settle(lease: LeaseImpl, outcome: Outcome, tokensUsed: number, retryAfterMs: number, detail: string,
    extras?: SettleExtras): Promise<void> {
    this.openLeases.delete(lease.leaseId);
    const request = settleRequest({
      requestId: randomUUID(),
      leaseId: lease.leaseId,
      leaseSecret: lease.secret(),
      agentId: this.settings.agentId,
      outcome,
      tokensUsed,
      retryAfterMs,
      detail,
    }, extras);
    return new SettleOperation(this, lease, request).start();
  }

  warn(message: string): void {
    this.settings.logger.warn(message);
  }

  // ---- heartbeat

  openLeaseIds(): string[] {
    return [...this.openLeases.keys()];
  }

  sendHeartbeat(): void {
    try {
      const now = BigInt(Math.floor(this.settings.wallClock()));
      const leases = [...this.openLeases.values()];
      let i = 0;
      do {
        const chunk = leases.slice(i, i + MAX_PROOFS_PER_HEARTBEAT);
        const hb = create(HeartbeatSchema, {
          agentId: this.settings.agentId,
          sentAtEpochMs: now,
          leases: chunk.map((l) => create(LeaseProofSchema, { leaseId: l.leaseId, leaseSecret: l.secret() })),
        });
        this.links.publish(HEARTBEAT, toBinary(HeartbeatSchema, hb));
        i += MAX_PROOFS_PER_HEARTBEAT;
      } while (i < leases.length);
    } catch (e) {
      this.settings.logger.debug(`heartbeat not sent: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- close

  /**
   * Fails pending acquires with CLOSED, settles the leases still open as UNKNOWN with their estimate (bounded
   * by the settle timeout; each one named in a warning, a failure logged), stops heartbeats and
   * closes the connections.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    for (const op of [...this.pending]) op.abort(closedError());
    const open = [...this.openLeases.values()];
    if (open.length > 0) {
      this.settings.logger.warn(`closing with ${open.length} open lease(s): settling each with its estimate (outcome UNKNOWN): `
        + open.map((l) => `${l.leaseId} (pool '${l.pool}', ${l.tokens} tokens)`).join(", "));
      await Promise.allSettled(open.map((l) => l.settleOnClose()));
    }
    this.terminated = true;
    await this.links.close();
  }
}

function closedError(): QuotaHubError {
  return new QuotaHubError(QuotaHubError.CLOSED, "QuotaClient is closed");
}

/** Drives one {@link AcquireMachine}: feeds it replies, failures, timers and slots; carries out what it asks. */
class AcquireOperation implements AcquireOut {
  readonly result: Promise<LeaseImpl>;
  private resolve!: (lease: LeaseImpl) => void;
  private reject!: (e: unknown) => void;
  private readonly machine: AcquireMachine;
  private timer: NodeJS.Timeout | null = null;
  private cancelled = false;
  private readonly onAbort = () => this.cancel();

  constructor(private readonly core: ClientCore, pool: string, tokens: number, maxWaitMs: number,
    priority: WirePriority, private readonly signal: AbortSignal | undefined, fallback = true) {
    this.result = new Promise<LeaseImpl>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    const s = core.settings;
    this.machine = new AcquireMachine(this, core.router, core.retry, randomUUID,
      { agentId: s.agentId, pool, tokens, priority, maxWaitMs, requestTimeoutMs: s.requestTimeoutMs, fallback },
      core.now(), s.wallClock);
  }

  start(): void {
    this.signal?.addEventListener("abort", this.onAbort, { once: true });
    this.machine.start(this.core.now());
  }

  abort(why: Error): void {
    this.machine.abort(why);
  }

  private cancel(): void {
    this.cancelled = true;
    this.machine.abort(null);
  }

  private onResponse(route: Route, msg: Msg | null, error: unknown): void {
    if (msg === null) {
      this.machine.failed(this.core.now(), route, classify(error));
      return;
    }
    let reply: AcquireReply;
    try {
      reply = fromBinary(AcquireReplySchema, msg.data);
    } catch {
      this.machine.failed(this.core.now(), route, "BAD_REPLY");
      return;
    }
    if (this.machine.state !== "DONE") this.core.notice(this.machine.pool, reply.hubId, reply.notice);
    this.machine.replied(this.core.now(), route, reply);
  }

  stopReason(): Error | null {
    if (this.cancelled) return CANCELLED;
    if (this.core.isClosing) return closedError();
    if (this.core.connectionClosed()) return new HubUnavailableError("every NATS connection is closed for good");
    return null;
  }

  send(route: Route, request: AcquireRequest, timeoutMs: number): void {
    this.core.request(route, toBinary(AcquireRequestSchema, request), timeoutMs, (m, e) => this.onResponse(route, m, e));
  }

  takeSlot(): boolean {
    return this.core.slots.tryTake(() => this.machine.slotTaken(this.core.now()));
  }

  releaseSlot(overloaded: boolean): void {
    this.core.wake(this.core.slots.release(overloaded));
  }

  giveBackSlot(): void {
    this.core.wake(this.core.slots.giveBack());
  }

  slotLimit(): number {
    return this.core.slots.limit;
  }

  wakeAfter(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.machine.timerFired(this.core.now());
    }, Math.max(0, ms));
  }

  granted(reply: AcquireReply): void {
    const lease = this.core.openLease(reply, this.machine.tokens);
    this.done();
    this.resolve(lease);
  }

  ended(why: Error | null): void {
    this.done();
    this.reject(why ?? this.signal?.reason ?? new Error("acquire cancelled"));
  }

  lateGrant(reply: AcquireReply): void {
    if (reply.result.case === "granted" && !this.core.isOpenLease(reply.result.value.leaseId)) {
      this.core.openLease(reply, this.machine.tokens).release();
    }
  }

  private done(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.signal?.removeEventListener("abort", this.onAbort);
    this.core.operationDone(this);
  }
}

/** Drives one {@link SettleMachine}. */
class SettleOperation implements SettleOut {
  private resolve!: () => void;
  private reject!: (e: unknown) => void;
  private readonly machine: SettleMachine;

  constructor(private readonly core: ClientCore, lease: LeaseImpl, request: SettleRequest) {
    const s = core.settings;
    this.machine = new SettleMachine(this, core.router, core.retry, request, lease.hubId, lease.pool,
      s.requestTimeoutMs, s.settleTimeoutMs, core.now(), s.wallClock, (t) => lease.scrub(t));
  }

  start(): Promise<void> {
    const p = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.machine.start(this.core.now());
    return p;
  }

  stopReason(): Error | null {
    return this.core.isTerminated ? closedError() : null;
  }

  send(route: Route, request: SettleRequest, timeoutMs: number): void {
    this.core.request(route, toBinary(SettleRequestSchema, request), timeoutMs, (msg, error) => {
      if (msg === null) {
        this.machine.failed(this.core.now(), route, classify(error));
        return;
      }
      let reply;
      try {
        reply = fromBinary(SettleReplySchema, msg.data);
      } catch {
        this.machine.failed(this.core.now(), route, "BAD_REPLY");
        return;
      }
      this.machine.replied(this.core.now(), route, reply);
    });
  }

  wakeAfter(ms: number): void {
    setTimeout(() => this.machine.timerFired(this.core.now()), Math.max(0, ms));
  }

  ended(failure: Error | null): void {
    if (failure === null) this.resolve();
    else this.reject(failure);
  }
}

/** Whether `msg`, a reply on `route`, is a hub's error; an unparsable reply counts as one. */
function isErrorReply(route: Route, msg: Msg): boolean {
  try {
    return route.subject === ACQUIRE
      ? fromBinary(AcquireReplySchema, msg.data).result.case === "error"
      : fromBinary(SettleReplySchema, msg.data).error !== undefined;
  } catch {
    return true;
  }
}
