"""One provider call on a lease: call, read the answer, settle with what the provider said, and retry
transient failures on a fresh lease. The decisions are plain functions; :func:`run_call` and
:func:`run_call_async` are the thin loops the clients drive with their clocks, sleep and randomness
(injectable, so tests never wait).
"""

import asyncio
import http.client
import inspect
import math
import urllib.error
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple, Union

from .providers import HttpAnswer, ProviderAdapter, ProviderReading, answer_of

__all__ = ["Retries", "CallPlan", "CallDeps", "run_call", "run_call_async"]


@dataclass(frozen=True)
class Retries:
    """Retries of a provider call's transient failures, each on a fresh lease.

    Transient: a 429 asking for at most ``max_retry_after`` seconds (or for no wait), a 5xx or an
    overload, a timeout or a network error. Auth failures, other 4xx and errors of the code itself
    are never retried.

    Attributes:
        max_retries: retries after the first attempt (default 4: waits of about 1, 2, 4, 8 s).
        base_delay: the first backoff in seconds; each next one doubles.
        max_delay: the longest backoff in seconds.
        max_retry_after: a 429 asking for a longer wait is not retried (a daily quota will not free in time).
    """
    max_retries: int = 4
    base_delay: float = 1.0
    max_delay: float = 8.0
    max_retry_after: float = 10.0

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ValueError(f"Retries.max_retries must be an integer >= 0, was {self.max_retries!r}")
        for name in ("base_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"Retries.{name} must be a finite number of seconds >= 0, was {value!r}")
        if self.base_delay <= 0:
            raise ValueError(f"Retries.base_delay must be > 0, was {self.base_delay!r}")
        if self.max_delay < self.base_delay:
            raise ValueError(f"Retries.max_delay ({self.max_delay}) must be >= base_delay ({self.base_delay})")

    def backoff(self, n: int, uniform: float) -> float:
        """The wait before retry ``n`` (1, 2, ...): base x 2^(n-1), capped, spread over [0.5, 1.5) of it."""
        base = min(self.max_delay, self.base_delay * 2 ** min(n - 1, 30))
        u = uniform if 0 <= uniform < 1 else 0.5
        return base * (0.5 + u)

    def retryable(self, reading: ProviderReading) -> bool:
        """Whether a retry may succeed after this answer."""
        if reading.outcome == "RATE_LIMITED":
            return (reading.retry_after or 0.0) <= self.max_retry_after
        return reading.outcome == "ERROR" and reading.transient is True


NO_RETRIES = Retries(max_retries=0)


def retries_of(retries: Union[Retries, bool, None]) -> Retries:
    """``True``: the defaults; ``None``/``False``: none.

    Raises:
        TypeError: anything else.
    """
    if retries is None or retries is False:
        return NO_RETRIES
    if retries is True:
        return Retries()
    if isinstance(retries, Retries):
        return retries
    raise TypeError(f"retries must be a quotahub.Retries, True or None, was {type(retries).__name__}")


_NETWORK_NAMES = frozenset({"TimeoutError", "timeout", "socket.timeout", "URLError", "ConnectionError", "ConnectionResetError",
                            "ConnectionRefusedError", "ConnectionAbortedError", "BrokenPipeError", "RemoteDisconnected",
                            "IncompleteRead", "APIConnectionError", "APITimeoutError", "ConnectTimeout", "ReadTimeout",
                            "ConnectError", "ReadError", "RemoteProtocolError", "Timeout"})


def is_network_error(error: BaseException) -> bool:
    """A timeout or network failure: the OS's, urllib's, http.client's, or a provider SDK's connection error."""
    if isinstance(error, urllib.error.HTTPError):
        return False  # an answer, not a network failure
    if isinstance(error, (TimeoutError, ConnectionError, urllib.error.URLError, http.client.RemoteDisconnected,
                          http.client.IncompleteRead)):
        return True
    return any(type(e).__name__ in _NETWORK_NAMES for e in _chain(error))


def _chain(error: BaseException):
    seen = 0
    e: Optional[BaseException] = error
    while e is not None and seen < 4:
        yield e
        e, seen = e.__cause__ or e.__context__, seen + 1


def error_name(error: BaseException) -> str:
    """The safe name of an error for a failure detail: its class, never its message."""
    return type(error).__name__


@dataclass(frozen=True)
class CallPlan:
    """How to run one call: the adapter, where the answer is, the waits and the retries."""
    adapter: ProviderAdapter
    max_wait: float
    deadline: float  # seconds from the call's start; math.inf for none but the retries
    retries: Retries
    answer: Optional[Callable[[Any], Any]] = None


@dataclass(frozen=True)
class CallDeps:
    """What a call needs of its client; every clock, the sleep and the randomness are injectable."""
    acquire: Callable[[float], Any]          # max_wait (s) -> a lease (raises as QuotaClient.acquire)
    now: Callable[[], float]                 # monotonic seconds: durations, deadlines
    wall_clock: Callable[[], float]          # epoch seconds: when an answer arrived
    sleep: Callable[[float], Any]            # time.sleep, or asyncio.sleep for the async loop
    random: Callable[[], float]
    settle_failed: Callable[[BaseException], None]  # a settle that failed: the provider's result still goes back


#: The adapter's reading of an answer, with the answer's status (a failure's detail names it).
_Read = Tuple[ProviderReading, int]


def _read(plan: CallPlan, result: Any, received_at: float) -> Tuple[Any, Optional[_Read]]:
    """The result to hand back (a read response becomes an HttpAnswer) and the provider's reading."""
    found = plan.answer(result) if plan.answer is not None else answer_of(result)
    if found is not None and not isinstance(found, HttpAnswer):
        found = answer_of(found)
        if found is None:
            raise TypeError("answer= must give (status, headers, body), an HttpAnswer or a response")
    if found is None:
        return result, None
    if isinstance(result, http.client.HTTPResponse):
        result = found  # a urllib/http.client response can be read once only: hand back its body
    return result, (plan.adapter.read(found.status, found.headers, found.body, received_at=received_at), found.status)


def _after(plan: CallPlan, read: Optional[_Read], error: Optional[BaseException]) -> Tuple[ProviderReading, Optional[str], bool]:
    """What to settle (a reading, and a detail for an error) and whether a retry may succeed."""
    if read is not None:
        reading, status = read
        # a provider's error is named by its status only: its message may echo part of the key
        return reading, (f"http {status}" if reading.outcome == "ERROR" else None), plan.retries.retryable(reading)
    if error is not None:
        network = is_network_error(error)
        return ProviderReading(outcome="ERROR", transient=network), error_name(error), network
    # the call returned something that is no HTTP answer: it went through, its tokens unknown
    return ProviderReading(outcome="OK"), None, False


def _error_reading(plan: CallPlan, error: BaseException, received_at: float) -> Optional[_Read]:
    """The answer an exception carries, read; None when it carries none or none that reads (the lease
    is settled either way)."""
    try:
        found = answer_of(error)
        if found is None:
            return None
        return plan.adapter.read(found.status, found.headers, found.body, received_at=received_at), found.status
    except (TypeError, ValueError):
        return None


def run_call(deps: CallDeps, plan: CallPlan, fn: Callable[[Any], Any]) -> Any:
    """Runs ``fn(lease)`` on a lease and settles it from the provider's answer, retrying transient
    failures within the deadline. Returns the last attempt's result; raises the last attempt's error."""
    deadline = deps.now() + plan.deadline
    last: Optional[Tuple[Any, Optional[BaseException]]] = None
    retry = 0
    while True:
        try:
            lease = deps.acquire(max(0.0, min(plan.max_wait, deadline - deps.now())))
        except Exception:
            if last is None:
                raise
            return _end(last)  # no lease for a retry: the caller gets the provider's last word
        started = deps.now()
        result: Any = None
        reading: Optional[_Read] = None
        error: Optional[BaseException] = None
        try:
            result, reading = _read(plan, fn(lease), deps.wall_clock())
        except Exception as e:
            error = e
            reading = _error_reading(plan, e, deps.wall_clock())
        except BaseException:
            _settle_unknown(lease, deps, deps.now() - started)  # interrupted: nobody knows how the call went
            raise
        duration = deps.now() - started
        settle, detail, retryable = _after(plan, reading, error)
        try:
            lease.settle_with(settle, call_duration=duration, detail=detail)
        except Exception as e:
            deps.settle_failed(e)
        if retryable and retry < plan.retries.max_retries:
            retry += 1
            wait = plan.retries.backoff(retry, deps.random())
            if deps.now() + wait < deadline:
                last = (result, error)
                deps.sleep(wait)
                continue
        return _end((result, error))


async def run_call_async(deps: CallDeps, plan: CallPlan, fn: Callable[[Any], Any]) -> Any:
    """:func:`run_call` for asyncio: ``deps.acquire`` and ``deps.sleep`` are awaited, ``fn`` may be a
    coroutine function, and the settle runs in a worker thread."""
    deadline = deps.now() + plan.deadline
    last: Optional[Tuple[Any, Optional[BaseException]]] = None
    retry = 0
    while True:
        try:
            lease = await deps.acquire(max(0.0, min(plan.max_wait, deadline - deps.now())))
        except Exception:
            if last is None:
                raise
            return _end(last)
        started = deps.now()
        result: Any = None
        reading: Optional[_Read] = None
        error: Optional[BaseException] = None
        try:
            value = fn(lease)
            if inspect.isawaitable(value):
                value = await value
            result, reading = _read(plan, value, deps.wall_clock())
        except Exception as e:
            error = e
            reading = _error_reading(plan, e, deps.wall_clock())
        except BaseException:  # cancelled: settle in the background, nobody knows how the call went
            sync_lease = getattr(lease, "sync", lease)
            duration = deps.now() - started
            asyncio.get_running_loop().run_in_executor(None, _settle_unknown, sync_lease, deps, duration)
            raise
        duration = deps.now() - started
        settle, detail, retryable = _after(plan, reading, error)
        try:
            await lease.settle_with(settle, call_duration=duration, detail=detail)
        except Exception as e:
            deps.settle_failed(e)
        if retryable and retry < plan.retries.max_retries:
            retry += 1
            wait = plan.retries.backoff(retry, deps.random())
            if deps.now() + wait < deadline:
                last = (result, error)
                await deps.sleep(wait)
                continue
        return _end((result, error))


def _end(last: Tuple[Any, Optional[BaseException]]) -> Any:
    result, error = last
    if error is not None:
        raise error
    return result


def _settle_unknown(lease: Any, deps: CallDeps, duration: float) -> None:
    try:
        lease.settle_unknown(call_duration=duration)
    except Exception as e:
        deps.settle_failed(e)
