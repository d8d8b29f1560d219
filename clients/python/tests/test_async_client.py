"""The asyncio flavour against the real hubs."""

import asyncio
import unittest

from quotahub import AsyncQuotaClient, QuotaHubError

from .hubs import TOKEN, URLS, require_hubs


class AsyncClientTest(unittest.TestCase):

    def setUp(self) -> None:
        require_hubs(self)

    def test_asyncWith_acquiresAndSettles(self) -> None:
        async def run() -> None:
            async with AsyncQuotaClient(URLS, agent_id="py-async", token=TOKEN) as qh:
                async with qh.acquire("py", tokens=5, max_wait=2.0) as lease:
                    self.assertTrue(lease.api_key.startswith("sk-"))
                    self.assertTrue(await lease.complete(tokens_used=5))
                self.assertTrue(lease.settled)
                # failures go to a pool of their own: consecutive failures of a key open its circuit
                other = await qh.try_acquire("fails-async", tokens=5)
                self.assertIsNotNone(other)
                await other.failed("timeout")
                with self.assertRaises(QuotaHubError):
                    await qh.acquire("no-such-pool", tokens=1)
        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
