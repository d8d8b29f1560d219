import { test } from "node:test";
import assert from "node:assert/strict";
import { anthropic, gemini, generic, openai } from "../../src/provider.js";
import { goDuration, headerMap, httpDate, protoDuration, rfc3339 } from "../../src/internal/provider-parse.js";

const NOON = Date.parse("2026-12-07T12:00:00Z");

test("goDuration_readsEveryFormOpenAiWrites", () => {
  assert.equal(goDuration("6m0s"), 360_000);
  assert.equal(goDuration("1s"), 1_000);
  assert.equal(goDuration("20ms"), 20);
  assert.equal(goDuration("1m30.25s"), 90_250);
  assert.equal(goDuration("1.5s"), 1_500);
  assert.equal(goDuration("2h0m0s"), 7_200_000);
  assert.equal(goDuration("0s"), 0);
  assert.equal(goDuration("0"), 0);
  assert.equal(goDuration("500us"), 1, "sub-millisecond parts round");
  for (const bad of ["", "6", "6x", "m6s", "-1s", "1s ", "1 s", "1.s", "s"]) assert.equal(goDuration(bad), undefined, bad);
});

test("protoDuration_readsSecondsWithUpToNineDecimals", () => {
  assert.equal(protoDuration("13s"), 13_000);
  assert.equal(protoDuration("34.500s"), 34_500);
  assert.equal(protoDuration("0.000000001s"), 0);
  for (const bad of ["13", "-1s", "1.5m", "s", 13, null]) assert.equal(protoDuration(bad), undefined, String(bad));
});

test("rfc3339_readsFractionsAndOffsets", () => {
  assert.equal(rfc3339("2026-12-07T12:00:12.500Z"), NOON + 12_500);
  assert.equal(rfc3339("2026-12-07T13:00:01+01:00"), NOON + 1_000);
  assert.equal(rfc3339("2026-12-07t12:00:00z"), NOON);
  for (const bad of ["2026-12-07T12:00:00", "2026-02-31T12:00:00Z", "tomorrow", "2026-12-07T25:00:00Z"]) {
    assert.equal(rfc3339(bad), undefined, bad);
  }
});

test("httpDate_readsTheThreeFormsHttpAllowsAndRejectsTheRest", () => {
  const t = NOON + 30_000;
  assert.equal(httpDate("Mon, 07 Dec 2026 12:00:30 GMT"), t);
  assert.equal(httpDate("Monday, 07-Dec-26 12:00:30 GMT"), t);
  assert.equal(httpDate("Mon Dec  7 12:00:30 2026"), t);
  for (const bad of ["2", "soon", "Mon, 31 Feb 2026 12:00:30 GMT", "Mon, 07 Dec 2026 12:00:30 CET"]) {
    assert.equal(httpDate(bad), undefined, bad);
  }
});

test("headers_matchCaseInsensitivelyWhateverTheirContainer", () => {
  const expectMs = (headers: Parameters<typeof headerMap>[0]) =>
    generic.read({ status: 429, headers, receivedAtMs: NOON }).retryAfterMs;
  assert.equal(expectMs({ "RETRY-AFTER": "2" }), 2_000);
  assert.equal(expectMs(new Headers({ "Retry-After": "2" })), 2_000);
  assert.equal(expectMs(new Map([["retry-after", "2"]])), 2_000);
  assert.equal(expectMs([["Retry-After", "2"]]), 2_000);
  assert.equal(expectMs({ "retry-after": ["2", "9"] }), 2_000, "Node's http gives arrays: the first counts");
  assert.equal(expectMs(null), undefined);
});

test("retryAfter_aPastDateIsZeroAndAnHttpDateIsReadFromTheReceiveTime", () => {
  const r = (value: string, receivedAtMs: number) => generic.read({ status: 429, headers: { "retry-after": value }, receivedAtMs }).retryAfterMs;
  assert.equal(r("Mon, 07 Dec 2026 11:59:00 GMT", NOON), 0);
  assert.equal(r("Mon, 07 Dec 2026 12:00:30 GMT", NOON + 10_000), 20_000);
  assert.equal(r("-5", NOON), undefined, "a negative wait is no wait the provider asked for");
});

test("retryAfter_theLongestExhaustedResetWhenNoHeaderSaysIt", () => {
  const r = openai.read({ status: 429, receivedAtMs: NOON, headers: {
    "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s",
    "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "7s",
  } });
  assert.equal(r.retryAfterMs, 7_000);
  const notExhausted = openai.read({ status: 429, receivedAtMs: NOON, headers: { "x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "2s" } });
  assert.equal(notExhausted.retryAfterMs, undefined);
});

test("statuses_classifyAsTheRulesSay", () => {
  const outcome = (status: number) => {
    const r = generic.read({ status, receivedAtMs: NOON });
    return r.outcome + (r.transient === undefined ? "" : r.transient ? "/transient" : "/permanent");
  };
  assert.deepEqual([200, 204, 304, 400, 401, 403, 404, 408, 429, 500, 503, 529].map(outcome), [
    "OK", "OK", "OK", "ERROR/permanent", "AUTH_FAILED", "AUTH_FAILED", "ERROR/permanent", "ERROR/permanent", "RATE_LIMITED",
    "ERROR/transient", "ERROR/transient", "ERROR/transient"]);
});

test("badInput_isAClearErrorNamingTheField", () => {
  assert.throws(() => generic.read({ status: 99 }), /status must be an HTTP status 100-599, was 99/);
  assert.throws(() => generic.read({ status: 200.5 }), RangeError);
  assert.throws(() => generic.read({ status: 200, headers: "retry-after: 1" as never }), /headers must be/);
  assert.throws(() => generic.read(null as never), TypeError);
  assert.throws(() => generic.read({ status: 200, receivedAtMs: Number.NaN }), /receivedAtMs/);
});

test("malformedHeadersAndBodiesAreIgnoredNotMisread", () => {
  const r = openai.read({ status: 200, receivedAtMs: NOON, body: "{not json", headers: {
    "x-ratelimit-limit-requests": "ten", "x-ratelimit-remaining-requests": "-1", "x-ratelimit-reset-requests": "soon",
    "x-ratelimit-limit-tokens": "1e6",
  } });
  assert.deepEqual(r, { outcome: "OK", limits: [] });
  const g = gemini.read({ status: 429, receivedAtMs: NOON, body: JSON.stringify({ error: { details: "nope" } }) });
  assert.deepEqual(g, { outcome: "RATE_LIMITED", limits: [] });
});

test("gemini_anErrorInsideAnArrayIsReadAndAnUnsafeQuotaIdIsDropped", () => {
  const body = JSON.stringify([{ error: { code: 429, status: "RESOURCE_EXHAUSTED", details: [
    { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [
      { quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_output_token_count", quotaId: "key sk-abc leaked", quotaValue: "8000" }] },
    { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" }] } }]);
  const r = gemini.read({ status: 429, receivedAtMs: NOON, body });
  assert.equal(r.quotaId, undefined);
  assert.equal(r.retryAfterMs, 2_000);
  assert.deepEqual(r.limits, [{ kind: "OUTPUT_TOKENS", limit: 8000, remaining: 0, resetAfterMs: 2_000 }]);
});

test("anthropic_countsCacheCreationButNotCacheReads", () => {
  const body = JSON.stringify({ usage: { input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 5 } });
  assert.equal(anthropic.read({ status: 200, body, receivedAtMs: NOON }).tokensUsed, 115);
});

test("openai_responsesApiUsageIsCountedToo", () => {
  const body = JSON.stringify({ usage: { input_tokens: 7, output_tokens: 3 } });
  assert.equal(openai.read({ status: 200, body, receivedAtMs: NOON }).tokensUsed, 10);
});

test("readResponse_readsJsonBodiesFromAClone_andNeverWaitsForAStream", async () => {
  const json = new Response(JSON.stringify({ usageMetadata: { totalTokenCount: 20 } }), { status: 200, headers: { "content-type": "application/json" } });
  assert.equal((await gemini.readResponse(json, NOON)).tokensUsed, 20);
  assert.equal(json.bodyUsed, false, "the caller can still read it");
  let pulled = false;
  const stream = new ReadableStream({ pull() { pulled = true; } }, { highWaterMark: 0 });
  const sse = new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } });
  assert.deepEqual(await openai.readResponse(sse, NOON), { outcome: "OK", limits: [] });
  assert.equal(sse.bodyUsed, false);
  assert.equal(pulled, false);
});
