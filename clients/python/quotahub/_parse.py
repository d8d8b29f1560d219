"""The small grammars of providers' answers: header maps, counts, Go and protobuf durations, RFC 3339
times and HTTP dates. Each parser answers None for anything it does not fully match, so a malformed
header is ignored rather than misread. Durations come back as whole milliseconds, times as epoch ms.
"""

import calendar
import json
import re
from typing import Any, Dict, Iterable, Mapping, Optional

_COUNT = re.compile(r"\d{1,15}")
_MILLIS = re.compile(r"\d{1,15}(\.\d+)?")
_SECONDS = re.compile(r"\d{1,12}(\.\d+)?")
_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|μs|ns|h|m|s)")
_GO_UNIT_MS = {"h": 3_600_000.0, "m": 60_000.0, "s": 1_000.0, "ms": 1.0, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ns": 1e-6}
_PROTO_DURATION = re.compile(r"(\d{1,12})(\.\d{1,9})?s")
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_IMF_FIXDATE = re.compile(r"[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT")
_RFC850 = re.compile(r"[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT")
_ASCTIME = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})")


def header_map(headers: Any) -> Dict[str, str]:
    """Lower-cased names to their first value, from a dict, an ``http.client.HTTPMessage``, an
    ``httpx``/``requests`` headers object or name/value pairs."""
    out: Dict[str, str] = {}
    if headers is None:
        return out
    if isinstance(headers, (str, bytes)):
        raise TypeError("headers must be a mapping or name/value pairs, not text")
    items: Iterable = headers.items() if hasattr(headers, "items") else headers
    try:
        for pair in items:
            name, value = pair
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if isinstance(name, bytes):
                name = name.decode("latin-1")
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if isinstance(name, str) and isinstance(value, (str, int)) and not isinstance(value, bool):
                out.setdefault(name.lower(), str(value).strip())
    except (TypeError, ValueError):
        raise TypeError("headers must be a mapping or name/value pairs") from None
    return out


def count(text: Optional[str]) -> Optional[int]:
    """A non-negative whole count (``200``)."""
    return int(text) if text is not None and _COUNT.fullmatch(text) else None


def millis(text: Optional[str]) -> Optional[int]:
    """A non-negative number of milliseconds (``1500``, ``1500.5``), rounded."""
    return _round(float(text)) if text is not None and _MILLIS.fullmatch(text) else None


def seconds(text: Optional[str]) -> Optional[int]:
    """A non-negative number of seconds (``120``, ``1.5``) in ms."""
    return _round(float(text) * 1000) if text is not None and _SECONDS.fullmatch(text) else None


def go_duration(text: Optional[str]) -> Optional[int]:
    """A Go duration as OpenAI writes resets: ``6m0s``, ``1.5s``, ``20ms``, ``1m30.25s``, in ms."""
    if not text or len(text) > 64:
        return None
    if text == "0":
        return 0
    total, at = 0.0, 0
    while at < len(text):
        m = _GO_PART.match(text, at)
        if m is None:
            return None
        total += float(m.group(1)) * _GO_UNIT_MS[m.group(2)]
        at = m.end()
    return _round(total)


def proto_duration(value: Any) -> Optional[int]:
    """A protobuf (JSON) duration as Google writes ``retryDelay``: ``13s``, ``34.500s``, in ms."""
    m = _PROTO_DURATION.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        return None
    return _round(int(m.group(1)) * 1000 + (float(m.group(2)) * 1000 if m.group(2) else 0.0))


def rfc3339(text: Optional[str]) -> Optional[int]:
    """An RFC 3339 time as Anthropic writes resets (``2026-12-07T12:00:12.500Z``), in epoch ms."""
    m = _RFC3339.fullmatch(text) if text else None
    if m is None:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    base = _utc(y, mo, d, h, mi, s)
    if base is None:
        return None
    frac, zone = m.group(7), m.group(8)
    offset = 0
    if zone not in ("Z", "z"):
        sign = -1 if zone.startswith("-") else 1
        offset = sign * (int(zone[1:3]) * 60 + int(zone[4:6])) * 60_000
    return base + (_round(float(frac) * 1000) if frac else 0) - offset


def http_date(text: Optional[str]) -> Optional[int]:
    """An HTTP date in any of the three forms HTTP allows (``Mon, 07 Dec 2026 12:00:30 GMT`` first), in epoch ms."""
    if not text:
        return None
    m = _IMF_FIXDATE.fullmatch(text)
    if m:
        return _utc_named(int(m.group(3)), m.group(2), int(m.group(1)), m.group(4), m.group(5), m.group(6))
    m = _RFC850.fullmatch(text)
    if m:
        yy = int(m.group(3))  # an obsolete form: 70-99 are 19xx, as most HTTP libraries read them
        return _utc_named(1900 + yy if yy >= 70 else 2000 + yy, m.group(2), int(m.group(1)), m.group(4), m.group(5), m.group(6))
    m = _ASCTIME.fullmatch(text)
    if m:
        return _utc_named(int(m.group(6)), m.group(1), int(m.group(2).strip()), m.group(3), m.group(4), m.group(5))
    return None


def _utc_named(year: int, month: str, day: int, h: str, mi: str, s: str) -> Optional[int]:
    name = month.lower()
    if name not in _MONTHS:
        return None
    return _utc(year, _MONTHS.index(name) + 1, day, int(h), int(mi), int(s))


def _utc(y: int, mo: int, d: int, h: int, mi: int, s: int) -> Optional[int]:
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1] and h < 24 and mi < 60 and s < 61):
        return None
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * 1000


def _round(x: float) -> int:
    """Half up, as JavaScript's Math.round: the SDKs read a provider alike."""
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def json_body(body: Any, max_chars: int = 4_000_000) -> Any:
    """The body as JSON, or None when it is not JSON (or too large to be worth reading)."""
    if isinstance(body, (bytes, bytearray)):
        if len(body) > max_chars:
            return None
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(body, str) or not body or len(body) > max_chars:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def at(value: Any, *path: str) -> Any:
    """``value[path...]`` when every step is a dict key, else None."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def json_count(value: Any) -> Optional[int]:
    """A whole non-negative count from a JSON value (a number, or the digits Google writes for int64)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        return count(value)
    return None
