import { clone } from "@bufbuild/protobuf";
import { ErrorReply_Code, SettleRequestSchema, type SettleReply, type SettleRequest } from "../gen/quotahub_pb.js";
import { HubUnavailableError } from "../errors.js";
import * as replies from "./replies.js";
import type { RetryPolicy } from "./retry.js";
import type { HubRouter } from "./router.js";
import type { Route, RouteFailure } from "./subjects.js";

/** What the machine asks its driver to do. */
export interface SettleOut {
  /** Why no request may go out now (the client terminated), or null. */
  stopReason(): Error | null;
  send(route: Route, request: SettleRequest, timeoutMs: number): void;
  wakeAfter(ms: number): void;
  /** The settle ended: `failure` null when a hub settled the lease. */
  ended(failure: Error | null): void;
}

export type SettleState = "NEW" | "SENDING" | "BACKING_OFF" | "DONE";

const MIN_ATTEMPT_MS = 100;
/**
 * Errors that another hub, or the same one a moment later, may not give (takeover in progress).
 * Every other error ends the settle, FORBIDDEN among them: every hub checks the secret alike.
 */
const RETRYABLE_ERRORS = new Set([ErrorReply_Code.UNAVAILABLE, ErrorReply_Code.DEADLINE_EXCEEDED, ErrorReply_Code.UNKNOWN_LEASE]);

/**
 * The decisions of one settle (a port of the Java SDK's SettleMachine): the lease's hub first, then
 * the queue, then the other hubs, all with one request id, round after round until the settle
 * timeout. Every request carries the lease's secret.
 */
export class SettleMachine {
  private readonly deadlineMs: number;
  private readonly tried = new Set<string>();
  private stateValue: SettleState = "NEW";
  private sends = 0;
  private lastProblem = "no route tried";
  private lastErrorCode: ErrorReply_Code | null = null;

  constructor(
    private readonly out: SettleOut,
    private readonly router: HubRouter,
    private readonly retry: RetryPolicy,
    private readonly request: SettleRequest,
    private readonly leaseHub: string,
    private readonly pool: string,
    private readonly requestTimeoutMs: number,
    settleTimeoutMs: number,
    now: number,
    private readonly wallClock: () => number,
    /** Removes the lease's secrets from a hub's words (a hub never echoes them; be sure). */
    private readonly scrub: (text: string) => string,
  ) {
    this.deadlineMs = now + settleTimeoutMs;
  }

  get state(): SettleState {
    return this.stateValue;
  }

  start(now: number): void {
    this.sendNext(now);
  }

  timerFired(now: number): void {
    this.sendNext(now);
  }

  failed(now: number, route: Route, failure: RouteFailure): void {
    if (this.stateValue === "DONE") return;
    if (failure === "BAD_REPLY") {
      this.lastProblem = `unparsable reply on ${route.subject}`;
    } else {
      this.router.onFailure(route, failure);
      this.lastProblem = `${failure} on ${route.subject}`;
    }
    this.sendNext(now);
  }

  replied(now: number, route: Route, reply: SettleReply): void {
    if (this.stateValue === "DONE") return;
    this.router.onReply(route, reply.hubId);
    if (reply.error === undefined) {
      this.finish(null);
      return;
    }
    const code = replies.errorCode(reply.error);
    const hubMessage = this.scrub(reply.error.message);
    this.lastErrorCode = code;
    this.lastProblem = `${replies.errorName(code)} from hub ${reply.hubId}: ${hubMessage}`;
    if (RETRYABLE_ERRORS.has(code)) {
      if (code === ErrorReply_Code.UNAVAILABLE) this.router.markUnavailable(route, reply.hubId);
      this.sendNext(now);
      return;
    }
    this.finish(replies.rejected(code, `hub ${reply.hubId} rejected the settle of lease ${this.request.leaseId}: ${hubMessage}`));
  }

  private sendNext(now: number): void {
    if (this.stateValue === "DONE") return;
    const stop = this.out.stopReason();
    if (stop !== null) {
      this.finish(stop);
      return;
    }
    const remaining = this.deadlineMs - now;
    if (remaining <= 0 && this.sends > 0) {
      const msg = `lease ${this.request.leaseId} of pool '${this.pool}' not settled after ${this.sends} requests (last: ${this.lastProblem})`;
      const c = this.lastErrorCode;
      this.finish(c !== null && c !== ErrorReply_Code.UNAVAILABLE && c !== ErrorReply_Code.DEADLINE_EXCEEDED
        ? replies.rejected(c, msg) : new HubUnavailableError(msg));
      return;
    }
    const route = this.router.nextSettleRoute(this.leaseHub, this.tried);
    if (route === null) {
      this.tried.clear();
      // spread: the settles of many agents that lost every hub at once must not come back together
      this.stateValue = "BACKING_OFF";
      this.out.wakeAfter(this.retry.afterRound(false, remaining));
      return;
    }
    this.tried.add(route.subject);
    const timeout = this.sends === 0 ? this.requestTimeoutMs : Math.max(MIN_ATTEMPT_MS, Math.min(remaining, this.requestTimeoutMs));
    this.sends++;
    this.stateValue = "SENDING";
    this.request.deadlineEpochMs = BigInt(Math.floor(this.wallClock() + timeout));
    this.out.send(route, clone(SettleRequestSchema, this.request), timeout);
  }

  private finish(failure: Error | null): void {
    if (this.stateValue === "DONE") return;
    this.stateValue = "DONE";
    this.out.ended(failure);
  }
}
