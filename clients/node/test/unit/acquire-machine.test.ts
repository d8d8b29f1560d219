import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import {
  AcquireReplySchema, ErrorReply_Code, Priority, Refused_Code, type AcquireReply, type AcquireRequest,
} from "../../src/gen/quotahub_pb.js";
import { AcquireMachine, CANCELLED, type AcquireOut } from "../../src/internal/acquire-machine.js";
import { RetryPolicy } from "../../src/internal/retry.js";
import { HubRouter } from "../../src/internal/router.js";
import type { Route } from "../../src/internal/subjects.js";
import { HubUnavailableError, QuotaExhaustedError, QuotaHubError } from "../../src/errors.js";

/** A driver that records what the machine asks, on a fake clock. */
class FakeOut implements AcquireOut {
  sent: Array<{ route: Route; request: AcquireRequest; timeoutMs: number }> = [];
  waits: number[] = [];
  grants: AcquireReply[] = [];
  late: AcquireReply[] = [];
  endings: Array<Error | null> = [];
  slotsFree = 1_000;
  released: boolean[] = [];
  stop: Error | null = null;
  stopReason() { return this.stop; }
  send(route: Route, request: AcquireRequest, timeoutMs: number) { this.sent.push({ route, request, timeoutMs }); }
  takeSlot() { return this.slotsFree-- > 0; }
  releaseSlot(overloaded: boolean) { this.released.push(overloaded); this.slotsFree++; }
  giveBackSlot() { this.slotsFree++; }
  wakeAfter(ms: number) { this.waits.push(ms); }
  granted(reply: AcquireReply) { this.grants.push(reply); }
  slotLimit() { return 4; }
  ended(why: Error | null) { this.endings.push(why); }
  lateGrant(reply: AcquireReply) { this.late.push(reply); }
  get last() { return this.sent[this.sent.length - 1]!; }
}

let ids = 0;
function machine(out: FakeOut, router: HubRouter, maxWaitMs: number, now = 0) {
  return new AcquireMachine(out, router, new RetryPolicy(() => 0), () => `req-${++ids}`,
    { agentId: "a1", pool: "p", tokens: 100, priority: Priority.NORMAL, maxWaitMs, requestTimeoutMs: 750 }, now, () => 1_000_000);
}

const refused = (hubId: string, code: Refused_Code, retryAfterMs = 1000) => create(AcquireReplySchema, {
  hubId, result: { case: "refused", value: { refusalCode: code, reason: "full", retryAfterMs: BigInt(retryAfterMs), pool: "p", keyId: "k1", limit: "requests 2/PT1H" } },
});
const error = (hubId: string, code: ErrorReply_Code) => create(AcquireReplySchema, {
  hubId, result: { case: "error", value: { errorCode: code, message: "no" } },
});
const granted = (hubId: string, leaseId = "l1") => create(AcquireReplySchema, {
  hubId, result: { case: "granted", value: { leaseId, pool: "p", keyId: "k1", apiKey: "sk", tokens: 100n, leaseSecret: "s" } },
});

function routerWith(now: { t: number }, ...hubs: string[]) {
  const r = new HubRouter(() => now.t);
  for (const h of hubs) r.onAnnouncement(h, true);
  return r;
}

test("acquire_sendsToTheQueueFirstWithADeadlineOnTheWire", () => {
  const clock = { t: 0 };
  const out = new FakeOut();
  machine(out, routerWith(clock, "main", "edge"), 5000).start(0);
  assert.equal(out.last.route.subject, "qh.v1.acquire");
  assert.equal(out.last.request.deadlineEpochMs, 1_000_750n);
  assert.equal(out.last.request.tokens, 100n);
});

test("acquire_aTimeoutOnTheQueueGoesToADirectSubjectWithTheSameRequestId", () => {
  const clock = { t: 0 };
  const out = new FakeOut();
  const m = machine(out, routerWith(clock, "main", "edge"), 5000);
  m.start(0);
  const first = out.last.request.requestId;
  clock.t = 750;
  m.failed(750, out.last.route, "TIMEOUT");
  assert.match(out.last.route.subject, /^qh\.v1\.hub\.(main|edge)\.acquire$/);
  assert.equal(out.last.request.requestId, first);
  m.replied(900, out.last.route, granted("edge"));
  assert.equal(out.grants.length, 1);
  assert.equal(m.state, "DONE");
});

test("acquire_aRefusalWaitsAtLeastTheRetryAfterThenAsksWithANewRequestId", () => {
  const clock = { t: 0 };
  const out = new FakeOut();
  const m = machine(out, routerWith(clock, "main"), 5000);
  m.start(0);
  const first = out.last.request.requestId;
  m.replied(10, out.last.route, refused("main", Refused_Code.QUOTA_EXHAUSTED, 1200));
  assert.deepEqual(out.waits, [1200]);
  assert.equal(m.state, "BACKING_OFF");
  m.timerFired(1210);
  assert.notEqual(out.last.request.requestId, first);
});

test("acquire_aRefusalAfterMaxWaitRejectsWithQuotaExhaustedCarryingTheRefusal", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main"), 0);
  m.start(0);
  m.replied(5, out.last.route, refused("main", Refused_Code.CONCURRENCY, 700));
  const e = out.endings[0];
  assert.ok(e instanceof QuotaExhaustedError);
  assert.equal(e.code, "CONCURRENCY");
  assert.equal(e.retryAfterMs, 700);
  assert.equal(e.keyId, "k1");
  assert.equal(e.limit, "requests 2/PT1H");
});

test("acquire_budgetExhaustedIsTakenToTheOtherHubsDirectSubjectBeforeWaiting", () => {
  const clock = { t: 0 };
  const out = new FakeOut();
  const m = machine(out, routerWith(clock, "main", "edge"), 0);
  m.start(0);
  m.replied(5, out.last.route, refused("main", Refused_Code.BUDGET_EXHAUSTED));
  assert.equal(out.last.route.subject, "qh.v1.hub.edge.acquire");
  assert.equal(out.endings.length, 0);
  m.replied(10, out.last.route, refused("edge", Refused_Code.BUDGET_EXHAUSTED, 300));
  assert.ok(out.endings[0] instanceof QuotaExhaustedError);
  assert.equal((out.endings[0] as QuotaExhaustedError).code, "BUDGET_EXHAUSTED");
});

test("acquire_budgetExhaustedStandsWhenTheOtherHubIsFenced", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main", "edge"), 0);
  m.start(0);
  m.replied(5, out.last.route, refused("main", Refused_Code.BUDGET_EXHAUSTED, 400));
  m.replied(10, out.last.route, error("edge", ErrorReply_Code.FENCED));
  const e = out.endings[0] as QuotaExhaustedError;
  assert.equal(e.code, "BUDGET_EXHAUSTED");
  assert.equal(e.retryAfterMs, 400);
});

test("acquire_fencedMarksTheHubAndTheNextAttemptGoesToTheOtherHub", () => {
  const clock = { t: 0 };
  const out = new FakeOut();
  const router = routerWith(clock, "main", "edge");
  const m = machine(out, router, 5000);
  m.start(0);
  m.replied(5, out.last.route, error("main", ErrorReply_Code.FENCED)); // on the queue: the queue is suspect now
  assert.equal(out.waits.length, 1);
  m.timerFired(120);
  assert.equal(out.last.route.subject, "qh.v1.hub.edge.acquire");
});

test("acquire_unavailableHubsUntilTheDeadlineRejectWithHubUnavailable", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main"), 100);
  m.start(0);
  m.replied(5, out.last.route, error("main", ErrorReply_Code.UNAVAILABLE));
  m.timerFired(100);
  m.replied(105, out.last.route, error("main", ErrorReply_Code.UNAVAILABLE));
  assert.ok(out.endings[0] instanceof HubUnavailableError);
  assert.equal((out.endings[0] as HubUnavailableError).code, "HUB_UNAVAILABLE");
});

test("acquire_noAnswerOnAnyRouteRejectsWithHubUnavailableAfterAtLeastTwoSends", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }), 0); // no hub known: the queue only
  m.start(0);
  m.failed(750, out.last.route, "TIMEOUT");
  assert.equal(out.waits.length, 1, "round over: a short backoff, not a failure after one send");
  m.timerFired(800);
  m.failed(1550, out.last.route, "TIMEOUT");
  assert.equal(out.sent.length, 2);
  assert.ok(out.endings[0] instanceof HubUnavailableError);
});

test("acquire_aHubRejectionRejectsAtOnceWithItsCode", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main"), 5000);
  m.start(0);
  m.replied(5, out.last.route, error("main", ErrorReply_Code.UNKNOWN_POOL));
  const e = out.endings[0] as QuotaHubError;
  assert.equal(e.code, "UNKNOWN_POOL");
  assert.ok(!(e instanceof HubUnavailableError));
});

test("acquire_aReplyWithoutACodeReadsAsItsSafeMeaning", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main"), 0);
  m.start(0);
  m.replied(5, out.last.route, refused("main", 99 as Refused_Code));
  assert.equal((out.endings[0] as QuotaHubError).code, "QUOTA_EXHAUSTED");
  const out2 = new FakeOut();
  const m2 = machine(out2, routerWith({ t: 0 }, "main"), 0);
  m2.start(0);
  m2.replied(5, out2.last.route, error("main", ErrorReply_Code.CODE_UNSPECIFIED));
  assert.equal((out2.endings[0] as QuotaHubError).code, "INTERNAL");
});

test("acquire_withEverySlotTakenWaitsInTheClientAndEndsOverloadedAtItsDeadline", () => {
  const out = new FakeOut();
  out.slotsFree = 0;
  const m = machine(out, routerWith({ t: 0 }, "main"), 200);
  m.start(0);
  assert.equal(m.state, "WAITING_FOR_SLOT");
  assert.equal(out.sent.length, 0);
  m.slotTaken(300);
  const e = out.endings[0] as QuotaExhaustedError;
  assert.equal(e.code, "OVERLOADED");
  assert.equal(e.retryAfterMs, 100);
});

test("acquire_anOverloadedRefusalReleasesItsSlotAsOverloaded", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main"), 5000);
  m.start(0);
  m.replied(5, out.last.route, refused("main", Refused_Code.OVERLOADED, 100));
  assert.deepEqual(out.released, [true]);
  assert.ok(out.waits[0]! >= 50 && out.waits[0]! < 150, "around the retry-after");
});

test("acquire_aLateGrantAfterTheEndIsHandedBackForRelease", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main"), 5000);
  m.start(0);
  m.abort(null);
  m.replied(5, out.last.route, granted("main"));
  assert.equal(out.late.length, 1);
  assert.equal(out.grants.length, 0);
});

test("acquire_cancelledEndsWithNothingToReport", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main"), 5000);
  m.start(0);
  m.replied(5, out.last.route, refused("main", Refused_Code.QUOTA_EXHAUSTED, 100));
  out.stop = CANCELLED;
  m.timerFired(200);
  assert.deepEqual(out.endings, [null]);
});

test("acquire_aDroppedConnectionResendsTheSameRouteOnce", () => {
  const out = new FakeOut();
  const m = machine(out, routerWith({ t: 0 }, "main", "edge"), 5000);
  m.start(0);
  m.failed(1, out.last.route, "CONNECTION");
  assert.equal(out.sent.length, 2);
  assert.equal(out.sent[1]!.route.subject, "qh.v1.acquire");
  assert.equal(out.sent[1]!.request.requestId, out.sent[0]!.request.requestId);
});

test("acquire_sendsHowLongTheCallerWaits_andNoFallbackOnlyWhenAskedTo", () => {
  const clock = { t: 0 };
  const out = new FakeOut();
  machine(out, routerWith(clock, "main"), 5000).start(0);
  assert.equal(out.last.request.waitUntilEpochMs, 1_005_000n);
  assert.equal(out.last.request.noFallback, false);

  const optedOut = new FakeOut();
  new AcquireMachine(optedOut, routerWith(clock, "main"), new RetryPolicy(() => 0), () => `req-${++ids}`,
    { agentId: "a1", pool: "p", tokens: 1, priority: Priority.NORMAL, maxWaitMs: 0, requestTimeoutMs: 750, fallback: false },
    0, () => 1_000_000).start(0);
  assert.equal(optedOut.last.request.noFallback, true);
  assert.equal(optedOut.last.request.waitUntilEpochMs, 0n, "a caller that does not wait says so");
});

test("acquire_aRefusalAfterFallbacks_listsEveryPoolTried", () => {
  const clock = { t: 0 };
  const out = new FakeOut();
  const m = machine(out, routerWith(clock, "main"), 0);
  m.start(0);
  const reply = refused("main", Refused_Code.QUOTA_EXHAUSTED, 900);
  if (reply.result.case === "refused") {
    reply.result.value.tried = [
      { $typeName: "quotahub.v1.PoolRefusal", pool: "p", refusalCode: Refused_Code.QUOTA_EXHAUSTED, reason: "full",
        retryAfterMs: 5000n, keyId: "k1", limit: "requests 2/PT1H" },
      { $typeName: "quotahub.v1.PoolRefusal", pool: "p-spare", refusalCode: Refused_Code.CONCURRENCY, reason: "busy",
        retryAfterMs: 900n, keyId: "", limit: "" },
    ];
  }
  m.replied(0, out.last.route, reply);
  const err = out.endings[0] as QuotaExhaustedError;
  assert.ok(err instanceof QuotaExhaustedError);
  assert.deepEqual(err.tried.map((t) => `${t.pool} ${t.code}`), ["p QUOTA_EXHAUSTED", "p-spare CONCURRENCY"]);
  assert.match(err.message, /pools tried: p \(QUOTA_EXHAUSTED\) p-spare \(CONCURRENCY\)/);
});
