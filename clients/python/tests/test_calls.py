"""QuotaClient.call and the lease's settles against a fake hub and a fake provider: no real hubs needed."""

import asyncio
import json
import math
import unittest
import urllib.error
import urllib.request

from quotahub import AsyncQuotaClient, QuotaClient, Retries, providers
from quotahub.calls import CallDeps, CallPlan, is_network_error, run_call, run_call_async
from quotahub.providers import HttpAnswer, ProviderReading, answer_of

from .fakes import API_KEY, FakeServer


def post(url: str, api_key: str = API_KEY):
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Authorization": f"Bearer {api_key}"})
    return urllib.request.urlopen(request, timeout=5)


class CallAgainstFakesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = FakeServer().__enter__()  # one server: its shutdown polls every 0.5 s

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.__exit__(None, None, None)

    def setUp(self) -> None:
        self.server.completes.clear()
        self.server.acquires.clear()
        self.qh = QuotaClient([self.server.url], agent_id="py-unit", discover_peer=False, heartbeat_interval=3600,
                              providers={"gpt": "openai"})

    def tearDown(self) -> None:
        self.qh.close()

    def test_call_withAUrllibResponse_settlesOkWithTheProvidersTokensLimitsAndDuration(self) -> None:
        url = self.server.provider(200, {"x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999",
                                         "x-ratelimit-reset-requests": "6ms"})
        answer = self.qh.call("gpt", tokens=1200, fn=lambda lease: post(url, lease.api_key))
        self.assertIsInstance(answer, HttpAnswer, "a response is read once: its body comes back held")
        self.assertEqual(200, answer.status)
        self.assertEqual({"usage": {"total_tokens": 29}}, answer.json())
        complete = self.server.completes[0]
        self.assertEqual("OK", complete["outcome"])
        self.assertEqual(29, complete["tokensUsed"])
        self.assertGreaterEqual(complete["callDurationMs"], 0)
        self.assertEqual({"limits": [{"kind": "REQUESTS", "limit": 10000, "remaining": 9999, "resetAfterMs": 6}]},
                         complete["provider"])

    def test_call_aRaisedHttpError_isReadAsTheAnswer_andRaisedAgainWithItsBodyIntact(self) -> None:
        url = self.server.provider(429, {"retry-after": "3"})
        with self.assertRaises(urllib.error.HTTPError) as raised:
            self.qh.call("any", tokens=10, fn=lambda lease: post(url))
        self.assertEqual(429, raised.exception.code)
        self.assertEqual({"usage": {"total_tokens": 29}}, json.loads(raised.exception.read()), "the caller can still read it")
        self.assertEqual({"tokensUsed": 0, "outcome": "RATE_LIMITED", "retryAfterMs": 3000},
                         {k: v for k, v in self.server.completes[0].items() if k != "callDurationMs"})

    def test_call_anExceptionOfTheCode_settlesFailedWithItsClassOnly(self) -> None:
        def broken(lease):
            raise KeyError(f"no field in answer for {lease.api_key}")
        with self.assertRaises(KeyError):
            self.qh.call("any", tokens=10, fn=broken, retries=True)
        complete = self.server.completes[0]
        self.assertEqual(("ERROR", "KeyError", 10), (complete["outcome"], complete["detail"], complete["tokensUsed"]))
        self.assertNotIn(API_KEY, json.dumps(self.server.completes))
        self.assertEqual(1, len(self.server.acquires), "an error of the code is not retried")

    def test_call_aResultThatIsNoAnswer_completesWithTheEstimate(self) -> None:
        self.assertEqual("done", self.qh.call("any", tokens=77, fn=lambda lease: "done"))
        self.assertEqual(("OK", 77), (self.server.completes[0]["outcome"], self.server.completes[0]["tokensUsed"]))

    def test_call_badArguments_areNamed_andAcquireNothing(self) -> None:
        with self.assertRaisesRegex(ValueError, "tokens"):
            self.qh.call("any", tokens=0, fn=lambda lease: None)
        with self.assertRaisesRegex(ValueError, "provider must be"):
            self.qh.call("any", tokens=1, fn=lambda lease: None, provider="azure")
        with self.assertRaisesRegex(TypeError, "retries"):
            self.qh.call("any", tokens=1, fn=lambda lease: None, retries=3)
        with self.assertRaisesRegex(TypeError, "fn"):
            self.qh.call("any", tokens=1, fn=None)
        with self.assertRaisesRegex(ValueError, "provider must be"):
            QuotaClient([self.server.url], discover_peer=False, providers={"p": "nope"})
        self.assertEqual([], self.server.acquires)

    def test_withLease_leftWithoutAnOutcome_settlesUnknownWithTheEstimate(self) -> None:
        with self.qh.acquire("any", tokens=300) as lease:
            pass
        self.assertTrue(lease.settled)
        self.assertEqual({"tokensUsed": 300, "outcome": "UNKNOWN"}, self.server.completes[0])

    def test_withLease_leftByAnException_settlesFailedWithTheClassOnly(self) -> None:
        with self.assertRaises(ValueError):
            with self.qh.acquire("any", tokens=300):
                raise ValueError(f"provider said no to {API_KEY}")
        self.assertEqual("ERROR", self.server.completes[0]["outcome"])
        self.assertEqual("ValueError", self.server.completes[0]["detail"])

    def test_failedDetail_masksTheKey(self) -> None:
        lease = self.qh.acquire("any", tokens=1)
        lease.failed(f"timeout calling with {API_KEY}")
        self.assertEqual("timeout calling with …wxyz", self.server.completes[0]["detail"])

    def test_settleWith_badInputChangesNothing(self) -> None:
        lease = self.qh.acquire("any", tokens=1)
        with self.assertRaises(TypeError):
            lease.settle_with({"outcome": "OK"})
        with self.assertRaises(ValueError):
            lease.settle_with(ProviderReading(outcome="OK"), call_duration=-1)
        with self.assertRaises(ValueError):
            lease.settle_with(ProviderReading(outcome="MAYBE"))
        self.assertFalse(lease.settled)
        self.assertEqual([], self.server.completes)
        self.assertTrue(lease.settle_with(ProviderReading(outcome="ERROR", transient=True), call_duration=0.25))
        self.assertEqual({"tokensUsed": 1, "outcome": "ERROR", "detail": "provider error (transient)", "callDurationMs": 250},
                         self.server.completes[0])

    def test_asyncCall_runsACoroutineFunction_andSettlesFromItsAnswer(self) -> None:
        body = json.dumps({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "13s"}]}})

        async def run():
            async with AsyncQuotaClient([self.server.url], discover_peer=False, heartbeat_interval=3600) as qh:
                async def ask(lease):
                    await asyncio.sleep(0)
                    return 429, {"content-type": "application/json"}, body
                return await qh.call("gemini-pro", tokens=5, fn=ask, provider=providers.GEMINI)
        status, _, _ = asyncio.run(run())
        self.assertEqual(429, status)
        self.assertEqual(("RATE_LIMITED", 13000), (self.server.completes[0]["outcome"], self.server.completes[0]["retryAfterMs"]))


class FakeLease:
    def __init__(self, log):
        self.log = log

    def settle_with(self, reading, call_duration=None, detail=None):
        self.log.append((reading.outcome, reading.retry_after, detail, call_duration))
        return True

    def settle_unknown(self, call_duration=None):
        self.log.append(("UNKNOWN", None, None, call_duration))
        return True


class Clock:
    """A fake clock: sleeping advances it; the provider call takes ``call_time``."""

    def __init__(self, call_time=0.0):
        self.t = 0.0
        self.call_time = call_time
        self.sleeps = []
        self.waits = []
        self.settles = []

    def deps(self, acquire_fails=None):
        def acquire(wait):
            self.waits.append(wait)
            if acquire_fails is not None and acquire_fails(len(self.waits)):
                raise RuntimeError("no lease")
            return FakeLease(self.settles)

        def sleep(seconds):
            self.sleeps.append(seconds)
            self.t += seconds
        return CallDeps(acquire=acquire, now=lambda: self.t, wall_clock=lambda: 1_796_644_800 + self.t, sleep=sleep,
                        random=lambda: 0.5, settle_failed=lambda e: None)

    def fn(self, *answers):
        todo = list(answers)

        def call(lease):
            self.t += self.call_time
            answer = todo.pop(0) if len(todo) > 1 else todo[0]
            if isinstance(answer, BaseException):
                raise answer
            return answer
        return call


def plan(retries=None, deadline=math.inf, max_wait=5.0, adapter=providers.GENERIC):
    return CallPlan(adapter=adapter, max_wait=max_wait, deadline=deadline, retries=retries or Retries(max_retries=0))


class RetryTest(unittest.TestCase):

    def test_transientFailures_areRetriedOnFreshLeases_after1s2s4s(self) -> None:
        clock = Clock()
        result = run_call(clock.deps(), plan(Retries()), clock.fn(
            (503, {}, ""), (429, {"retry-after-ms": "500"}, ""), ConnectionResetError("reset"), (200, {}, "{}")))
        self.assertEqual(200, result[0])
        self.assertEqual([1.0, 2.0, 4.0], clock.sleeps)
        self.assertEqual(4, len(clock.waits))
        self.assertEqual(["ERROR", "RATE_LIMITED", "ERROR", "OK"], [s[0] for s in clock.settles])
        self.assertEqual("http 503", clock.settles[0][2], "a provider's error is named by its status")
        self.assertEqual("ConnectionResetError", clock.settles[2][2])

    def test_noRetries_byDefault(self) -> None:
        clock = Clock()
        self.assertEqual(503, run_call(clock.deps(), plan(), clock.fn((503, {}, "")))[0])
        self.assertEqual([], clock.sleeps)

    def test_authFailures_otherClientErrors_andLongRetryAfters_areNotRetried(self) -> None:
        for answer in [(401, {}, ""), (400, {}, ""), (429, {"retry-after": "360"}, "")]:
            clock = Clock()
            run_call(clock.deps(), plan(Retries()), clock.fn(answer))
            self.assertEqual(1, len(clock.waits), answer)

    def test_retriesStop_atMaxRetries_andReturnTheLastAnswer(self) -> None:
        clock = Clock()
        self.assertEqual(502, run_call(clock.deps(), plan(Retries(max_retries=2)), clock.fn((502, {}, "")))[0])
        self.assertEqual([1.0, 2.0], clock.sleeps)

    def test_noRetryStartsPastTheDeadline_andEachAcquireWaitsWhatIsLeft(self) -> None:
        clock = Clock(call_time=0.5)
        run_call(clock.deps(), plan(Retries(), deadline=2.5), clock.fn((503, {}, "")))
        self.assertEqual([1.0], clock.sleeps)
        self.assertEqual([2.5, 1.0], clock.waits)

    def test_aRetryThatGetsNoLease_endsWithTheProvidersLastWord(self) -> None:
        clock = Clock()
        error = TimeoutError("read timed out")
        with self.assertRaises(TimeoutError):
            run_call(clock.deps(acquire_fails=lambda n: n == 2), plan(Retries()), clock.fn(error))
        first = Clock()
        with self.assertRaisesRegex(RuntimeError, "no lease"):
            run_call(first.deps(acquire_fails=lambda n: True), plan(), first.fn((200, {}, "")))

    def test_anErrorWhoseAnswerCannotBeRead_isStillSettledAsAFailure(self) -> None:
        class OddError(Exception):
            status_code = 500
            headers = "not headers"
            text = ""

        class Wrapper(Exception):
            response = OddError()
        clock = Clock()
        with self.assertRaises(Wrapper):
            run_call(clock.deps(), plan(), clock.fn(Wrapper()))
        self.assertEqual([("ERROR", "Wrapper")], [(s[0], s[2]) for s in clock.settles])

    def test_anInterruptSettlesUnknown_andPropagates(self) -> None:
        clock = Clock()
        with self.assertRaises(KeyboardInterrupt):
            run_call(clock.deps(), plan(Retries()), clock.fn(KeyboardInterrupt()))
        self.assertEqual("UNKNOWN", clock.settles[0][0])

    def test_theAsyncLoop_sleepsThroughItsInjectedSleep(self) -> None:
        clock = Clock()

        async def acquire(wait):
            clock.waits.append(wait)
            return AsyncFakeLease(clock.settles)

        async def sleep(seconds):
            clock.sleeps.append(seconds)
            clock.t += seconds

        deps = CallDeps(acquire=acquire, now=lambda: clock.t, wall_clock=lambda: 0.0, sleep=sleep, random=lambda: 0.0,
                        settle_failed=lambda e: None)
        answers = [(503, {}, ""), (200, {}, "")]

        async def ask(lease):
            return answers.pop(0)
        result = asyncio.run(run_call_async(deps, plan(Retries()), ask))
        self.assertEqual(200, result[0])
        self.assertEqual([0.5], clock.sleeps, "the lowest draw: half the first backoff")

    def test_retriesValidateEachField(self) -> None:
        for bad in [dict(max_retries=-1), dict(base_delay=0), dict(max_delay=0.5), dict(max_retry_after=float("nan"))]:
            with self.assertRaises(ValueError, msg=str(bad)):
                Retries(**bad)
        r = Retries()
        self.assertEqual([1.0, 2.0, 4.0, 8.0, 8.0], [r.backoff(n, 0.5) for n in range(1, 6)])
        self.assertEqual(0.5, r.backoff(1, 0.0))
        self.assertEqual(1.0, r.backoff(1, 7), "an out-of-range draw is taken as the middle")

    def test_networkErrors_areRecognised_butAnHttpErrorIsAnAnswer(self) -> None:
        self.assertTrue(is_network_error(TimeoutError()))
        self.assertTrue(is_network_error(urllib.error.URLError("refused")))
        self.assertTrue(is_network_error(ConnectionRefusedError()))
        self.assertFalse(is_network_error(ValueError()))
        self.assertFalse(is_network_error(urllib.error.HTTPError("http://x", 503, "x", {}, None)))


class AsyncFakeLease(FakeLease):
    async def settle_with(self, reading, call_duration=None, detail=None):
        return FakeLease.settle_with(self, reading, call_duration, detail)


class AnswerOfTest(unittest.TestCase):

    def test_understandsTuples_httpxLikeResponses_andSdkErrorsCarryingThem(self) -> None:
        self.assertEqual(HttpAnswer(200, {}, "x"), answer_of((200, {}, "x")))
        self.assertIsNone(answer_of("text"))
        self.assertIsNone(answer_of((True, {}, "")))

        class Response:  # requests/httpx: status_code, headers, text
            status_code = 429
            headers = {"Retry-After": "2"}
            text = "{}"

        class APIStatusError(Exception):  # the OpenAI SDK's: the response on .response
            response = Response()

        class Raw:  # .with_raw_response: the httpx response on .http_response
            http_response = Response()
            status_code = 429
            headers = {}

        for source in (Response(), APIStatusError("429"), Raw()):
            reading = providers.OPENAI.read_answer(source, received_at=0)
            self.assertEqual(("RATE_LIMITED", 2.0), (reading.outcome, reading.retry_after), type(source).__name__)
        with self.assertRaises(TypeError):
            providers.OPENAI.read_answer(object())


if __name__ == "__main__":
    unittest.main()
