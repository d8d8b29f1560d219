"""A client given one URL finds the other hub through GET /api/v1/hubs, with its AGENT token."""

import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from quotahub import QuotaClient


class _OneHub(BaseHTTPRequestHandler):
    """Answers /api/v1/hubs as a hub whose peer-http-url is set; records what it was asked."""

    peer = "http://pc2:9100/"
    seen = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        _OneHub.seen.append((self.path, self.headers.get("Authorization")))
        if self.path != "/api/v1/hubs":
            self.send_error(404)
            return
        body = json.dumps({"hubId": "main", "ready": True, "peerHubId": "edge", "peerHttpUrl": _OneHub.peer}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class DiscoveryTest(unittest.TestCase):

    def setUp(self) -> None:
        _OneHub.seen = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _OneHub)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def tearDown(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def test_oneUrl_findsThePeerFromTheHubsRoute_withTheAgentToken(self) -> None:
        with QuotaClient([self.url], token="agent-token", heartbeat_interval=60) as qh:
            self.assertEqual(qh.urls, [self.url, "http://pc2:9100"])
        self.assertIn(("/api/v1/hubs", "Bearer agent-token"), _OneHub.seen)

    def test_twoUrls_orDiscoveryOff_askNothing(self) -> None:
        with QuotaClient([self.url, "http://other:9100"], heartbeat_interval=60) as qh:
            self.assertEqual(qh.urls, [self.url, "http://other:9100"])
        with QuotaClient([self.url], discover_peer=False, heartbeat_interval=60) as qh:
            self.assertEqual(qh.urls, [self.url])
        self.assertEqual(_OneHub.seen, [])

    def test_aHubThatCannotBeReached_leavesTheOneUrl(self) -> None:
        self.stop()
        with QuotaClient([self.url], heartbeat_interval=60, timeout=1) as qh:
            self.assertEqual(qh.urls, [self.url])


if __name__ == "__main__":
    unittest.main()
