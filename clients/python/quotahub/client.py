"""The QuotaHub HTTP client: leases from whichever hub answers, local first."""

import json
import logging
import math
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import calls
from .errors import HubUnavailableError, QuotaExhaustedError, QuotaHubError
from .providers import GENERIC, ProviderAdapter, ProviderReading, adapter_named

__all__ = ["QuotaClient", "Lease"]

LOG = logging.getLogger("quotahub")

#: 503 error codes that mean "this hub cannot serve now: ask the other hub".
ASK_OTHER_HUB_ERRORS = frozenset({"unavailable", "fenced"})
#: 429 refusal codes that the other hub may not share: ask it before waiting.
ASK_OTHER_HUB_REFUSALS = frozenset({"BUDGET_EXHAUSTED", "OVERLOADED"})
#: The longest wait (seconds) after every hub refused BUDGET_EXHAUSTED: its retry-after is when the
#: window frees, but budgets move sooner (the hubs rebalance every second, and a hub takes its dead
#: peer's budget over within seconds).
BUDGET_RECHECK = 0.5
#: Gateway answers of a proxy in front of a hub: the hub behind it is unreachable.
_GATEWAY_STATUSES = frozenset({502, 504})


class _Unreachable(Exception):
    """No HTTP answer from a hub (refused, reset, timed out) or a proxy's gateway error."""


class Lease:
    """Permission to make one provider call with :attr:`api_key`.

    Report how the call went with exactly one of :meth:`complete`, :meth:`rate_limited`,
    :meth:`auth_failed` or :meth:`failed`, or hand over what the provider said with
    :meth:`settle_with`. Used as a context manager, a lease left by an exception is settled as
    failed (never OK, the detail is the exception's class only), and one left without an outcome is
    settled UNKNOWN with its estimate (:attr:`tokens`): counted as used, neither a success nor a
    failure of the key, since nobody said how the call went.

    Attributes:
        api_key: the provider key to call with (never logged; ``repr`` shows its last 4 characters).
        lease_id: the lease's id (without its secret).
        key_id: which key of the pool it is.
        hub_id: the hub that granted it.
        pool: the pool.
        tokens: the tokens reserved (the estimate given to ``acquire``).
        expires_at: ISO-8601 instant after which the hub settles it as expired.
        notice: how the hub took the request (e.g. HIGH taken as NORMAL), or None.
    """

    def __init__(self, client: "QuotaClient", hub_url: str, body: Dict[str, Any]) -> None:
        self._client = client
        self._hub_url = hub_url
        self._handle: str = body["leaseId"]
        self.lease_id: str = self._handle.rsplit(".", 1)[0]
        self.api_key: str = body["apiKey"]
        self.key_id: str = body.get("keyId", "")
        self.hub_id: str = body.get("hubId", "")
        self.pool: str = body.get("pool", "")
        # the pool asked for: differs from ``pool`` when a fallback pool granted the lease
        self.requested_pool: str = body.get("requestedPool") or self.pool
        # what a pool or limit in shadow or canary mode would have answered (a dict), or None
        self.shadow_refusal: Optional[Dict[str, Any]] = body.get("shadowRefusal")
        self.tokens: int = int(body.get("tokens", 0))
        self.expires_at: str = body.get("expiresAt", "")
        self.notice: Optional[str] = body.get("notice")
        self._settled = False
        self._lock = threading.Lock()

    @property
    def settled(self) -> bool:
        """Whether an outcome was reported."""
        return self._settled

    def complete(self, tokens_used: Optional[int] = None) -> bool:
        """Reports success. ``tokens_used`` defaults to the estimate.

        Returns:
            False when the hub had settled the lease already (e.g. it expired), else True.

        Raises:
            RuntimeError: if an outcome was reported before.
            HubUnavailableError: if no hub confirmed the settle.
            QuotaHubError: if a hub rejected it.
        """
        return self._settle("OK", self.tokens if tokens_used is None else tokens_used)

    def rate_limited(self, retry_after: Optional[float] = None, tokens_used: int = 0) -> bool:
        """Reports a provider 429; ``retry_after`` (seconds, the provider's Retry-After) cools the key down that long."""
        return self._settle("RATE_LIMITED", tokens_used, retry_after=retry_after)

    def auth_failed(self) -> bool:
        """Reports that the provider refused the key itself (401/403): the hub disables the key until an operator re-enables it."""
        return self._settle("AUTH_FAILED", 0)

    def failed(self, detail: str = "", tokens_used: int = 0) -> bool:
        """Reports any other failure of the call; ``detail`` is kept (shortened, the key masked in it) in the hub's audit trail."""
        return self._settle("ERROR", tokens_used, detail=detail)

    def settle_with(self, reading: ProviderReading, call_duration: Optional[float] = None, detail: Optional[str] = None) -> bool:
        """Reports what the provider said, as an adapter read it (see :mod:`quotahub.providers`).

        OK with the provider's token count (the estimate when it gave none), RATE_LIMITED with its
        retry-after, AUTH_FAILED, or ERROR (the estimate counts as used); the limits and quota id it
        described go to the hub with the outcome.

        Args:
            reading: an adapter's reading of the provider's answer.
            call_duration: how long the provider call took, in seconds (sent to the hub).
            detail: with ERROR, a short reason (default ``provider error``).

        Raises:
            TypeError / ValueError: ``reading`` is no reading, ``call_duration`` is negative (nothing is sent).
            RuntimeError, HubUnavailableError, QuotaHubError: as :meth:`complete`.
        """
        if not isinstance(reading, ProviderReading):
            raise TypeError(f"reading must be a quotahub.providers.ProviderReading, was {type(reading).__name__}")
        extras = _extras(reading, call_duration)
        if reading.outcome == "OK":
            used = reading.tokens_used
            return self._settle("OK", used if isinstance(used, int) and used >= 0 else self.tokens, extras=extras)
        if reading.outcome == "RATE_LIMITED":
            return self._settle("RATE_LIMITED", 0, retry_after=reading.retry_after or 0.0, extras=extras)
        if reading.outcome == "AUTH_FAILED":
            return self._settle("AUTH_FAILED", 0, extras=extras)
        if reading.outcome == "ERROR":
            why = detail if detail is not None else ("provider error (transient)" if reading.transient else "provider error")
            return self._settle("ERROR", self.tokens, detail=why, extras=extras)
        raise ValueError(f"reading.outcome must be OK, RATE_LIMITED, AUTH_FAILED or ERROR, was {reading.outcome!r}")

    def settle_unknown(self, call_duration: Optional[float] = None) -> bool:
        """Settles as UNKNOWN with the estimate: the call may or may not have reached the provider
        (counted as used, neither a success nor a failure of the key). What leaving ``with lease:``
        without an outcome does."""
        return self._settle("UNKNOWN", self.tokens, extras=_extras(None, call_duration))

    def _settle(self, outcome: str, tokens_used: int, retry_after: Optional[float] = None, detail: str = "",
                extras: Optional[Dict[str, Any]] = None) -> bool:
        with self._lock:
            if self._settled:
                raise RuntimeError(f"lease {self.lease_id} was settled already")
            self._settled = True
        body: Dict[str, Any] = {"tokensUsed": int(tokens_used), "outcome": outcome}
        if retry_after is not None:
            body["retryAfterMs"] = int(round(max(0.0, retry_after) * 1000))
        if detail:
            body["detail"] = self._masked(str(detail))[:120]
        body.update(extras or {})
        try:
            return self._client._settle(self._hub_url, self._handle, body)
        finally:
            self._client._forget(self)

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._settled:
            return
        try:
            if exc is not None:
                self.failed(exc_type.__name__)  # the class only: a message may quote a provider's answer, or the key
            else:
                self.settle_unknown()
        except Exception as e:  # never mask the caller's exception; the hub expires the lease
            LOG.warning("lease %s of pool %s could not be settled (%s); the hub settles it when it expires",
                        self.lease_id, self.pool, type(e).__name__)

    def _masked(self, text: str) -> str:
        return text.replace(self.api_key, f"…{self.api_key[-4:]}") if self.api_key else text

    def __repr__(self) -> str:
        return (f"Lease(lease_id={self.lease_id!r}, pool={self.pool!r}, key_id={self.key_id!r}, hub_id={self.hub_id!r}, "
                f"api_key='…{self.api_key[-4:]}')")


def _extras(reading: Optional[ProviderReading], call_duration: Optional[float]) -> Dict[str, Any]:
    """The complete call's ``provider`` and ``callDurationMs`` fields (left out when there is nothing to say)."""
    extras: Dict[str, Any] = {}
    if call_duration is not None:
        if isinstance(call_duration, bool) or not isinstance(call_duration, (int, float)) or not math.isfinite(call_duration) \
                or call_duration < 0:
            raise ValueError(f"call_duration must be seconds >= 0, was {call_duration!r}")
        extras["callDurationMs"] = int(round(call_duration * 1000))
    if reading is not None:
        report = provider_report(reading)
        if report is not None:
            extras["provider"] = report
    return extras


def provider_report(reading: ProviderReading) -> Optional[Dict[str, Any]]:
    """The JSON ``provider`` of a complete call: the quota id and the limits, absent fields left out."""
    limits = []
    for limit in reading.limits:
        entry: Dict[str, Any] = {"kind": limit.kind}
        for name, value in (("limit", limit.limit), ("remaining", limit.remaining),
                            ("resetAfterMs", None if limit.reset_after is None else int(round(limit.reset_after * 1000)))):
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                entry[name] = value
        limits.append(entry)
    if not limits and not reading.quota_id:
        return None
    report: Dict[str, Any] = {"limits": limits}
    if reading.quota_id:
        report["quotaId"] = reading.quota_id
    return report


class QuotaClient:
    """A client of the QuotaHub hubs' HTTP API.

    Give the hubs' URLs local first: each acquire asks them in that order (a hub that could not
    be reached is tried last for ``down_for`` seconds) and moves on to the next one when a hub is
    unreachable or answers "ask the other hub" (503 ``UNAVAILABLE``/``FENCED``, 429
    ``BUDGET_EXHAUSTED``/``OVERLOADED``). An acquire keeps one ``requestId`` for all its tries, on
    every hub, so a retry never gets a second lease for the same request.

    While leases are held, a daemon thread heartbeats them to the hubs that granted them every
    ``heartbeat_interval`` seconds, so a crashed agent's leases are reclaimed early and a live
    one's are not. Use as a context manager, or call :meth:`close`.

    Args:
        urls: the hubs' base URLs, local first, e.g. ``["http://mainpc:9000", "http://pc2:9100"]``.
        agent_id: this agent's id (default: ``<host>-<pid>``).
        token: the AGENT bearer token; or ``token_file``, a file holding it.
        timeout: seconds to wait for a hub beyond the wait the hub was asked for.
        heartbeat_interval: seconds between heartbeats (the hub's agent-dead-after is 15 s by default).
        down_for: seconds an unreachable hub is tried last.
        discover_peer: with one URL, read the other hub's URL from ``GET /api/v1/hubs`` (open to the
            AGENT token; the hub names it when its ``quotahub.peer-http-url`` is set).
        providers: the provider behind each pool, for :meth:`call` without ``provider``: an adapter of
            :mod:`quotahub.providers` or its name, e.g. ``{"gemini-pro": providers.GEMINI}``. A pool not
            listed reads as ``GENERIC`` (statuses and Retry-After).
    """

    def __init__(self, urls: Sequence[str], agent_id: Optional[str] = None, token: Optional[str] = None,
                 token_file: Optional[str] = None, timeout: float = 5.0, heartbeat_interval: float = 5.0,
                 down_for: float = 5.0, discover_peer: bool = True,
                 providers: Optional[Mapping[str, Union[str, ProviderAdapter]]] = None) -> None:
        self._providers: Dict[str, ProviderAdapter] = {pool: adapter_named(a) for pool, a in (providers or {}).items()}
        if isinstance(urls, str):
            urls = [urls]
        if not urls:
            raise ValueError("urls must name at least one hub")
        if token is not None and token_file is not None:
            raise ValueError("give token or token_file, not both")
        if token_file is not None:
            with open(token_file, "r", encoding="utf-8") as f:
                token = f.read().strip()
        self._urls: List[str] = [u.rstrip("/") for u in urls]
        self._token = token
        self.agent_id = agent_id or f"{socket.gethostname()}-{os.getpid()}"
        self._timeout = timeout
        self._down_for = down_for
        self._down_until: Dict[str, float] = {}
        self._held: Dict[str, Lease] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._heartbeat_interval = heartbeat_interval
        self._heartbeats = threading.Thread(target=self._heartbeat_loop, name="quotahub-heartbeat", daemon=True)
        self._heartbeats.start()
        if discover_peer and len(self._urls) == 1:
            self._discover_peer()

    # ---- public API ----

    @property
    def urls(self) -> List[str]:
        """The hubs' URLs, in the order of preference."""
        return list(self._urls)

    def acquire(self, pool: str, tokens: int, max_wait: float = 5.0, priority: str = "NORMAL",
                request_id: Optional[str] = None, fallback: bool = True) -> Lease:
        """Gets a lease of ``pool`` for a call of about ``tokens`` tokens, waiting up to ``max_wait`` seconds.

        When ``pool`` has fallback pools configured and no room within the wait, the first fallback
        with room grants the lease (``lease.pool`` says which, ``lease.requested_pool`` is ``pool``);
        ``fallback=False`` keeps the acquire to ``pool`` itself.

        The hub itself waits for room (``maxWaitMs``, bounded by its ``quotahub.http.max-wait``);
        the client moves to the other hub on the answers that call for it. ``request_id`` (a new
        UUID unless given) names the attempt on every hub and retry until a refusal ends it; an
        attempt after a refusal gets a new id, as the protocol asks.

        Raises:
            QuotaExhaustedError: no lease within ``max_wait`` (``retry_after`` says when to ask again).
            HubUnavailableError: no hub could be reached or could serve within ``max_wait``.
            QuotaHubError: a hub rejected the request (bad input, unknown pool, wrong token...).
        """
        if tokens is None or int(tokens) <= 0:
            raise ValueError(f"tokens must be > 0, was {tokens}")
        request_id = request_id or str(uuid.uuid4())
        deadline = time.monotonic() + max(0.0, max_wait)
        last_problem = "no hub was asked"
        while True:
            refusal: Optional[QuotaExhaustedError] = None
            for url in self._order():
                left = max(0.0, deadline - time.monotonic())
                body = {"pool": pool, "tokens": int(tokens), "priority": priority, "agentId": self.agent_id,
                        "requestId": request_id, "maxWaitMs": int(left * 1000)}
                if not fallback:
                    body["fallback"] = False
                try:
                    status, answer = self._call("POST", url, "/api/v1/acquire", body, left + self._timeout)
                except _Unreachable as e:
                    self._mark_down(url)
                    last_problem = f"{url} unreachable ({e})"
                    continue
                if status == 200:
                    self._mark_up(url)
                    lease = Lease(self, url, answer)
                    with self._lock:
                        self._held[lease.lease_id] = lease
                    return lease
                if status == 429:
                    this = _refusal(answer, url, pool)
                    if this.code in ASK_OTHER_HUB_REFUSALS:
                        refusal = refusal or this
                        continue  # the other hub may have room
                    refusal = this
                    break  # this hub waited as long as it was asked to: its word stands
                if status == 503 and answer.get("error") in ASK_OTHER_HUB_ERRORS:
                    self._mark_down(url)
                    last_problem = f"{url} answered {answer.get('error')}: {answer.get('message')}"
                    continue
                raise _error(status, answer, url)
            left = deadline - time.monotonic()
            if refusal is not None:
                wait = refusal.retry_after
                if refusal.code == "BUDGET_EXHAUSTED":
                    wait = min(wait, BUDGET_RECHECK)
                if wait > left:
                    raise refusal
                time.sleep(max(0.001, wait) * (1 + 0.1 * random.random()))
                # a refusal ends an attempt: a hub answers a request id it refused with that same
                # refusal for a while, so the next attempt needs an id of its own
                request_id = str(uuid.uuid4())
                continue
            if left <= 0:
                raise HubUnavailableError(f"no hub could serve pool '{pool}': last {last_problem}")
            time.sleep(min(0.1, left))

    def call(self, pool: str, tokens: int, fn: Callable[[Lease], Any], provider: Union[str, ProviderAdapter, None] = None,
             max_wait: float = 5.0, priority: str = "NORMAL", retries: Union["calls.Retries", bool, None] = None,
             deadline: Optional[float] = None, answer: Optional[Callable[[Any], Any]] = None) -> Any:
        """Makes one provider call on a lease and reports how it went, from what the provider said.

        Acquires a lease (waiting up to ``max_wait``), runs ``fn(lease)``, reads the answer with the
        pool's adapter and settles: OK with the provider's token count (the estimate when it gave
        none), RATE_LIMITED with its retry-after, AUTH_FAILED, or ERROR, each with the limits the
        provider described and the call's measured duration. ``fn`` may return, or raise, any
        answer :func:`quotahub.providers.answer_of` understands: a ``(status, headers, body)`` tuple,
        a urllib response or ``HTTPError``, a ``requests``/``httpx`` response, the OpenAI and
        Anthropic SDKs' raw responses and their ``APIStatusError``. Any other exception settles
        ERROR with its class name only (never its message) and is raised again::

            def ask(lease):
                req = urllib.request.Request(url, data=body, headers={"x-goog-api-key": lease.api_key})
                with urllib.request.urlopen(req, timeout=60) as r:
                    return r.status, r.headers, r.read()

            status, headers, body = qh.call("gemini-pro", tokens=1200, fn=ask, provider=providers.GEMINI)

        Args:
            provider: the adapter (or its name); default the pool's from ``providers=``, else ``GENERIC``.
            retries: ``quotahub.Retries(...)`` or True for the defaults (off by default): transient
                failures (a 429 asking for at most ``max_retry_after``, 5xx, timeouts and network
                errors) are tried again on a fresh lease after about 1, 2, 4, 8 s. Turn the provider
                SDK's own retries off (OpenAI: ``max_retries=0``): they would call again on the same
                lease, unseen by the hub.
            deadline: the whole call, retries included, ends within this many seconds: no retry starts past it.
            answer: where the provider's answer is in ``fn``'s result, when it is something else
                (a function of the result giving ``(status, headers, body)``, or None: then OK with the estimate).

        Returns:
            what ``fn`` returned on its last attempt (a urllib/http.client response comes back as an
            :class:`~quotahub.providers.HttpAnswer` holding its body, as it can be read only once).

        Raises:
            what ``fn`` raised on its last attempt; the errors of :meth:`acquire` when no first lease was
            granted; ValueError/TypeError for bad arguments.
        """
        deps = calls.CallDeps(
            acquire=lambda wait: self.acquire(pool, tokens, max_wait=wait, priority=priority),
            now=time.monotonic, wall_clock=time.time, sleep=time.sleep, random=random.random,
            settle_failed=lambda e: LOG.warning("a call on pool %s could not be settled (%s); the hub settles its lease "
                                                "when it expires", pool, type(e).__name__))
        return calls.run_call(deps, self._call_plan(pool, tokens, fn, provider, max_wait, retries, deadline, answer), fn)

    def _call_plan(self, pool: str, tokens: int, fn: Any, provider: Any, max_wait: float, retries: Any,
                   deadline: Optional[float], answer: Any) -> "calls.CallPlan":
        if tokens is None or isinstance(tokens, bool) or int(tokens) <= 0:
            raise ValueError(f"tokens must be > 0, was {tokens}")
        if not callable(fn):
            raise TypeError("fn must be a function of the lease that calls the provider")
        if answer is not None and not callable(answer):
            raise TypeError("answer must be a function of fn's result")
        if deadline is not None and (not isinstance(deadline, (int, float)) or deadline != deadline or deadline < 0):
            raise ValueError(f"deadline must be seconds >= 0, was {deadline!r}")
        adapter = adapter_named(provider) if provider is not None else self._providers.get(pool, GENERIC)
        return calls.CallPlan(adapter=adapter, max_wait=max(0.0, max_wait), deadline=math.inf if deadline is None else deadline,
                              retries=calls.retries_of(retries), answer=answer)

    def try_acquire(self, pool: str, tokens: int, priority: str = "NORMAL") -> Optional[Lease]:
        """A lease if one is free now (on any hub), else None. Raises as :meth:`acquire` for anything but a refusal."""
        try:
            return self.acquire(pool, tokens, max_wait=0.0, priority=priority)
        except QuotaExhaustedError:
            return None

    def held(self) -> List[Lease]:
        """The leases acquired and not settled yet."""
        with self._lock:
            return list(self._held.values())

    def heartbeat(self) -> None:
        """Sends one heartbeat now (the background thread does this every ``heartbeat_interval`` seconds)."""
        by_hub: Dict[str, List[str]] = {}
        with self._lock:
            for lease in self._held.values():
                by_hub.setdefault(lease._hub_url, []).append(lease._handle)
        if not by_hub:
            by_hub[self._order()[0]] = []  # alive, holding nothing
        path = f"/api/v1/agents/{urllib.parse.quote(self.agent_id, safe='')}/heartbeat"
        for url, handles in by_hub.items():
            try:
                self._call("POST", url, path, {"leases": handles}, self._timeout)
            except _Unreachable:
                self._mark_down(url)

    def close(self) -> None:
        """Stops the heartbeat thread. Held leases are left to the hubs (they expire)."""
        self._closed.set()
        if self._heartbeats.is_alive() and threading.current_thread() is not self._heartbeats:
            self._heartbeats.join(timeout=self._timeout + 1)

    def __enter__(self) -> "QuotaClient":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    # ---- internals ----

    def _order(self) -> List[str]:
        now = time.monotonic()
        with self._lock:
            up = [u for u in self._urls if self._down_until.get(u, 0.0) <= now]
            down = [u for u in self._urls if u not in up]
        return up + down

    def _mark_down(self, url: str) -> None:
        with self._lock:
            self._down_until[url] = time.monotonic() + self._down_for

    def _mark_up(self, url: str) -> None:
        with self._lock:
            self._down_until.pop(url, None)

    def _forget(self, lease: Lease) -> None:
        with self._lock:
            self._held.pop(lease.lease_id, None)

    def _settle(self, hub_url: str, handle: str, body: Dict[str, Any]) -> bool:
        path = f"/api/v1/leases/{urllib.parse.quote(handle, safe='.')}/complete"
        others = [u for u in self._order() if u != hub_url]
        last = "no hub was asked"
        for url in [hub_url] + others:  # the granting hub first; its peer knows the lease from replication
            try:
                status, answer = self._call("POST", url, path, body, self._timeout)
            except _Unreachable as e:
                self._mark_down(url)
                last = f"{url} unreachable ({e})"
                continue
            if status == 200:
                return bool(answer.get("settled", True))
            if status == 503 and answer.get("error") in ASK_OTHER_HUB_ERRORS:
                last = f"{url} answered {answer.get('error')}"
                continue
            if status == 404 and url != hub_url:
                last = f"{url} does not know the lease (yet)"
                continue
            raise _error(status, answer, url)
        raise HubUnavailableError(f"no hub confirmed the settle: last {last}")

    def _discover_peer(self) -> None:
        try:
            status, hubs = self._call("GET", self._urls[0], "/api/v1/hubs", None, self._timeout)
        except _Unreachable:
            return
        peer = hubs.get("peerHttpUrl") if status == 200 else None
        if peer and peer.rstrip("/") not in self._urls:
            self._urls.append(peer.rstrip("/"))

    def _heartbeat_loop(self) -> None:
        while not self._closed.wait(self._heartbeat_interval):
            try:
                self.heartbeat()
            except Exception as e:  # a heartbeat must never end the thread
                LOG.debug("heartbeat failed: %s", type(e).__name__)

    def _call(self, method: str, url: str, path: str, body: Optional[Dict[str, Any]],
              timeout: float) -> Tuple[int, Dict[str, Any]]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=max(0.1, timeout)) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as e:
            if e.code in _GATEWAY_STATUSES:
                raise _Unreachable(f"HTTP {e.code} from a proxy") from None
            try:
                raw = e.read()
            finally:
                e.close()
            return e.code, _json(raw)
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            reason = getattr(e, "reason", e)
            raise _Unreachable(type(reason).__name__ if not str(reason) else str(reason)) from None


def _json(raw: bytes) -> Dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8")) if raw else {}
    except (ValueError, UnicodeDecodeError):
        return {"error": "not_json", "message": raw[:200].decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}


def _refusal(answer: Dict[str, Any], url: str, pool: str) -> QuotaExhaustedError:
    return QuotaExhaustedError(retry_after=max(0, int(answer.get("retryAfterMs", 1000))) / 1000.0,
                               reason=str(answer.get("reason", "refused")), code=str(answer.get("code", "QUOTA_EXHAUSTED")),
                               pool=answer.get("pool") or pool, key_id=answer.get("keyId"), limit=answer.get("limit"),
                               hub_url=url, tried=answer.get("tried") if isinstance(answer.get("tried"), list) else None)


def _error(status: int, answer: Dict[str, Any], url: str) -> QuotaHubError:
    if status == 401:
        return QuotaHubError("UNAUTHORIZED", "the hub wants a valid AGENT token (Authorization: Bearer)", status, url)
    code = str(answer.get("error") or f"HTTP_{status}").upper()
    message = str(answer.get("message") or answer.get("reason") or answer)
    return QuotaHubError(code, message, status, url)
