"""Edge cases of the provider grammars and adapters: no hubs needed."""

import calendar
import http.client
import io
import json
import unittest
from email.message import Message

from quotahub import providers
from quotahub._parse import go_duration, header_map, http_date, proto_duration, rfc3339

NOON_MS = calendar.timegm((2026, 12, 7, 12, 0, 0, 0, 0, 0)) * 1000
NOON = NOON_MS / 1000


class GrammarTest(unittest.TestCase):

    def test_goDuration_readsEveryFormOpenAiWrites(self) -> None:
        cases = {"6m0s": 360_000, "1s": 1_000, "20ms": 20, "1m30.25s": 90_250, "1.5s": 1_500, "2h0m0s": 7_200_000, "0s": 0,
                 "0": 0, "500us": 1}
        for text, ms in cases.items():
            self.assertEqual(ms, go_duration(text), text)
        for bad in ["", "6", "6x", "m6s", "-1s", "1s ", "1 s", "1.s", "s", None]:
            self.assertIsNone(go_duration(bad), bad)

    def test_protoDuration_readsSecondsWithUpToNineDecimals(self) -> None:
        self.assertEqual(13_000, proto_duration("13s"))
        self.assertEqual(34_500, proto_duration("34.500s"))
        for bad in ["13", "-1s", "1.5m", "s", 13, None]:
            self.assertIsNone(proto_duration(bad), bad)

    def test_rfc3339_readsFractionsAndOffsets(self) -> None:
        self.assertEqual(NOON_MS + 12_500, rfc3339("2026-12-07T12:00:12.500Z"))
        self.assertEqual(NOON_MS + 1_000, rfc3339("2026-12-07T13:00:01+01:00"))
        self.assertEqual(NOON_MS, rfc3339("2026-12-07t12:00:00z"))
        for bad in ["2026-12-07T12:00:00", "2026-02-31T12:00:00Z", "tomorrow", "2026-12-07T25:00:00Z"]:
            self.assertIsNone(rfc3339(bad), bad)

    def test_httpDate_readsTheThreeFormsHttpAllowsAndRejectsTheRest(self) -> None:
        t = NOON_MS + 30_000
        self.assertEqual(t, http_date("Mon, 07 Dec 2026 12:00:30 GMT"))
        self.assertEqual(t, http_date("Monday, 07-Dec-26 12:00:30 GMT"))
        self.assertEqual(t, http_date("Mon Dec  7 12:00:30 2026"))
        for bad in ["2", "soon", "Mon, 31 Feb 2026 12:00:30 GMT", "Mon, 07 Dec 2026 12:00:30 CET"]:
            self.assertIsNone(http_date(bad), bad)

    def test_headers_matchCaseInsensitivelyWhateverTheirContainer(self) -> None:
        message = Message()
        message["Retry-After"] = "2"
        for headers in [{"RETRY-AFTER": "2"}, message, [("Retry-After", "2")], {"retry-after": ["2", "9"]}, [(b"retry-after", b"2")]]:
            self.assertEqual(2.0, providers.GENERIC.read(429, headers, received_at=NOON).retry_after, repr(headers))
        self.assertEqual({}, header_map(None))
        with self.assertRaises(TypeError):
            header_map("retry-after: 2")


class AdapterTest(unittest.TestCase):

    def read(self, adapter, status, headers=None, body=None, received_at=NOON):
        return adapter.read(status, headers, body, received_at=received_at)

    def test_retryAfter_aPastDateIsZero_andAnHttpDateIsReadFromTheReceiveTime(self) -> None:
        self.assertEqual(0.0, self.read(providers.GENERIC, 429, {"retry-after": "Mon, 07 Dec 2026 11:59:00 GMT"}).retry_after)
        self.assertEqual(20.0, self.read(providers.GENERIC, 429, {"retry-after": "Mon, 07 Dec 2026 12:00:30 GMT"},
                                         received_at=NOON + 10).retry_after)
        self.assertIsNone(self.read(providers.GENERIC, 429, {"retry-after": "-5"}).retry_after)

    def test_retryAfter_theLongestExhaustedResetWhenNoHeaderSaysIt(self) -> None:
        r = self.read(providers.OPENAI, 429, {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s",
                                              "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "7s"})
        self.assertEqual(7.0, r.retry_after)
        r = self.read(providers.OPENAI, 429, {"x-ratelimit-remaining-requests": "3", "x-ratelimit-reset-requests": "2s"})
        self.assertIsNone(r.retry_after)

    def test_statuses_classifyAsTheRulesSay(self) -> None:
        def outcome(status):
            r = self.read(providers.GENERIC, status)
            return r.outcome + ("" if r.transient is None else "/transient" if r.transient else "/permanent")
        self.assertEqual(["OK", "OK", "OK", "ERROR/permanent", "AUTH_FAILED", "AUTH_FAILED", "ERROR/permanent",
                          "ERROR/permanent", "RATE_LIMITED", "ERROR/transient", "ERROR/transient", "ERROR/transient"],
                         [outcome(s) for s in [200, 204, 304, 400, 401, 403, 404, 408, 429, 500, 503, 529]])

    def test_badInput_isAClearErrorNamingTheField(self) -> None:
        with self.assertRaisesRegex(ValueError, "status must be an HTTP status 100-599, was 99"):
            providers.GENERIC.read(99)
        for bad in [200.0, True, "200"]:
            with self.assertRaises(ValueError):
                providers.GENERIC.read(bad)
        with self.assertRaisesRegex(ValueError, "received_at"):
            providers.GENERIC.read(200, received_at=float("nan"))
        with self.assertRaises(TypeError):
            providers.GENERIC.read(200, 42)

    def test_malformedHeadersAndBodies_areIgnoredNotMisread(self) -> None:
        r = self.read(providers.OPENAI, 200, {"x-ratelimit-limit-requests": "ten", "x-ratelimit-remaining-requests": "-1",
                                              "x-ratelimit-reset-requests": "soon", "x-ratelimit-limit-tokens": "1e6"}, "{not json")
        self.assertEqual(providers.ProviderReading(outcome="OK"), r)
        r = self.read(providers.GEMINI, 429, body=json.dumps({"error": {"details": "nope"}}))
        self.assertEqual(providers.ProviderReading(outcome="RATE_LIMITED"), r)
        self.assertIsNone(self.read(providers.OPENAI, 200, body=b"\xff\xfe").tokens_used)

    def test_gemini_anErrorInsideAnArrayIsRead_andAnUnsafeQuotaIdIsDropped(self) -> None:
        body = json.dumps([{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                {"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_output_token_count",
                 "quotaId": "key sk-abc leaked", "quotaValue": "8000"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}]}}])
        r = self.read(providers.GEMINI, 429, body=body)
        self.assertIsNone(r.quota_id)
        self.assertEqual(2.0, r.retry_after)
        self.assertEqual((providers.ProviderLimit("OUTPUT_TOKENS", 8000, 0, 2.0),), r.limits)

    def test_anthropic_countsCacheCreationButNotCacheReads(self) -> None:
        body = json.dumps({"usage": {"input_tokens": 10, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000,
                                     "output_tokens": 5}})
        self.assertEqual(115, self.read(providers.ANTHROPIC, 200, body=body).tokens_used)

    def test_openai_responsesApiUsageIsCountedToo(self) -> None:
        self.assertEqual(10, self.read(providers.OPENAI, 200, body='{"usage":{"input_tokens":7,"output_tokens":3}}').tokens_used)

    def test_anHttpClientResponse_isReadWithItsBody(self) -> None:
        raw = (b"HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 1500\r\nContent-Length: 2\r\n\r\n{}")

        class Sock:
            def makefile(self, mode):
                return io.BytesIO(raw)
        response = http.client.HTTPResponse(Sock())
        response.begin()
        reading = providers.OPENAI.read_answer(response, received_at=NOON)
        self.assertEqual(("RATE_LIMITED", 1.5), (reading.outcome, reading.retry_after))


if __name__ == "__main__":
    unittest.main()
