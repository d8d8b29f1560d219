import { clone, create } from "@bufbuild/protobuf";
import {
  AcquireRequestSchema,
  ErrorReply_Code,
  Refused_Code,
  type AcquireReply,
  type AcquireRequest,
  type ErrorReply,
  type Priority,
  type Refused,
} from "../gen/quotahub_pb.js";
import { HubUnavailableError, QuotaExhaustedError } from "../errors.js";
import * as replies from "./replies.js";
import type { RetryPolicy } from "./retry.js";
import type { HubRouter } from "./router.js";
import { AcquireSlots } from "./slots.js";
import type { Route, RouteFailure } from "./subjects.js";

/** What the machine asks its driver to do. */
export interface AcquireOut {
  /** Why no request may go out now (client closed, every connection closed), CANCELLED, or null. */
  stopReason(): Error | null;
  /** Sends `request` on `route`; `replied` or `failed` follows. */
  send(route: Route, request: AcquireRequest, timeoutMs: number): void;
  /** Takes one of the client's acquire slots now (true), or queues for one (`slotTaken` follows). */
  takeSlot(): boolean;
  /** The slot's request was answered (`overloaded`: shed or timed out). */
  releaseSlot(overloaded: boolean): void;
  /** A slot taken but not used for a request. */
  giveBackSlot(): void;
  /** Calls `timerFired` after `ms`. */
  wakeAfter(ms: number): void;
  /** The hub granted: open the lease and hand it to the caller. */
  granted(reply: AcquireReply): void;
  /** How many acquires the client keeps outstanding now. */
  slotLimit(): number;
  /** The acquire ended without a lease: `why`, or null when cancelled (nothing to report). */
  ended(why: Error | null): void;
  /** A grant that came after the acquire ended (a duplicate on another route): release it. */
  lateGrant(reply: AcquireReply): void;
}

export type AcquireState = "NEW" | "SENDING" | "WAITING_FOR_SLOT" | "BACKING_OFF" | "DONE";

/** Stop reason of an acquire cancelled by its caller: it ends without a failure to report. */
export const CANCELLED: Error = new Error("cancelled");
/** At least this many sends before giving up as "hub unavailable", whatever maxWait says. */
export const MIN_SENDS = 2;
const MIN_ATTEMPT_MS = 100;
const RETRYABLE_ERRORS = new Set([ErrorReply_Code.UNAVAILABLE, ErrorReply_Code.FENCED, ErrorReply_Code.DEADLINE_EXCEEDED]);
/** Codes of a hub that cannot serve now (e.g. one that woke up fenced by its peer): ask the other hub. */
const HUB_CANNOT_SERVE = new Set([ErrorReply_Code.UNAVAILABLE, ErrorReply_Code.FENCED]);

export interface AcquireParams {
  agentId: string;
  pool: string;
  tokens: number;
  priority: Priority;
  maxWaitMs: number;
  requestTimeoutMs: number;
  /** Whether a fallback pool may serve it (default true); false sends `noFallback`. */
  fallback?: boolean;
}

/**
 * The decisions of one acquire, with no NATS, no timer and no clock: each event comes in with the
 * time (`now`, ms of the client's monotonic clock) and what follows goes out through
 * {@link AcquireOut}. A port of the Java SDK's AcquireMachine, rule for rule.
 *
 * A logical attempt has one request id. It goes to the routes of the {@link HubRouter} one after
 * the other while they time out or have no responders (the same id each time: a hub answers a
 * duplicate with its first result); when every route of a round failed, a new round starts after a
 * short backoff. A refusal or a retryable hub error ends the logical attempt: the next one, after
 * the wait, has a new request id. A BUDGET_EXHAUSTED refusal first goes once to each other ready
 * hub's direct subject, which grants only from its own budget.
 */
export class AcquireMachine {
  private readonly request: AcquireRequest;
  private readonly startMs: number;
  private readonly deadlineMs: number;
  private readonly tried = new Set<string>();
  private readonly budgetRefusedBy = new Set<string>();
  private stateValue: AcquireState = "NEW";
  private budgetRefusal: Refused | null = null;
  private nextRoute: Route | null = null;
  private newAttemptAfterTimer = false;
  private attemptSends = 0;
  private resentAfterConnectionLoss = false;
  private sendCount = 0;
  private lastProblem = "no route tried";
  private holdsSlot = false;
  private waitedForSlot = false;

  constructor(
    private readonly out: AcquireOut,
    private readonly router: HubRouter,
    private readonly retry: RetryPolicy,
    private readonly ids: () => string,
    private readonly params: AcquireParams,
    now: number,
    /** Wall time (epoch ms) for the absolute deadline on the wire: hubs drop requests past it. */
    private readonly wallClock: () => number,
  ) {
    this.request = create(AcquireRequestSchema, {
      agentId: params.agentId,
      pool: params.pool,
      tokens: BigInt(params.tokens),
      priority: params.priority,
      noFallback: params.fallback === false,
    });
    this.startMs = now;
    this.deadlineMs = now + Math.max(0, params.maxWaitMs);
  }

  get state(): AcquireState {
    return this.stateValue;
  }

  get pool(): string {
    return this.params.pool;
  }

  get tokens(): number {
    return this.params.tokens;
  }

  /** Sends made so far (all attempts). */
  get sends(): number {
    return this.sendCount;
  }

  /** The request id of the current logical attempt. */
  get requestId(): string {
    return this.request.requestId;
  }

  // ---- events

  start(now: number): void {
    this.newAttempt();
    this.sendNext(now);
  }

  /** Woken by the client's slots with a slot taken for this acquire. */
  slotTaken(now: number): void {
    this.holdsSlot = true;
    this.sendNext(now);
  }

  timerFired(now: number): void {
    if (this.newAttemptAfterTimer) {
      this.newAttemptAfterTimer = false;
      this.newAttempt();
    }
    this.sendNext(now);
  }

  /** Ends the acquire (client closing, caller aborted); `why` null: nothing to report. */
  abort(why: Error | null): void {
    this.finish(why);
  }

  replied(now: number, route: Route, reply: AcquireReply): void {
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.out.releaseSlot(replies.overloaded(reply));
    }
    if (this.stateValue === "DONE") {
      this.out.lateGrant(reply);
      return;
    }
    this.router.onReply(route, reply.hubId);
    switch (reply.result.case) {
      case "granted":
        this.stateValue = "DONE";
        this.out.granted(reply);
        return;
      case "refused":
        this.refused(now, reply.hubId, reply.result.value);
        return;
      case "error":
        this.error(now, route, reply.hubId, reply.result.value);
        return;
      default:
        this.routeFailed(now, route, "BAD_REPLY");
    }
  }

  failed(now: number, route: Route, failure: RouteFailure): void {
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.out.releaseSlot(failure === "TIMEOUT");
    }
    if (this.stateValue === "DONE") return;
    this.routeFailed(now, route, failure);
  }

  // ---- decisions

  private newAttempt(): void {
    this.request.requestId = this.ids();
    this.attemptSends = 0;
    this.resentAfterConnectionLoss = false;
    this.tried.clear();
  }

  private wait(ms: number, newAttempt: boolean): void {
    this.stateValue = "BACKING_OFF";
    this.newAttemptAfterTimer = newAttempt;
    this.out.wakeAfter(ms);
  }

  private sendNext(now: number): void {
    if (this.stateValue === "DONE") {
      this.giveBackSlot();
      return;
    }
    const stop = this.out.stopReason();
    if (stop !== null) {
      this.finish(stop === CANCELLED ? null : stop);
      return;
    }
    const remaining = this.deadlineMs - now;
    if (remaining <= 0 && this.attemptSends >= MIN_SENDS) {
      this.finish(new HubUnavailableError(
        `no hub answered acquire for pool '${this.pool}' within ${Math.round(now - this.startMs)} ms after `
        + `${this.sendCount} requests (last: ${this.lastProblem}; known hubs [${this.router.knownHubs().join(", ")}])`));
      return;
    }
    if (remaining <= 0 && this.waitedForSlot) {
      this.finish(new QuotaExhaustedError({
        code: "OVERLOADED",
        reason: `the hubs are overloaded: this client keeps at most ${this.out.slotLimit()} acquires outstanding`
          + ` and this one waited its maxWait of ${Math.round(this.deadlineMs - this.startMs)} ms for a turn`,
        retryAfterMs: AcquireSlots.RETRY_AFTER_MS,
        pool: this.pool,
        keyId: "",
        limit: "",
      }));
      return;
    }
    const route = this.nextRoute ?? this.router.nextAcquireRoute(this.tried);
    this.nextRoute = null;
    if (route === null) { // every route of this round failed: next round, same request id
      this.giveBackSlot();
      this.tried.clear();
      this.wait(this.retry.afterRound(this.attemptSends < MIN_SENDS, remaining), false);
      return;
    }
    if (!this.holdsSlot) {
      if (!this.out.takeSlot()) {
        this.waitedForSlot = true;
        this.stateValue = "WAITING_FOR_SLOT";
        return; // slotTaken() sends once a request of this client is answered
      }
      this.holdsSlot = true;
    }
    this.tried.add(route.subject);
    const timeout = this.attemptSends < MIN_SENDS
      ? this.params.requestTimeoutMs
      : Math.max(MIN_ATTEMPT_MS, Math.min(remaining, this.params.requestTimeoutMs));
    this.attemptSends++;
    this.sendCount++;
    this.stateValue = "SENDING";
    const wallNow = this.wallClock();
    this.request.deadlineEpochMs = BigInt(Math.floor(wallNow + timeout));
    // how long this caller still waits: a hub prefers the pool asked for to a fallback while that fits
    this.request.waitUntilEpochMs = remaining > 0 ? BigInt(Math.floor(wallNow + remaining)) : 0n;
    this.out.send(route, clone(AcquireRequestSchema, this.request), timeout);
  }

  private giveBackSlot(): void {
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.out.giveBackSlot();
    }
  }

  private routeFailed(now: number, route: Route, failure: RouteFailure): void {
    this.router.onFailure(route, failure);
    if (this.budgetRefusal !== null) { // the other hub could not be asked: the refusal stands
      this.waitAfterRefusal(now, this.takeBudgetRefusal());
      return;
    }
    if (failure === "CONNECTION" && !this.resentAfterConnectionLoss) {
      // the request died with its server, not with the route: the same route goes out once more
      // on the next connection (the queue then reaches the hub beside that server at once)
      this.resentAfterConnectionLoss = true;
      this.tried.delete(route.subject);
    }
    this.lastProblem = `${failure} on ${route.subject}`;
    this.sendNext(now);
  }

  private refused(now: number, hubId: string, refused: Refused): void {
    const code = replies.refusalCode(refused);
    if (code === Refused_Code.BUDGET_EXHAUSTED && hubId.trim() !== "") {
      this.budgetRefusedBy.add(hubId);
      const other = this.router.readyDirectAcquireRouteExcept(this.budgetRefusedBy);
      if (other !== null) {
        this.budgetRefusal ??= refused;
        this.newAttempt();
        this.nextRoute = other;
        this.sendNext(now);
        return;
      }
    }
    this.waitAfterRefusal(now, refused); // the last hub's word: every hub asked refused
  }

  private takeBudgetRefusal(): Refused {
    const r = this.budgetRefusal!;
    this.budgetRefusal = null;
    return r;
  }

  private waitAfterRefusal(now: number, refused: Refused): void {
    this.budgetRefusal = null;
    this.budgetRefusedBy.clear();
    const remaining = this.deadlineMs - now;
    if (remaining <= 0) {
      this.finish(replies.exhausted(refused, this.pool));
      return;
    }
    const code = replies.refusalCode(refused);
    const retryAfter = Number(refused.retryAfterMs);
    this.wait(code === Refused_Code.BUDGET_EXHAUSTED ? this.retry.afterBudgetRefusal(retryAfter, remaining)
      : this.retry.afterRefusal(retryAfter, code === Refused_Code.OVERLOADED, remaining), true);
  }

  private error(now: number, route: Route, hubId: string, error: ErrorReply): void {
    const code = replies.errorCode(error);
    if (this.budgetRefusal !== null) { // the other hub cannot serve: the first hub's refusal stands
      if (HUB_CANNOT_SERVE.has(code)) this.router.markUnavailable(route, hubId);
      this.waitAfterRefusal(now, this.takeBudgetRefusal());
      return;
    }
    if (RETRYABLE_ERRORS.has(code)) {
      if (HUB_CANNOT_SERVE.has(code)) this.router.markUnavailable(route, hubId);
      this.lastProblem = `${replies.errorName(code)} from hub ${hubId}`;
      const remaining = this.deadlineMs - now;
      if (remaining <= 0 && this.sendCount >= MIN_SENDS) { // each retry is a new attempt: count all sends
        this.finish(new HubUnavailableError(`no hub could serve pool '${this.pool}': last ${this.lastProblem}: ${error.message}`));
        return;
      }
      this.wait(this.retry.afterError(remaining), true);
      return;
    }
    this.finish(replies.rejected(code, `hub ${hubId} rejected acquire for pool '${this.pool}': ${error.message}`));
  }

  private finish(failure: Error | null): void {
    if (this.stateValue === "DONE") return;
    this.stateValue = "DONE";
    this.giveBackSlot();
    this.out.ended(failure);
  }
}

