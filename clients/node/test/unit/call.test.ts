import { test } from "node:test";
import assert from "node:assert/strict";
import { Outcome, LimitKind } from "../../src/gen/quotahub_pb.js";
import { LeaseImpl, type LeaseSettler, type SettleExtras } from "../../src/lease.js";
import { anthropic, gemini, generic, openai, type ProviderReading } from "../../src/provider.js";
import {
  backoffMs, isNetworkError, retrySettings, runCall, type CallDeps, type CallPlan,
} from "../../src/internal/call-runner.js";
import { providerReport, settleRequest } from "../../src/internal/settle-request.js";

const API_KEY = "sk-proj-abcdefghijklmnop1234";

/** Records every settle as the hub would receive it. */
class RecordingSettler implements LeaseSettler {
  settles: Array<{ outcome: Outcome; tokensUsed: number; retryAfterMs: number; detail: string; extras?: SettleExtras }> = [];
  warnings: string[] = [];
  fail = false;
  async settle(_l: LeaseImpl, outcome: Outcome, tokensUsed: number, retryAfterMs: number, detail: string, extras?: SettleExtras) {
    this.settles.push({ outcome, tokensUsed, retryAfterMs, detail, extras });
    if (this.fail) throw new Error("no hub confirmed the settle");
  }
  warn(m: string) { this.warnings.push(m); }
}

let leases = 0;
function lease(settler: LeaseSettler, tokens = 1200): LeaseImpl {
  return new LeaseImpl(settler, { leaseId: `main-${++leases}`, pool: "p", keyId: "k1", apiKey: API_KEY, secret: "SECRET",
    tokens, expiresAt: new Date(0), hubId: "main" });
}

/** A client on a fake clock: sleeping advances it, the provider call takes `callMs`. */
function fakeDeps(settler: RecordingSettler, opts: { callMs?: number; acquireFails?: (n: number) => Error | null } = {}) {
  const clock = { t: 0, wall: Date.parse("2026-12-07T12:00:00Z") };
  const sleeps: number[] = [];
  const acquires: number[] = [];
  const settleFailures: unknown[] = [];
  const deps: CallDeps<LeaseImpl> = {
    acquire: async (wait) => {
      acquires.push(wait);
      const e = opts.acquireFails?.(acquires.length) ?? null;
      if (e !== null) throw e;
      return lease(settler);
    },
    now: () => clock.t,
    wallClock: () => clock.wall + clock.t,
    sleep: async (ms) => { sleeps.push(ms); clock.t += ms; },
    random: () => 0.5,
    settleFailed: (e) => settleFailures.push(e),
  };
  const call = <T>(result: () => T | Promise<T>) => async () => {
    clock.t += opts.callMs ?? 0;
    return result();
  };
  return { deps, clock, sleeps, acquires, settleFailures, call };
}

function plan<T>(over: Partial<CallPlan<T>> = {}): CallPlan<T> {
  return { adapter: generic, maxWaitMs: 5000, deadlineMs: Number.POSITIVE_INFINITY, retries: retrySettings(false), ...over };
}

function response(status: number, headers: Record<string, string>, body: unknown): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status, headers: { "content-type": "application/json", ...headers },
  });
}

test("call_anOkFetchResponseSettlesOkWithTheProvidersTokensLimitsAndTheCallsDuration", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler, { callMs: 412 });
  const res = response(200, { "x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms" }, { usage: { total_tokens: 29 } });
  const out = await runCall(f.deps, plan({ adapter: openai }), f.call(() => res));
  assert.equal(out, res, "the provider's result comes back as it was");
  assert.equal(await out.text(), JSON.stringify({ usage: { total_tokens: 29 } }), "its body was not consumed");
  const s = settler.settles[0]!;
  assert.equal(s.outcome, Outcome.OK);
  assert.equal(s.tokensUsed, 29);
  assert.equal(s.extras?.callDurationMs, 412);
  assert.deepEqual(s.extras?.reading?.limits, [{ kind: "REQUESTS", limit: 10000, remaining: 9999, resetAfterMs: 6 }]);
});

test("call_anOkAnswerWithoutUsageCompletesWithTheEstimate", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  await runCall(f.deps, plan(), f.call(() => response(200, {}, {})));
  assert.equal(settler.settles[0]!.outcome, Outcome.OK);
  assert.equal(settler.settles[0]!.tokensUsed, 1200);
});

test("call_a429SettlesRateLimitedWithTheRetryAfterAndIsNotRetriedByDefault", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  const res = await runCall(f.deps, plan(), f.call(() => response(429, { "retry-after": "3" }, "")));
  assert.equal(res.status, 429);
  assert.equal(settler.settles.length, 1);
  assert.equal(settler.settles[0]!.outcome, Outcome.RATE_LIMITED);
  assert.equal(settler.settles[0]!.retryAfterMs, 3000);
  assert.deepEqual(f.sleeps, []);
});

test("call_anAuthFailureSettlesAuthFailedAndIsNeverRetried", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  await runCall(f.deps, plan({ retries: retrySettings(true) }), f.call(() => response(401, {}, { error: { message: `bad key ${API_KEY}` } })));
  assert.deepEqual(settler.settles.map((s) => s.outcome), [Outcome.AUTH_FAILED]);
  assert.equal(f.acquires.length, 1);
});

test("call_anExceptionSettlesFailedWithItsNameOnlyAndIsRethrown", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler, { callMs: 7 });
  class ParseError extends Error { override name = "ParseError"; }
  await assert.rejects(runCall(f.deps, plan({ retries: retrySettings(true) }),
    f.call(() => { throw new ParseError(`cannot parse answer for key ${API_KEY}`); })), ParseError);
  const s = settler.settles[0]!;
  assert.equal(s.outcome, Outcome.ERROR);
  assert.equal(s.detail, "ParseError");
  assert.equal(s.tokensUsed, 1200, "the estimate counts as used");
  assert.equal(s.extras?.callDurationMs, 7);
  assert.equal(f.acquires.length, 1, "a programming error is not transient: no retry");
});

test("call_transientFailuresAreRetriedOnFreshLeasesAfterExponentialBackoff", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  let n = 0;
  const res = await runCall(f.deps, plan({ retries: retrySettings(true) }), f.call(() => {
    n++;
    if (n === 1) return response(503, {}, "");
    if (n === 2) return response(429, { "retry-after-ms": "500" }, "");
    if (n === 3) throw new TypeError("fetch failed", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) });
    return response(200, {}, {});
  }));
  assert.equal(res.status, 200);
  assert.equal(f.acquires.length, 4, "each attempt on a fresh lease");
  assert.deepEqual(f.sleeps, [1000, 2000, 4000], "1 s, 2 s, 4 s (the injected draw is the middle of the jitter)");
  assert.deepEqual(settler.settles.map((s) => s.outcome), [Outcome.ERROR, Outcome.RATE_LIMITED, Outcome.ERROR, Outcome.OK]);
  assert.equal(settler.settles[0]!.detail, "http 503", "a provider's error is named by its status");
  assert.equal(settler.settles[2]!.detail, "TypeError");
});

test("call_a429AskingForMoreThanTheBoundIsNotRetried", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  const res = await runCall(f.deps, plan({ retries: retrySettings({ maxRetryAfterMs: 10_000 }) }),
    f.call(() => response(429, { "retry-after": "360" }, "")));
  assert.equal(res.status, 429);
  assert.equal(f.acquires.length, 1);
});

test("call_retriesStopAtMaxRetriesAndReturnTheLastAnswer", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  const res = await runCall(f.deps, plan({ retries: retrySettings({ maxRetries: 2 }) }), f.call(() => response(502, {}, "")));
  assert.equal(res.status, 502);
  assert.equal(f.acquires.length, 3);
  assert.deepEqual(f.sleeps, [1000, 2000]);
});

test("call_theAnswersRetriedAwayAreFreedAndTheLastIsLeftToTheCaller", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  const answers = [response(503, {}, "a"), response(503, {}, "b"), response(200, {}, "c")];
  let n = 0;
  const res = await runCall(f.deps, plan({ retries: retrySettings(true) }), f.call(() => answers[n++]!));
  assert.equal(await res.text(), "c");
  await assert.rejects(answers[0]!.text(), "a discarded answer's body is cancelled");
});

test("call_noRetryStartsPastTheDeadlineAndEachAcquireWaitsOnlyWhatIsLeft", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler, { callMs: 500 });
  const res = await runCall(f.deps, plan({ deadlineMs: 2500, maxWaitMs: 5000, retries: retrySettings(true) }),
    f.call(() => response(503, {}, "")));
  assert.equal(res.status, 503);
  // attempt 1 ends at 500, sleeps 1000 → 1500; attempt 2 ends at 2000, a 2000 ms backoff would end past 2500
  assert.deepEqual(f.sleeps, [1000]);
  assert.deepEqual(f.acquires, [2500, 1000]);
});

test("call_aRetryThatGetsNoLeaseEndsWithTheProvidersLastWord", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler, { acquireFails: (n) => (n === 2 ? new Error("QuotaExhausted") : null) });
  const res = await runCall(f.deps, plan({ retries: retrySettings(true) }), f.call(() => response(503, {}, "")));
  assert.equal(res.status, 503);
  const first = fakeDeps(settler, { acquireFails: () => new Error("no lease") });
  await assert.rejects(runCall(first.deps, plan(), first.call(() => response(200, {}, {}))), /no lease/);
});

test("call_aProviderSdkErrorCarryingTheAnswerIsReadAsThatAnswer", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  // the shape of OpenAI's RateLimitError: status, headers, and the body's `error` member
  const sdkError = Object.assign(new Error("429 Rate limit reached"), {
    name: "RateLimitError", status: 429, headers: { "retry-after-ms": "1500" }, error: { code: "rate_limit_exceeded" },
  });
  await assert.rejects(runCall(f.deps, plan({ adapter: openai }), f.call(() => { throw sdkError; })), sdkError);
  assert.equal(settler.settles[0]!.outcome, Outcome.RATE_LIMITED);
  assert.equal(settler.settles[0]!.retryAfterMs, 1500);
  const quota = Object.assign(new Error("429 quota"), { status: 429, headers: {}, error: { code: "insufficient_quota" } });
  await assert.rejects(runCall(f.deps, plan({ adapter: openai }), f.call(() => { throw quota; })));
  assert.equal(settler.settles[1]!.outcome, Outcome.AUTH_FAILED);
});

test("call_withResponseDataAndResponseIsReadWithTheParsedDataAsBody", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  const raw = response(200, { "anthropic-ratelimit-requests-remaining": "49" }, {});
  await raw.text(); // the SDK consumed it
  const out = await runCall(f.deps, plan({ adapter: anthropic }),
    f.call(() => ({ data: { usage: { input_tokens: 12, output_tokens: 6 } }, response: raw })));
  assert.equal(out.data.usage.input_tokens, 12);
  assert.equal(settler.settles[0]!.tokensUsed, 18);
  assert.deepEqual(settler.settles[0]!.extras?.reading?.limits, [{ kind: "REQUESTS", remaining: 49 }]);
});

test("call_anAnswerHookReadsAnyHttpClientsResult", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  const body = JSON.stringify({ error: { code: 429, status: "RESOURCE_EXHAUSTED", details: [
    { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "13s" }] } });
  const result = { statusCode: 429, rawHeaders: { "content-type": "application/json" }, text: body };
  await runCall(f.deps, plan({ adapter: gemini, answer: (r: typeof result) => ({ status: r.statusCode, headers: r.rawHeaders, body: r.text }) }),
    f.call(() => result));
  assert.equal(settler.settles[0]!.outcome, Outcome.RATE_LIMITED);
  assert.equal(settler.settles[0]!.retryAfterMs, 13_000);
  const plainResult = fakeDeps(settler);
  await runCall(plainResult.deps, plan(), plainResult.call(() => "not an HTTP answer"));
  assert.equal(settler.settles[1]!.outcome, Outcome.OK, "a result that is no answer: the call went through");
  assert.equal(settler.settles[1]!.tokensUsed, 1200);
});

test("call_aSettleThatFailsIsReportedAndTheProvidersResultStillReturned", async () => {
  const settler = new RecordingSettler();
  settler.fail = true;
  const f = fakeDeps(settler);
  const res = await runCall(f.deps, plan(), f.call(() => response(200, {}, {})));
  assert.equal(res.status, 200);
  assert.equal(f.settleFailures.length, 1);
});

test("retries_badOptionsAreNamedAndOffIsTheDefault", () => {
  assert.equal(retrySettings(undefined).maxRetries, 0);
  assert.equal(retrySettings(true).maxRetries, 4);
  assert.throws(() => retrySettings({ maxRetries: -1 }), /retries.maxRetries/);
  assert.throws(() => retrySettings({ baseDelayMs: 0 }), /retries.baseDelayMs/);
  assert.throws(() => retrySettings({ baseDelayMs: 5000, maxDelayMs: 1000 }), /maxDelayMs/);
});

test("backoff_doublesFrom1sTo8sAndSpreadsHalfEitherSide", () => {
  const s = retrySettings(true);
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffMs(n, s, 0.5)), [1000, 2000, 4000, 8000, 8000]);
  assert.equal(backoffMs(1, s, 0), 500);
  assert.equal(backoffMs(4, s, 0.999), 11992);
  assert.equal(backoffMs(1, s, 7), 1000, "an out-of-range draw is taken as the middle");
});

test("networkErrors_areRecognisedThroughTheirCauses", () => {
  assert.ok(isNetworkError(new TypeError("fetch failed")));
  assert.ok(isNetworkError(new DOMException("timed out", "TimeoutError")));
  assert.ok(isNetworkError(new Error("x", { cause: Object.assign(new Error("y"), { code: "ECONNREFUSED" }) })));
  assert.ok(!isNetworkError(new TypeError("x is not a function")));
  assert.ok(!isNetworkError(new DOMException("aborted", "AbortError")), "the caller's own abort is no network failure");
});

// ---- the lease's side

test("lease_closedWithoutAnOutcomeSettlesUnknownWithTheEstimate", async () => {
  const settler = new RecordingSettler();
  const l = lease(settler, 300);
  await l.close();
  assert.deepEqual(settler.settles.map((s) => [s.outcome, s.tokensUsed]), [[Outcome.UNKNOWN, 300]]);
  await l.close();
  assert.equal(settler.settles.length, 1, "closing twice settles once");
  const reported = lease(settler);
  await reported.complete(10);
  await reported.close();
  assert.equal(settler.settles.length, 2, "a lease with an outcome is not settled again on close");
});

test("lease_awaitUsingWithoutAnOutcomeSettlesUnknown", async () => {
  const settler = new RecordingSettler();
  {
    await using l = lease(settler, 42);
    assert.equal(l.settled, false);
  }
  assert.deepEqual(settler.settles.map((s) => [s.outcome, s.tokensUsed]), [[Outcome.UNKNOWN, 42]]);
});

test("lease_settleWithMapsEachOutcomeAndMasksTheKeyInADetail", async () => {
  const settler = new RecordingSettler();
  await lease(settler).settleWith({ outcome: "OK", tokensUsed: 29, limits: [] }, { callDurationMs: 12 });
  await lease(settler).settleWith({ outcome: "RATE_LIMITED", retryAfterMs: 1500.4, limits: [] });
  await lease(settler).settleWith({ outcome: "AUTH_FAILED", limits: [] });
  await lease(settler).settleWith({ outcome: "ERROR", transient: true, limits: [] }, { detail: `boom ${API_KEY}` });
  assert.deepEqual(settler.settles.map((s) => [s.outcome, s.tokensUsed, s.retryAfterMs]),
    [[Outcome.OK, 29, 0], [Outcome.RATE_LIMITED, 0, 1500], [Outcome.AUTH_FAILED, 0, 0], [Outcome.ERROR, 1200, 0]]);
  assert.ok(!settler.settles[3]!.detail.includes(API_KEY));
  const l = lease(settler);
  await assert.rejects(l.settleWith({ outcome: "MAYBE" } as unknown as ProviderReading), TypeError);
  await assert.rejects(l.settleWith({ outcome: "OK", limits: [] }, { callDurationMs: -1 }), RangeError);
  assert.equal(l.settled, false, "bad input changes nothing");
});

// ---- the wire

test("settleRequest_carriesTheProvidersReportAndTheCallsDuration", () => {
  const reading = gemini.read({ status: 429, headers: {}, receivedAtMs: 0, body: JSON.stringify({ error: { details: [
    { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId: "GenerateRequestsPerMinute", quotaValue: "15" }] },
    { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "13s" }] } }) });
  const req = settleRequest({ requestId: "r", leaseId: "l", leaseSecret: "s", agentId: "a", outcome: Outcome.RATE_LIMITED,
    tokensUsed: 0, retryAfterMs: 13000, detail: "" }, { reading, callDurationMs: 412.6 });
  assert.equal(req.callDurationMs, 413n);
  assert.equal(req.provider?.quotaId, "GenerateRequestsPerMinute");
  const limit = req.provider!.limits[0]!;
  assert.equal(limit.kind, LimitKind.REQUESTS);
  assert.equal(limit.limit, 15n);
  assert.equal(limit.remaining, 0n);
  assert.equal(limit.resetAfterMs, 13000n);
});

test("settleRequest_leavesAbsentLimitFieldsAbsentAndSendsNoEmptyReport", () => {
  const report = providerReport({ outcome: "OK", limits: [{ kind: "TOKENS", remaining: 5 }] })!;
  assert.equal(report.limits[0]!.limit, undefined);
  assert.equal(report.limits[0]!.remaining, 5n);
  assert.equal(report.limits[0]!.resetAfterMs, undefined);
  assert.equal(providerReport({ outcome: "OK", limits: [] }), undefined);
  const plain = settleRequest({ requestId: "r", leaseId: "l", leaseSecret: "s", agentId: "a", outcome: Outcome.OK,
    tokensUsed: 1, retryAfterMs: 0, detail: "" });
  assert.equal(plain.provider, undefined);
  assert.equal(plain.callDurationMs, 0n);
});

test("call_anErrorWithAStatusButNoUsableHeadersIsReadByItsStatus", async () => {
  const settler = new RecordingSettler();
  const f = fakeDeps(settler);
  const odd = Object.assign(new Error("odd"), { name: "OddError", status: 500, headers: "not headers" });
  await assert.rejects(runCall(f.deps, plan(), f.call(() => { throw odd; })), odd);
  assert.deepEqual(settler.settles.map((s) => [s.outcome, s.detail]), [[Outcome.ERROR, "http 500"]]);
  const notAnAnswer = Object.assign(new Error("odd"), { name: "OddError", status: 200 });
  await assert.rejects(runCall(f.deps, plan(), f.call(() => { throw notAnAnswer; })), notAnAnswer);
  assert.deepEqual(settler.settles[1]!.detail, "OddError", "a thrown 200 is no provider failure: the error's name");
});
