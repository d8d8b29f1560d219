"""What a provider said: adapters that read an HTTP answer (status, headers, body) into a
:class:`ProviderReading` — how the call went, the wait the provider asked for, the tokens it counted,
and the limits it described.

Ready adapters: :data:`OPENAI`, :data:`ANTHROPIC`, :data:`GEMINI`, and :data:`GENERIC` (statuses and
``Retry-After`` only). Each reads any HTTP client's answer::

    reading = quotahub.providers.GEMINI.read(429, headers, body_text)
    reading = quotahub.providers.OPENAI.read_answer(urllib_response_or_http_error)

A reading holds numbers, kinds and the provider's quota name only, never text of the body: a
provider's message may echo part of the key.
"""

import io
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple, Union

from . import _parse as p

__all__ = ["ProviderLimit", "ProviderReading", "HttpAnswer", "ProviderAdapter", "OPENAI", "ANTHROPIC", "GEMINI", "GENERIC",
           "BY_NAME", "answer_of"]

#: Outcomes a reading may have.
OUTCOMES = ("OK", "RATE_LIMITED", "AUTH_FAILED", "ERROR")
#: Limit kinds, in the order readings list them.
KINDS = ("REQUESTS", "TOKENS", "INPUT_TOKENS", "OUTPUT_TOKENS")


@dataclass(frozen=True)
class ProviderLimit:
    """One limit as the provider described it; a field it did not send is None.

    Attributes:
        kind: ``REQUESTS``, ``TOKENS``, ``INPUT_TOKENS`` or ``OUTPUT_TOKENS``.
        limit: the provider's limit for its window.
        remaining: what the provider says is left in the window.
        reset_after: seconds until the window has room again, from the answer's arrival.
    """
    kind: str
    limit: Optional[int] = None
    remaining: Optional[int] = None
    reset_after: Optional[float] = None


@dataclass(frozen=True)
class ProviderReading:
    """What a provider said in one answer.

    Attributes:
        outcome: ``OK``, ``RATE_LIMITED``, ``AUTH_FAILED`` or ``ERROR``.
        transient: with ``ERROR`` only: whether a retry may succeed (5xx, overloaded); else None.
        retry_after: seconds the provider asked to wait (with ``RATE_LIMITED`` or a transient ``ERROR``), None when it gave none.
        tokens_used: the tokens the provider counted for the call (from the body's usage), None when it does not say.
        quota_id: the provider's name of the limit that refused (Gemini's ``QuotaFailure`` ``quotaId``).
        limits: every limit the answer described, in the order of :data:`KINDS`.
    """
    outcome: str
    transient: Optional[bool] = None
    retry_after: Optional[float] = None
    tokens_used: Optional[int] = None
    quota_id: Optional[str] = None
    limits: Tuple[ProviderLimit, ...] = field(default_factory=tuple)


class HttpAnswer(NamedTuple):
    """A provider's HTTP answer with its body read: what :meth:`QuotaClient.call` returns in place of a
    urllib/http.client response (whose body can be read once only)."""
    status: int
    headers: Any
    body: Union[bytes, str, None]

    @property
    def text(self) -> str:
        """The body as text (UTF-8)."""
        if isinstance(self.body, (bytes, bytearray)):
            return self.body.decode("utf-8", "replace")
        return self.body or ""

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not)."""
        import json
        return json.loads(self.text)


def _ms_to_s(ms: Optional[int]) -> Optional[float]:
    return None if ms is None else ms / 1000.0


class ProviderAdapter:
    """Reads one provider's answers. Pure: the same answer always reads the same.

    Subclass it for another provider: override the hooks (``_header_limits``, ``_tokens_used``,
    ``_key_unusable``, ``_refusal``); statuses and ``Retry-After`` are read alike for all.
    """

    name = "generic"

    def read(self, status: int, headers: Any = None, body: Union[bytes, str, None] = None,
             received_at: Optional[float] = None) -> ProviderReading:
        """Reads an answer given as status, headers and body.

        Args:
            status: the HTTP status, 100-599.
            headers: a dict, an ``http.client.HTTPMessage``, ``httpx``/``requests`` headers or name/value pairs;
                names match case-insensitively.
            body: the body (bytes or text), read for usage and error details, never copied anywhere.
            received_at: when the answer arrived (epoch seconds, ``time.time()``): absolute resets and HTTP dates
                are read relative to it. Default: now.

        Raises:
            ValueError: ``status`` is not an integer 100-599, or ``received_at`` is not a finite number.
            TypeError: ``headers`` are not headers.
        """
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status 100-599, was {status!r}")
        if received_at is None:
            received_at = time.time()
        if isinstance(received_at, bool) or not isinstance(received_at, (int, float)) or received_at != received_at \
                or received_at in (float("inf"), float("-inf")):
            raise ValueError(f"received_at must be epoch seconds, was {received_at!r}")
        h = p.header_map(headers)
        now_ms = received_at * 1000.0
        parsed: List[Any] = []

        def json_() -> Any:
            if not parsed:
                parsed.append(p.json_body(body))
            return parsed[0]

        limits: List[Dict[str, Any]] = list(self._header_limits(h, now_ms))
        transient: Optional[bool] = None
        quota_id: Optional[str] = None
        hint: Optional[int] = None
        if status < 400:
            outcome = "OK"
        elif status in (401, 403) or self._key_unusable(status, json_()):
            outcome = "AUTH_FAILED"
        elif status == 429:
            outcome = "RATE_LIMITED"
            refusal = self._refusal(json_())
            if refusal is not None:
                hint, quota_id, refused = refusal
                for limit in refused:
                    if not any(l["kind"] == limit["kind"] for l in limits):
                        limits.append(limit)
        else:
            outcome = "ERROR"
            transient = status >= 500
        limits.sort(key=lambda l: KINDS.index(l["kind"]))

        retry_after_ms: Optional[int] = None
        if outcome == "RATE_LIMITED" or transient:
            retry_after_ms = _retry_after(h, now_ms)
            if retry_after_ms is None:
                retry_after_ms = hint
            if retry_after_ms is None:
                retry_after_ms = _longest_exhausted_reset(limits)
        tokens = self._tokens_used(json_()) if outcome == "OK" else None
        if quota_id is not None and not _safe_quota_id(quota_id):
            quota_id = None
        return ProviderReading(
            outcome=outcome, transient=transient, retry_after=_ms_to_s(retry_after_ms), tokens_used=tokens, quota_id=quota_id,
            limits=tuple(ProviderLimit(l["kind"], l.get("limit"), l.get("remaining"), _ms_to_s(l.get("reset_after_ms")))
                         for l in limits))

    def read_answer(self, answer: Any, received_at: Optional[float] = None) -> ProviderReading:
        """Reads an answer of any supported form (see :func:`answer_of`).

        Raises:
            TypeError: ``answer`` is no HTTP answer.
        """
        found = answer_of(answer)
        if found is None:
            raise TypeError(f"not an HTTP answer: {type(answer).__name__}")
        return self.read(found.status, found.headers, found.body, received_at)

    # ---- hooks of one provider's dialect; the generic adapter has none

    def _header_limits(self, headers: Dict[str, str], now_ms: float) -> List[Dict[str, Any]]:
        """Limits from the rate-limit headers, as dicts of kind, limit, remaining, reset_after_ms."""
        return []

    def _tokens_used(self, json: Any) -> Optional[int]:
        """Tokens counted for a successful call, from the parsed body."""
        return None

    def _key_unusable(self, status: int, json: Any) -> bool:
        """Whether a 4xx other than 401/403 says the key itself is unusable."""
        return False

    def _refusal(self, json: Any) -> Optional[Tuple[Optional[int], Optional[str], List[Dict[str, Any]]]]:
        """What the body of a 429 says: the provider's retry hint (ms), the refused quota's id, its limits."""
        return None

    def __repr__(self) -> str:
        return f"<ProviderAdapter {self.name}>"


def _limit(kind: str, limit: Optional[int], remaining: Optional[int], reset_after_ms: Optional[int]) -> Optional[Dict[str, Any]]:
    if limit is None and remaining is None and reset_after_ms is None:
        return None
    return {"kind": kind, "limit": limit, "remaining": remaining, "reset_after_ms": reset_after_ms}


def _retry_after(h: Dict[str, str], now_ms: float) -> Optional[int]:
    """``retry-after-ms``, else ``Retry-After`` in seconds or as an HTTP date; a value that is neither is ignored."""
    ms = p.millis(h.get("retry-after-ms"))
    if ms is not None:
        return ms
    text = h.get("retry-after")
    s = p.seconds(text)
    if s is not None:
        return s
    date = p.http_date(text)
    return None if date is None else max(0, p._round(date - now_ms))


def _longest_exhausted_reset(limits: List[Dict[str, Any]]) -> Optional[int]:
    resets = [l["reset_after_ms"] for l in limits if l.get("remaining") == 0 and l.get("reset_after_ms") is not None]
    return max(resets) if resets else None


def _safe_quota_id(quota_id: str) -> bool:
    return 0 < len(quota_id) <= 128 and all(c.isascii() and (c.isalnum() or c in "._:/-") for c in quota_id)


def _sum(*parts: Any) -> Optional[int]:
    counts = [p.json_count(x) for x in parts]
    if all(c is None for c in counts):
        return None
    return sum(c or 0 for c in counts)


def _first(*values: Optional[int]) -> Optional[int]:
    for v in values:
        if v is not None:
            return v
    return None


class _OpenAI(ProviderAdapter):
    """OpenAI: ``x-ratelimit-limit|remaining|reset-requests|tokens`` (resets as Go durations: ``6m0s``,
    ``20ms``), ``retry-after-ms``/``retry-after``, tokens from ``usage.total_tokens``; a 429
    ``insufficient_quota`` is a billing stop, not a rate: ``AUTH_FAILED``."""

    name = "openai"

    def _header_limits(self, h, now_ms):
        out = []
        for kind, suffix in (("REQUESTS", "requests"), ("TOKENS", "tokens")):
            limit = _limit(kind, p.count(h.get(f"x-ratelimit-limit-{suffix}")), p.count(h.get(f"x-ratelimit-remaining-{suffix}")),
                           p.go_duration(h.get(f"x-ratelimit-reset-{suffix}")))
            if limit is not None:
                out.append(limit)
        return out

    def _tokens_used(self, json):
        usage = p.at(json, "usage")
        return _first(p.json_count(p.at(usage, "total_tokens")), _sum(p.at(usage, "prompt_tokens"), p.at(usage, "completion_tokens")),
                      _sum(p.at(usage, "input_tokens"), p.at(usage, "output_tokens")))

    def _key_unusable(self, status, json):
        return status == 429 and "insufficient_quota" in (p.at(json, "error", "code"), p.at(json, "error", "type"))


class _Anthropic(ProviderAdapter):
    """Anthropic: ``anthropic-ratelimit-requests|tokens|input-tokens|output-tokens-limit|remaining|reset``
    (resets as RFC 3339 times), ``retry-after``; tokens: input + cache creation + output of ``usage``
    (cache reads do not count towards Anthropic's input limit). 529 (overloaded) is a transient error."""

    name = "anthropic"

    def _header_limits(self, h, now_ms):
        out = []
        for kind, name in (("REQUESTS", "requests"), ("TOKENS", "tokens"), ("INPUT_TOKENS", "input-tokens"),
                           ("OUTPUT_TOKENS", "output-tokens")):
            reset = p.rfc3339(h.get(f"anthropic-ratelimit-{name}-reset"))
            limit = _limit(kind, p.count(h.get(f"anthropic-ratelimit-{name}-limit")), p.count(h.get(f"anthropic-ratelimit-{name}-remaining")),
                           None if reset is None else max(0, p._round(reset - now_ms)))
            if limit is not None:
                out.append(limit)
        return out

    def _tokens_used(self, json):
        usage = p.at(json, "usage")
        return _sum(p.at(usage, "input_tokens"), p.at(usage, "cache_creation_input_tokens"), p.at(usage, "output_tokens"))


class _Gemini(ProviderAdapter):
    """Google Gemini: no rate-limit headers; a 429 ``RESOURCE_EXHAUSTED`` names the refused quota in
    ``google.rpc.QuotaFailure`` and the wait in ``google.rpc.RetryInfo`` ``retryDelay``; a 400 with
    ``ErrorInfo`` reason ``API_KEY_INVALID`` is an auth failure; tokens from ``usageMetadata.totalTokenCount``."""

    name = "gemini"

    def _tokens_used(self, json):
        usage = p.at(json, "usageMetadata")
        return _first(p.json_count(p.at(usage, "totalTokenCount")),
                      _sum(p.at(usage, "promptTokenCount"), p.at(usage, "candidatesTokenCount"), p.at(usage, "thoughtsTokenCount")))

    def _key_unusable(self, status, json):
        return status == 400 and any(_type_is(d, "google.rpc.ErrorInfo") and p.at(d, "reason") == "API_KEY_INVALID"
                                     for d in _google_details(json))

    def _refusal(self, json):
        details = _google_details(json)
        retry_after_ms = next((p.proto_duration(p.at(d, "retryDelay")) for d in details if _type_is(d, "google.rpc.RetryInfo")), None)
        limits: List[Dict[str, Any]] = []
        quota_id: Optional[str] = None
        for d in details:
            if not _type_is(d, "google.rpc.QuotaFailure") or not isinstance(p.at(d, "violations"), list):
                continue
            for v in p.at(d, "violations"):
                vid = p.at(v, "quotaId")
                if quota_id is None and isinstance(vid, str):
                    quota_id = vid
                kind = _google_kind(f"{p.at(v, 'quotaMetric') or ''} {vid or ''}")
                if kind is None or any(l["kind"] == kind for l in limits):
                    continue
                limits.append(_limit(kind, p.json_count(p.at(v, "quotaValue")), 0, retry_after_ms))
        return retry_after_ms, quota_id, limits


def _google_details(json: Any) -> List[Any]:
    body = json[0] if isinstance(json, list) and json else json
    details = p.at(body, "error", "details")
    return details if isinstance(details, list) else []


def _type_is(detail: Any, type_name: str) -> bool:
    t = p.at(detail, "@type")
    return isinstance(t, str) and t.endswith(type_name)


def _google_kind(names: str) -> Optional[str]:
    n = "".join(c for c in names.lower() if c not in "_- \t")
    if "inputtoken" in n:
        return "INPUT_TOKENS"
    if "outputtoken" in n:
        return "OUTPUT_TOKENS"
    if "token" in n:
        return "TOKENS"
    if "request" in n:
        return "REQUESTS"
    return None


#: OpenAI's answers.
OPENAI: ProviderAdapter = _OpenAI()
#: Anthropic's answers.
ANTHROPIC: ProviderAdapter = _Anthropic()
#: Google Gemini's answers.
GEMINI: ProviderAdapter = _Gemini()
#: Any HTTP service: statuses, ``retry-after-ms`` and ``Retry-After`` (seconds or an HTTP date) only.
GENERIC: ProviderAdapter = ProviderAdapter()
#: The adapters by name (``openai``, ``anthropic``, ``gemini``, ``generic``).
BY_NAME: Mapping[str, ProviderAdapter] = {a.name: a for a in (OPENAI, ANTHROPIC, GEMINI, GENERIC)}


# ---- finding the answer in what an HTTP client gives

def answer_of(obj: Any) -> Optional[HttpAnswer]:
    """The provider's answer in ``obj``, or None when ``obj`` holds none. Understands:

    - an :class:`HttpAnswer` or a plain ``(status, headers, body)`` tuple;
    - a ``urllib.error.HTTPError`` (raised by ``urlopen`` for 4xx/5xx): its body is read and put back,
      so the caller can still ``read()`` it;
    - a urllib / ``http.client`` response not yet read: its body is read (it can be read only once);
    - ``requests`` and ``httpx`` responses, and the OpenAI and Anthropic SDKs' raw responses
      (``.with_raw_response``): ``status_code``, ``headers``, ``text``;
    - an exception carrying such a response as ``.response`` (the OpenAI and Anthropic SDKs'
      ``APIStatusError``, ``requests``' ``HTTPError``).
    """
    if isinstance(obj, HttpAnswer):
        return obj
    if isinstance(obj, tuple) and len(obj) == 3 and isinstance(obj[0], int) and not isinstance(obj[0], bool):
        return HttpAnswer(*obj)
    import urllib.error
    if isinstance(obj, urllib.error.HTTPError):
        return HttpAnswer(obj.code, obj.headers, _reread_http_error(obj))
    import http.client
    if isinstance(obj, http.client.HTTPResponse):
        body = b"" if obj.isclosed() else obj.read()
        return HttpAnswer(obj.status, obj.headers, body)
    raw = getattr(obj, "http_response", None)  # the OpenAI/Anthropic SDKs' raw response wraps an httpx.Response
    if raw is not None and _has_status_code(raw):
        return _from_status_code(raw)
    if _has_status_code(obj) and not isinstance(obj, BaseException):
        return _from_status_code(obj)
    if isinstance(obj, BaseException):
        response = getattr(obj, "response", None)
        if response is not None and _has_status_code(response):
            return _from_status_code(response)
    return None


def _has_status_code(obj: Any) -> bool:
    status = getattr(obj, "status_code", None)
    return isinstance(status, int) and not isinstance(status, bool) and hasattr(obj, "headers")


def _from_status_code(obj: Any) -> HttpAnswer:
    try:
        body = obj.text  # httpx raises for a stream not read, requests never does
    except Exception:
        body = None
    return HttpAnswer(obj.status_code, obj.headers, body if isinstance(body, (str, bytes)) else None)


def _reread_http_error(error: Any) -> bytes:
    """Reads an HTTPError's body and puts it back, so the caller's own ``e.read()`` still sees it."""
    try:
        body = error.read()
    except Exception:
        return b""
    replacement = io.BytesIO(body)
    error.fp = replacement
    error.file = replacement
    error.__dict__.pop("read", None)  # the wrapper cached the old file's read
    return body


def adapter_named(name_or_adapter: Union[str, ProviderAdapter]) -> ProviderAdapter:
    """An adapter, given itself or its name.

    Raises:
        ValueError: no adapter has that name.
    """
    if isinstance(name_or_adapter, ProviderAdapter):
        return name_or_adapter
    adapter = BY_NAME.get(name_or_adapter) if isinstance(name_or_adapter, str) else None
    if adapter is None:
        raise ValueError(f"provider must be an adapter or one of {', '.join(BY_NAME)}, was {name_or_adapter!r}")
    return adapter


