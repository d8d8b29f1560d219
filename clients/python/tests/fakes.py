"""A fake hub and a fake provider on one local HTTP server, for tests that need no real hubs.

The hub grants every acquire and records every complete body; the provider answers
``/provider/<status>`` with that status, the headers given as query parameters and a JSON body.
"""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

API_KEY = "sk-proj-test-abcdefghijklmnop-wxyz"


class FakeServer:
    """Start with ``with FakeServer() as server:``; ``server.url``, ``server.completes``."""

    def __init__(self) -> None:
        self.completes: List[Dict[str, Any]] = []
        self.acquires: List[Dict[str, Any]] = []
        self.provider_body: Any = {"usage": {"total_tokens": 29}}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                path = urllib.parse.urlparse(self.path).path
                if path == "/api/v1/acquire":
                    owner.acquires.append(body)
                    n = len(owner.acquires)
                    self._json(200, {"leaseId": f"main-{n}.secret{n}", "hubId": "main", "pool": body["pool"], "keyId": "k1",
                                     "apiKey": API_KEY, "tokens": body["tokens"], "expiresAt": "2026-12-07T12:01:00Z"})
                elif path.endswith("/complete"):
                    owner.completes.append(body)
                    self._json(200, {"leaseId": path.split("/")[-2], "settled": True})
                elif path.startswith("/api/v1/agents/"):
                    self._json(200, {"alive": True})
                elif path.startswith("/provider/"):
                    self._provider()
                else:
                    self._json(404, {"error": "not_found"})

            def _provider(self) -> None:
                url = urllib.parse.urlparse(self.path)
                status = int(url.path.rsplit("/", 1)[1])
                data = json.dumps(owner.provider_body).encode()
                self.send_response(status)
                for name, value in urllib.parse.parse_qsl(url.query):
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _json(self, status: int, value: Dict[str, Any]) -> None:
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def provider(self, status: int, headers: Optional[Dict[str, str]] = None) -> str:
        """The URL at which the provider answers ``status`` with ``headers``."""
        return f"{self.url}/provider/{status}?{urllib.parse.urlencode(headers or {})}"

    def __enter__(self) -> "FakeServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
