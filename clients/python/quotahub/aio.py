"""An asyncio flavour of the client, standard library only.

Each call runs the synchronous client's call in a worker thread (``asyncio.to_thread``): the
event loop is never blocked, at the cost of one thread per call in flight (the default executor
has ``min(32, cpu + 4)`` threads; a waiting acquire holds one for its wait).
"""

import asyncio
import logging
import random
import time
from typing import Any, Callable, Optional, Sequence, Union

from . import calls
from .client import Lease, QuotaClient
from .errors import QuotaExhaustedError
from .providers import ProviderAdapter, ProviderReading

LOG = logging.getLogger("quotahub")

__all__ = ["AsyncQuotaClient", "AsyncLease"]


class AsyncLease:
    """A :class:`~quotahub.client.Lease` whose outcome methods are coroutines; ``async with`` settles it as the sync lease does."""

    def __init__(self, lease: Lease) -> None:
        self._lease = lease

    def __getattr__(self, name: str) -> Any:  # api_key, lease_id, key_id, hub_id, pool, tokens, ...
        return getattr(self._lease, name)

    async def complete(self, tokens_used: Optional[int] = None) -> bool:
        """See :meth:`Lease.complete`."""
        return await asyncio.to_thread(self._lease.complete, tokens_used)

    async def rate_limited(self, retry_after: Optional[float] = None, tokens_used: int = 0) -> bool:
        """See :meth:`Lease.rate_limited`."""
        return await asyncio.to_thread(self._lease.rate_limited, retry_after, tokens_used)

    async def auth_failed(self) -> bool:
        """See :meth:`Lease.auth_failed`."""
        return await asyncio.to_thread(self._lease.auth_failed)

    async def failed(self, detail: str = "", tokens_used: int = 0) -> bool:
        """See :meth:`Lease.failed`."""
        return await asyncio.to_thread(self._lease.failed, detail, tokens_used)

    async def settle_with(self, reading: ProviderReading, call_duration: Optional[float] = None,
                          detail: Optional[str] = None) -> bool:
        """See :meth:`Lease.settle_with`."""
        return await asyncio.to_thread(self._lease.settle_with, reading, call_duration, detail)

    async def settle_unknown(self, call_duration: Optional[float] = None) -> bool:
        """See :meth:`Lease.settle_unknown`."""
        return await asyncio.to_thread(self._lease.settle_unknown, call_duration)

    @property
    def sync(self) -> Lease:
        """The synchronous lease underneath."""
        return self._lease

    async def __aenter__(self) -> "AsyncLease":
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        await asyncio.to_thread(self._lease.__exit__, exc_type, exc, tb)

    def __repr__(self) -> str:
        return "Async" + repr(self._lease)


class _Acquiring:
    """What ``AsyncQuotaClient.acquire`` returns: awaitable (a lease) and an async context manager."""

    def __init__(self, client: QuotaClient, args: tuple, kwargs: dict) -> None:
        self._client, self._args, self._kwargs = client, args, kwargs
        self._lease: Optional[AsyncLease] = None

    def __await__(self):
        return self._get().__await__()

    async def _get(self) -> AsyncLease:
        lease = await asyncio.to_thread(self._client.acquire, *self._args, **self._kwargs)
        return AsyncLease(lease)

    async def __aenter__(self) -> AsyncLease:
        self._lease = await self._get()
        return self._lease

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if self._lease is not None:
            await self._lease.__aexit__(exc_type, exc, tb)


class AsyncQuotaClient:
    """The asyncio twin of :class:`~quotahub.client.QuotaClient` (same arguments)::

        async with AsyncQuotaClient(["http://mainpc:9000", "http://pc2:9100"], agent_id="a", token_file=f) as qh:
            async with qh.acquire("gemini-pro", tokens=1200, max_wait=5.0) as lease:
                await lease.complete(tokens_used=900)
    """

    def __init__(self, urls: Sequence[str], **kwargs: Any) -> None:
        self._client = QuotaClient(urls, **kwargs)

    @property
    def sync(self) -> QuotaClient:
        """The synchronous client underneath."""
        return self._client

    def acquire(self, pool: str, tokens: int, max_wait: float = 5.0, priority: str = "NORMAL",
                request_id: Optional[str] = None, fallback: bool = True) -> _Acquiring:
        """``await qh.acquire(...)`` or ``async with qh.acquire(...) as lease``; raises as :meth:`QuotaClient.acquire`."""
        return _Acquiring(self._client, (pool, tokens), {"max_wait": max_wait, "priority": priority,
                                                          "request_id": request_id, "fallback": fallback})

    async def call(self, pool: str, tokens: int, fn: Callable[[AsyncLease], Any], provider: Union[str, ProviderAdapter, None] = None,
                   max_wait: float = 5.0, priority: str = "NORMAL", retries: Union[calls.Retries, bool, None] = None,
                   deadline: Optional[float] = None, answer: Optional[Callable[[Any], Any]] = None) -> Any:
        """:meth:`QuotaClient.call` for asyncio: ``fn`` may be a coroutine function (``async def ask(lease)``)
        and runs on the event loop; acquires and settles run in worker threads, backoffs in ``asyncio.sleep``."""
        plan = self._client._call_plan(pool, tokens, fn, provider, max_wait, retries, deadline, answer)

        async def acquire(wait: float) -> AsyncLease:
            return AsyncLease(await asyncio.to_thread(self._client.acquire, pool, tokens, max_wait=wait, priority=priority))

        deps = calls.CallDeps(acquire=acquire, now=time.monotonic, wall_clock=time.time, sleep=asyncio.sleep, random=random.random,
                              settle_failed=lambda e: LOG.warning("a call on pool %s could not be settled (%s); the hub settles "
                                                                  "its lease when it expires", pool, type(e).__name__))
        return await calls.run_call_async(deps, plan, fn)

    async def try_acquire(self, pool: str, tokens: int, priority: str = "NORMAL") -> Optional[AsyncLease]:
        """A lease if one is free now, else None."""
        try:
            return await self.acquire(pool, tokens, max_wait=0.0, priority=priority)
        except QuotaExhaustedError:
            return None

    async def close(self) -> None:
        """Stops the heartbeat thread."""
        await asyncio.to_thread(self._client.close)

    async def __aenter__(self) -> "AsyncQuotaClient":
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        await self.close()
