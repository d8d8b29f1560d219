"""Failover: kill -9 of the hub the client uses. Named to run last (unittest runs modules by name): it kills hub main."""

import os
import signal
import time
import unittest

from quotahub import QuotaClient

from .hubs import PIDS, TOKEN, URLS, require_hubs


class FailoverTest(unittest.TestCase):

    def setUp(self) -> None:
        require_hubs(self)
        if "main" not in PIDS:
            self.skipTest("QH_HUB_PIDS does not name hub main's process")

    def test_killingTheHubInUse_theNextAcquireSucceedsOnTheOtherHubWithinOneSecond(self) -> None:
        with QuotaClient(URLS, agent_id="py-failover", token=TOKEN) as qh:
            before = qh.acquire("py", tokens=1, max_wait=2.0)
            self.assertEqual("main", before.hub_id)
            before.complete(tokens_used=1)

            os.kill(PIDS["main"], signal.SIGKILL)
            started = time.monotonic()
            after = qh.acquire("py", tokens=1, max_wait=5.0)
            took = time.monotonic() - started

            self.assertEqual("edge", after.hub_id)
            self.assertLess(took, 1.0, f"failover took {took:.3f} s")
            after.complete(tokens_used=1)
            print(f"failover to hub edge after kill -9 of hub main: next acquire took {took * 1000:.0f} ms")


if __name__ == "__main__":
    unittest.main()
