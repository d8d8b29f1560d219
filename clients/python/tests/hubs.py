"""The running hubs the tests use, from the environment the Maven IT (PythonClientIT) sets.

QH_HUB_URLS: the two hubs' URLs, main first; QH_AGENT_TOKEN: an AGENT token;
QH_HUB_PIDS: ``main=<pid>,edge=<pid>`` (the failover test kills one).
"""

import os
import unittest
from typing import Dict, List

URLS: List[str] = [u for u in os.environ.get("QH_HUB_URLS", "").split(",") if u]
TOKEN: str = os.environ.get("QH_AGENT_TOKEN", "")
PIDS: Dict[str, int] = {k: int(v) for k, v in (p.split("=") for p in os.environ.get("QH_HUB_PIDS", "").split(",") if p)}


def require_hubs(test: unittest.TestCase) -> None:
    """Skips a test when no hubs were given (run the tests through ./mvnw, which starts them)."""
    if len(URLS) < 2 or not TOKEN:
        test.skipTest("QH_HUB_URLS (two hubs) and QH_AGENT_TOKEN are not set: run through ./mvnw -pl clients/python verify")
