"""Fallback pools and shadow grants as the Python client reads them, against a fake hub: no real hubs needed."""

import unittest

from quotahub import QuotaClient
from quotahub.client import _refusal

from .fakes import FakeServer


class FallbackOptionTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = FakeServer().__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.__exit__(None, None, None)

    def setUp(self) -> None:
        self.server.acquires.clear()
        self.qh = QuotaClient([self.server.url], agent_id="py-fallback", discover_peer=False, heartbeat_interval=3600)

    def tearDown(self) -> None:
        self.qh.close()

    def test_anAcquire_allowsFallbackByDefault_andFallbackFalseOptsOut(self) -> None:
        with self.qh.acquire("gpt-4o", tokens=10, max_wait=0) as lease:
            self.assertEqual("gpt-4o", lease.requested_pool)
            self.assertIsNone(lease.shadow_refusal)
        with self.qh.acquire("gpt-4o", tokens=10, max_wait=0, fallback=False):
            pass

        self.assertNotIn("fallback", self.server.acquires[0])
        self.assertIs(False, self.server.acquires[1]["fallback"])

    def test_aRefusalAfterFallbacks_listsEveryPoolTried(self) -> None:
        answer = {"code": "QUOTA_EXHAUSTED", "reason": "full", "retryAfterMs": 900, "pool": "gpt-4o-mini",
                  "tried": [{"pool": "gpt-4o", "code": "QUOTA_EXHAUSTED", "retryAfterMs": 5000},
                            {"pool": "gpt-4o-mini", "code": "QUOTA_EXHAUSTED", "retryAfterMs": 900}]}

        refused = _refusal(answer, "http://hub", "gpt-4o")

        self.assertEqual(["gpt-4o", "gpt-4o-mini"], [t["pool"] for t in refused.tried])
        self.assertEqual("gpt-4o-mini", refused.pool)
        self.assertEqual([], _refusal({"code": "QUOTA_EXHAUSTED"}, "http://hub", "gpt-4o").tried)


if __name__ == "__main__":
    unittest.main()
