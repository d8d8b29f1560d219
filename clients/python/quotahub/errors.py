"""Exceptions raised by the QuotaHub client."""

from typing import Any, Dict, List, Optional

__all__ = ["QuotaHubError", "QuotaExhaustedError", "HubUnavailableError"]


class QuotaHubError(Exception):
    """A hub rejected the request, e.g. ``BAD_REQUEST``, ``UNKNOWN_POOL``, ``FORBIDDEN``, ``UNAUTHORIZED``.

    Attributes:
        code: the hub's stable error code (upper case), e.g. ``UNKNOWN_POOL``.
        status: the HTTP status of the answer, or None when there was no answer.
        hub_url: the hub that answered, or None.
    """

    def __init__(self, code: str, message: str, status: Optional[int] = None, hub_url: Optional[str] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.hub_url = hub_url


class QuotaExhaustedError(QuotaHubError):
    """No lease within the wait: every hub asked refused (HTTP 429).

    Attributes:
        retry_after: seconds after which asking again may succeed.
        reason: the hub's explanation (which limit of which key or pool).
        code: the refusal code, e.g. ``QUOTA_EXHAUSTED``, ``BUDGET_EXHAUSTED``, ``CONCURRENCY``, ``OVERLOADED``.
        pool, key_id, limit: what refused (key_id and limit may be None).
        tried: with fallback pools, every pool asked, in order, each a dict (``pool``, ``code``,
            ``reason``, ``retryAfterMs``, ``keyId``, ``limit``); empty when one pool was asked.
    """

    def __init__(self, retry_after: float, reason: str, code: str, pool: Optional[str] = None,
                 key_id: Optional[str] = None, limit: Optional[str] = None, hub_url: Optional[str] = None,
                 tried: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(code, f"{reason} (retry after {retry_after:.3f} s)", 429, hub_url)
        self.retry_after = retry_after
        self.reason = reason
        self.pool = pool
        self.key_id = key_id
        self.limit = limit
        self.tried: List[Dict[str, Any]] = list(tried or [])


class HubUnavailableError(QuotaHubError):
    """No hub could serve: every URL was unreachable or answered "ask the other hub" (503 UNAVAILABLE/FENCED)."""

    def __init__(self, message: str, hub_url: Optional[str] = None) -> None:
        super().__init__("UNAVAILABLE", message, 503, hub_url)
