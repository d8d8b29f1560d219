#!/usr/bin/env python3
"""One Python agent of the chaos suite's cross-language scenario (docs/chaos.md).

The ``quotahub`` client of clients/python (run with ``PYTHONPATH=clients/python``) over the hubs'
HTTP API, its own machine's hub first and the AGENT token. While its stdin is open it acquires a
lease on the pool, calls the provider simulator with the leased key, settles by the provider's
answer and thinks; every step is one JSON line on stdout, which the suite records as it records
its Java agents. Times are epoch milliseconds. It stops when its stdin closes (the suite's end, or
the suite's death), reporting a want it could not meet.

    python3 chaos/agents/python-agent.py --agent python-main-1 --side main --pool chaos \\
        --hubs http://127.0.0.1:9000,http://127.0.0.1:9100 --provider http://127.0.0.1:8000 --think-ms 600

Environment: QH_AGENT_TOKEN, the hubs' AGENT token.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

from quotahub import HubUnavailableError, QuotaClient, QuotaExhaustedError, QuotaHubError

MAX_WAIT_S = 2.0

_out = threading.Lock()


def now_ms() -> float:
    return time.time_ns() / 1e6


def emit(event: str, agent: str, **fields) -> None:
    line = json.dumps({"event": event, "agent": agent, **fields}, separators=(",", ":"))
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def call_provider(provider: str, api_key: str, tokens: int):
    """POST /v1/complete with the leased key, as the suite's ProviderCaller does: (status, Retry-After s); status 0 on an I/O error."""
    request = urllib.request.Request(provider.rstrip("/") + "/v1/complete", data=json.dumps({"tokens": tokens}).encode("utf-8"),
                                     method="POST")
    request.add_header("Authorization", "Bearer " + api_key)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
            return response.status, _retry_after(response.headers)
    except urllib.error.HTTPError as e:
        try:
            return e.code, _retry_after(e.headers)
        finally:
            e.close()
    except (OSError, ValueError):
        return 0, 0


def _retry_after(headers) -> int:
    try:
        return int(headers.get("Retry-After") or 1)
    except ValueError:
        return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", required=True)
    parser.add_argument("--side", required=True)
    parser.add_argument("--pool", default="chaos")
    parser.add_argument("--hubs", required=True, help="the hubs' base URLs, own machine first, comma-separated")
    parser.add_argument("--provider", required=True)
    parser.add_argument("--think-ms", type=int, default=600)
    args = parser.parse_args()
    agent, pool = args.agent, args.pool

    stop = threading.Event()

    def watch_stdin() -> None:
        for _ in sys.stdin:
            pass
        stop.set()

    threading.Thread(target=watch_stdin, name="stdin", daemon=True).start()

    # heartbeats every second: the suite's hubs forget an agent after 3 s
    with QuotaClient(args.hubs.split(","), agent_id=agent, token=os.environ.get("QH_AGENT_TOKEN") or None,
                     heartbeat_interval=1.0, discover_peer=False) as qh:
        emit("ready", agent, side=args.side, pool=pool, runtime="python " + sys.version.split()[0])
        wanted_since = None
        while not stop.is_set():
            if wanted_since is None:
                wanted_since = now_ms()
            asked = now_ms()
            try:
                lease = qh.acquire(pool, tokens=1, max_wait=MAX_WAIT_S)
            except QuotaExhaustedError as e:
                emit("miss", agent, pool=pool, kind="refused", code=e.code, retryAfterMs=int(e.retry_after * 1000),
                     latencyMs=now_ms() - asked, at=now_ms())
                stop.wait(min(max(e.retry_after or 0.1, 0.01), 1.0))
                continue
            except HubUnavailableError:
                emit("miss", agent, pool=pool, kind="unavailable", code="UNAVAILABLE", retryAfterMs=0,
                     latencyMs=now_ms() - asked, at=now_ms())
                stop.wait(0.02)
                continue
            except Exception as e:  # a hub's error code, or a bug: the suite fails the scenario on either
                code = e.code if isinstance(e, QuotaHubError) else type(e).__name__
                emit("miss", agent, pool=pool, kind="error", code=code, retryAfterMs=0, latencyMs=now_ms() - asked,
                     at=now_ms(), message=str(e)[:200])
                stop.wait(0.05)
                continue
            emit("lease", agent, side=args.side, pool=pool, hub=lease.hub_id, key=lease.key_id, lease=lease.lease_id,
                 wantedSince=wanted_since, at=now_ms())
            wanted_since = None
            status, retry_after = call_provider(args.provider, lease.api_key, 1)
            emit("call", agent, key=lease.key_id, status=status, at=now_ms())
            outcome = "OK" if status == 200 else "RATE_LIMITED" if status == 429 else "ERROR"
            emit("settle", agent, pool=pool, lease=lease.lease_id, outcome=outcome, tokens=1, at=now_ms())
            try:
                if status == 200:
                    lease.complete(tokens_used=1)
                elif status == 429:
                    lease.rate_limited(retry_after=retry_after)
                else:
                    lease.failed(f"http {status}")
            except QuotaHubError as e:
                emit("miss", agent, pool=pool, kind="settle", code=e.code, retryAfterMs=0, latencyMs=0, at=now_ms())
            stop.wait(args.think_ms / 1000.0)
        if wanted_since is not None:
            emit("want", agent, side=args.side, pool=pool, **{"from": wanted_since, "to": now_ms()})
    emit("stopped", agent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
