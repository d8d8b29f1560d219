import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ErrorReply_Code, Outcome, SettleReplySchema, SettleRequestSchema, type SettleRequest } from "../../src/gen/quotahub_pb.js";
import { SettleMachine, type SettleOut } from "../../src/internal/settle-machine.js";
import { RetryPolicy } from "../../src/internal/retry.js";
import { HubRouter, SUSPECT_TTL_MS } from "../../src/internal/router.js";
import { AcquireSlots } from "../../src/internal/slots.js";
import type { Route } from "../../src/internal/subjects.js";
import { HubUnavailableError, QuotaHubError } from "../../src/errors.js";
import { scrub, truncateUtf8 } from "../../src/internal/text.js";
import { readUserPassword, resolveSecurity } from "../../src/internal/security.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

class FakeSettleOut implements SettleOut {
  sent: Array<{ route: Route; request: SettleRequest }> = [];
  endings: Array<Error | null> = [];
  waits: number[] = [];
  stopReason() { return null; }
  send(route: Route, request: SettleRequest) { this.sent.push({ route, request }); }
  wakeAfter(ms: number) { this.waits.push(ms); }
  ended(e: Error | null) { this.endings.push(e); }
  get last() { return this.sent[this.sent.length - 1]!; }
}

function settle(out: FakeSettleOut, router: HubRouter) {
  const req = create(SettleRequestSchema, { requestId: "r1", leaseId: "l1", agentId: "a", outcome: Outcome.OK, leaseSecret: "SECRET-xyz" });
  return new SettleMachine(out, router, new RetryPolicy(() => 0), req, "main", "p", 750, 5000, 0, () => 0,
    (t) => scrub(t, "sk-apikey-123456", "SECRET-xyz"));
}
const reply = (hubId: string, code?: ErrorReply_Code, message = "m") => create(SettleReplySchema, {
  hubId, settled: code === undefined, ...(code !== undefined ? { error: { errorCode: code, message } } : {}),
});

test("settle_goesToTheLeasesHubFirstThenTheQueueWithTheSameRequestIdAndTheSecret", () => {
  const router = new HubRouter(() => 0);
  router.onAnnouncement("main", true);
  router.onAnnouncement("edge", true);
  const out = new FakeSettleOut();
  const m = settle(out, router);
  m.start(0);
  assert.equal(out.last.route.subject, "qh.v1.hub.main.settle");
  assert.equal(out.last.request.leaseSecret, "SECRET-xyz");
  m.failed(750, out.last.route, "TIMEOUT");
  assert.equal(out.last.route.subject, "qh.v1.settle");
  assert.equal(out.sent[1]!.request.requestId, "r1");
  m.replied(800, out.last.route, reply("edge"));
  assert.deepEqual(out.endings, [null]);
});

test("settle_forbiddenEndsAtOnceWithoutTheSecretInTheMessage", () => {
  const out = new FakeSettleOut();
  const m = settle(out, new HubRouter(() => 0));
  m.start(0);
  m.replied(5, out.last.route, reply("main", ErrorReply_Code.FORBIDDEN, "bad proof SECRET-xyz"));
  const e = out.endings[0] as QuotaHubError;
  assert.equal(e.code, "FORBIDDEN");
  assert.ok(!e.message.includes("SECRET-xyz"));
  assert.equal(out.sent.length, 1);
});

test("settle_unknownLeaseIsAskedOfTheOtherRoutesThenFailsWithItsCode", () => {
  const router = new HubRouter(() => 0);
  router.onAnnouncement("main", true);
  const out = new FakeSettleOut();
  const m = settle(out, router);
  m.start(0);
  m.replied(5, out.last.route, reply("main", ErrorReply_Code.UNKNOWN_LEASE));
  assert.equal(out.sent.length, 2);
  m.replied(6000, out.last.route, reply("main", ErrorReply_Code.UNKNOWN_LEASE));
  assert.equal(out.waits.length, 0);
  assert.equal((out.endings[0] as QuotaHubError).code, "UNKNOWN_LEASE");
});

test("settle_noAnswerUntilTheTimeoutFailsWithHubUnavailable", () => {
  const out = new FakeSettleOut();
  const m = settle(out, new HubRouter(() => 0));
  m.start(0);
  m.failed(5001, out.last.route, "TIMEOUT");
  assert.ok(out.endings[0] instanceof HubUnavailableError);
});

test("router_aTimedOutHubIsTriedLastUntilItAnnouncesItselfReady", () => {
  const clock = { t: 0 };
  const r = new HubRouter(() => clock.t);
  r.onAnnouncement("main", true);
  r.onAnnouncement("edge", true);
  r.onReply({ subject: "qh.v1.acquire", hubId: null }, "main");
  r.onFailure({ subject: "qh.v1.acquire", hubId: null }, "TIMEOUT");
  assert.equal(r.nextAcquireRoute(new Set())!.subject, "qh.v1.hub.edge.acquire");
  r.onAnnouncement("main", true);
  assert.equal(r.nextAcquireRoute(new Set())!.subject, "qh.v1.acquire");
  r.onFailure({ subject: "qh.v1.hub.main.acquire", hubId: "main" }, "TIMEOUT");
  clock.t += SUSPECT_TTL_MS;
  assert.equal(r.nextAcquireRoute(new Set())!.subject, "qh.v1.acquire");
});

test("slots_overloadCutsTheLimitOncePer100msAndAnswersRaiseIt", () => {
  let now = 0;
  const s = new AcquireSlots(() => now);
  assert.ok(s.tryTake(() => undefined));
  s.release(true);
  assert.equal(s.limit, Math.floor(256 * 0.7));
  assert.ok(s.tryTake(() => undefined));
  s.release(true);
  assert.equal(s.limit, Math.floor(256 * 0.7), "a second signal within 100 ms is the same backlog");
  now = 100;
  assert.ok(s.tryTake(() => undefined));
  s.release(true);
  assert.equal(s.limit, Math.floor(256 * 0.7 * 0.7));
});

test("slots_aWaiterGetsTheSlotOfTheNextAnswer", () => {
  const s = new AcquireSlots(() => 0);
  for (let i = 0; i < 256; i++) assert.ok(s.tryTake(() => undefined));
  let woken = false;
  assert.equal(s.tryTake(() => { woken = true; }), false);
  const wake = s.release(false);
  assert.equal(wake.length, 1);
  wake[0]!();
  assert.ok(woken);
  assert.equal(s.inFlight, 256);
});

test("retry_aRefusalIsNeverRetriedBeforeItsRetryAfter", () => {
  const low = new RetryPolicy(() => 0);
  const high = new RetryPolicy(() => 0.999);
  assert.equal(low.afterRefusal(1000, false, 10_000), 1000);
  assert.ok(high.afterRefusal(1000, false, 10_000) < 1500);
  assert.equal(low.afterRefusal(1000, true, 10_000), 500);
  assert.equal(low.afterRefusal(1000, false, 300), 300, "cut to the time left");
  assert.equal(new RetryPolicy(() => 7).atLeast(100), 100, "an out-of-range draw never shortens a wait");
});

test("retry_everyHubOutOfBudget_isAskedAgainWithinHalfASecond", () => {
  const low = new RetryPolicy(() => 0);
  assert.equal(low.afterBudgetRefusal(36_000, 10_000), 500, "budgets move sooner than the window frees");
  assert.equal(low.afterBudgetRefusal(200, 10_000), 200, "never earlier than the retry-after");
  assert.equal(low.afterBudgetRefusal(36_000, 300), 300, "cut to the time left");
});

test("text_failureDetailsAreScrubbedBeforeTheyAreCut", () => {
  const key = "sk-live-abcdefghijklmnop";
  const s = scrub(`timeout calling with ${key}`, key, "");
  assert.ok(!s.includes(key));
  assert.ok(s.endsWith("…mnop"));
  assert.equal(truncateUtf8("é".repeat(100), 128), "é".repeat(64));
});

test("security_aUserGetsTheAgentInboxAndBadFilesAreNamedWithoutThePassword", () => {
  const dir = mkdtempSync(join(tmpdir(), "qh-node-"));
  const good = join(dir, "agents.userpass");
  writeFileSync(good, "agents:s3cret:with-colon\n");
  assert.deepEqual(readUserPassword(good), { user: "agents", pass: "s3cret:with-colon" });
  assert.equal(resolveSecurity({ userPasswordFile: good }).inboxPrefix, "_QH.agent.agents");
  assert.equal(resolveSecurity({ user: "u1", pass: "p" }).inboxPrefix, "_QH.agent.u1");
  assert.equal(resolveSecurity({ user: "u1", pass: "p", inboxPrefix: "_INBOX_x." }).inboxPrefix, "_INBOX_x");
  const bad = join(dir, "bad");
  writeFileSync(bad, "agents:pw\nmore:lines\n");
  assert.throws(() => readUserPassword(bad), (e: Error) => e.message.includes("several lines") && !e.message.includes("pw"));
  assert.throws(() => resolveSecurity({ user: "a.b", pass: "x" }), /cannot name an inbox/);
  assert.throws(() => resolveSecurity({ inboxPrefix: "_QH.>" }), /inboxPrefix/);
  assert.throws(() => resolveSecurity({ userPasswordFile: good, user: "u", pass: "p" }), /not several/);
});
