"""The Python client against two real hubs (see hubs.py): leases, refusals, waiting, every exception, heartbeats."""

import time
import unittest
import uuid

from quotahub import HubUnavailableError, QuotaClient, QuotaExhaustedError, QuotaHubError

from .hubs import TOKEN, URLS, require_hubs


def client(**kwargs) -> QuotaClient:
    kwargs.setdefault("agent_id", "py-" + uuid.uuid4().hex[:8])
    return QuotaClient(URLS, token=TOKEN, **kwargs)


def fill(qh: QuotaClient, pool: str, within: float) -> int:
    """Takes (and completes) leases of ``pool`` until a pool of 2 requests is full; returns how many."""
    granted = 0
    deadline = time.monotonic() + within
    while granted < 2 and time.monotonic() < deadline:
        lease = qh.try_acquire(pool, tokens=1)
        if lease is None:
            time.sleep(0.05)
            continue
        lease.complete()
        granted += 1
    return granted


class ClientTest(unittest.TestCase):

    def setUp(self) -> None:
        require_hubs(self)

    def test_aFullPoolWithAFallback_isServedByTheFallback_andFallbackFalseGetsThePoolsOwnRefusal(self) -> None:
        with client() as qh:
            granted = 0
            deadline = time.monotonic() + 5.0
            while granted < 2 and time.monotonic() < deadline:  # "first": 2 an hour, half on each hub
                try:
                    qh.acquire("first", tokens=1, max_wait=0, fallback=False).complete()
                    granted += 1
                except QuotaExhaustedError:
                    time.sleep(0.05)
            self.assertEqual(2, granted)

            with qh.acquire("first", tokens=1, max_wait=1.0) as spare:
                self.assertEqual("spare", spare.pool)
                self.assertEqual("s1", spare.key_id)
                self.assertEqual("first", spare.requested_pool)
            with self.assertRaises(QuotaExhaustedError) as refused:
                qh.acquire("first", tokens=1, max_wait=0.3, fallback=False)
            self.assertEqual("first", refused.exception.pool)
            self.assertEqual([], refused.exception.tried)

    def test_acquire_grantsALeaseFromTheLocalHub_andCompleteSettlesIt(self) -> None:
        with client() as qh:
            lease = qh.acquire("py", tokens=100, max_wait=2.0)
            self.assertTrue(lease.api_key.startswith("sk-"))
            self.assertEqual("main", lease.hub_id)
            self.assertEqual("k1", lease.key_id)
            self.assertNotIn(lease.api_key, repr(lease))
            self.assertIn(lease.lease_id, [l.lease_id for l in qh.held()])
            self.assertTrue(lease.complete(tokens_used=80))
            self.assertEqual([], qh.held())
            with self.assertRaises(RuntimeError):
                lease.complete(tokens_used=80)

    def test_aLeaseLeftByAnException_isSettledAsFailed_andOneLeftWithoutOutcome_asUnknown(self) -> None:
        # a pool of its own: its failures in a row would open the circuit of a key other tests use
        with client() as qh:
            with self.assertRaises(ValueError):
                with qh.acquire("fails", tokens=10) as lease:
                    raise ValueError("provider said no")
            self.assertTrue(lease.settled)
            with qh.acquire("fails", tokens=10) as quiet:
                pass
            self.assertTrue(quiet.settled)
            with qh.acquire("fails", tokens=10) as limited:
                limited.rate_limited(retry_after=0.0)
            self.assertEqual([], qh.held())

    def test_aRefusal_carriesRetryAfterAndTheCode_andTryAcquireAnswersNone(self) -> None:
        with client() as qh:
            # the hour's two requests, granted by either hub as the budgets stand (they move
            # towards demand, and a unit in transfer makes a hub refuse for a moment)
            self.assertEqual(2, fill(qh, "refuse", within=10.0))
            self.assertIsNone(qh.try_acquire("refuse", tokens=1))
            with self.assertRaises(QuotaExhaustedError) as refused:
                qh.acquire("refuse", tokens=1, max_wait=0)
            self.assertGreater(refused.exception.retry_after, 0)
            self.assertIn(refused.exception.code, ("QUOTA_EXHAUSTED", "BUDGET_EXHAUSTED"))
            self.assertEqual("refuse", refused.exception.pool)
            self.assertIsInstance(refused.exception, QuotaHubError)

    def test_aWaitingAcquire_succeedsOnceTheWindowFrees(self) -> None:
        with client() as qh:
            self.assertEqual(2, fill(qh, "wait", within=2.0))  # the window: 2 per 3 s
            with self.assertRaises(QuotaExhaustedError):
                qh.acquire("wait", tokens=1, max_wait=0)
            started = time.monotonic()
            with qh.acquire("wait", tokens=1, max_wait=8.0) as lease:
                waited = time.monotonic() - started
                lease.complete(tokens_used=1)
            self.assertGreater(waited, 0.3, "it was granted only once the window freed")

    def test_unknownPool_isAQuotaHubErrorWithTheHubsCode(self) -> None:
        with client() as qh:
            with self.assertRaises(QuotaHubError) as error:
                qh.acquire("no-such-pool", tokens=1)
            self.assertEqual("UNKNOWN_POOL", error.exception.code)
            self.assertEqual(404, error.exception.status)
            with self.assertRaises(ValueError):
                qh.acquire("py", tokens=0)

    def test_aWrongToken_isUnauthorized(self) -> None:
        with QuotaClient(URLS, agent_id="py-intruder", token="qh-not-a-token") as qh:
            with self.assertRaises(QuotaHubError) as error:
                qh.acquire("py", tokens=1)
            self.assertEqual("UNAUTHORIZED", error.exception.code)

    def test_noReachableHub_isHubUnavailableError(self) -> None:
        with QuotaClient(["http://127.0.0.1:9", "http://127.0.0.1:1"], agent_id="py-lost", token=TOKEN,
                         discover_peer=False) as qh:
            with self.assertRaises(HubUnavailableError) as error:
                qh.acquire("py", tokens=1, max_wait=0.3)
            self.assertEqual("UNAVAILABLE", error.exception.code)

    def test_aDisabledKey_isRefusedWithItsCode(self) -> None:
        with client() as qh:
            qh.acquire("authy", tokens=1).auth_failed()
            with self.assertRaises(QuotaExhaustedError) as refused:
                qh.acquire("authy", tokens=1, max_wait=0)
            self.assertEqual("KEY_DISABLED", refused.exception.code)

    def test_heartbeats_keepALeaseFromBeingReclaimed_whileASilentAgentsLeaseIs(self) -> None:
        # the hubs run with agent-dead-after 2 s: silent that long, an agent's proven leases are reclaimed
        with client(heartbeat_interval=0.4) as beating, client(heartbeat_interval=3600) as silent:
            kept = beating.acquire("py", tokens=10)
            lost = silent.acquire("py", tokens=10)
            beating.heartbeat()
            silent.heartbeat()  # proves its lease once, then falls silent
            time.sleep(4.5)
            self.assertTrue(kept.complete(tokens_used=10), "a heartbeating agent's lease stays open")
            self.assertFalse(lost.complete(tokens_used=10), "a silent agent's lease was reclaimed (settled as expired)")


if __name__ == "__main__":
    unittest.main()
