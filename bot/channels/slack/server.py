"""Running the Slack app: Socket Mode with an app token (no public URL), else HTTP.

HTTP serves events, slash commands and interactivity at /slack/events (signatures checked by
Bolt with the signing secret: a bad signature or a stale timestamp is a 401 and no listener
runs) and GET /healthz for load balancers.
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from slack_bolt import App, BoltRequest

log = logging.getLogger("ccobot.slack")
EVENTS_PATH = "/slack/events"


def http_server(app: App, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            if self.path.split("?")[0] == "/healthz":
                return self._send(200, json.dumps({"ok": True}).encode(), {"Content-Type": "application/json"})
            self._send(404, b"not found", {})

        def do_POST(self) -> None:  # noqa: N802
            if self.path.split("?")[0] != EVENTS_PATH:
                return self._send(404, b"not found", {})
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
            headers = {k.lower(): [v] for k, v in self.headers.items()}
            resp = app.dispatch(BoltRequest(body=body, query=self.path.partition("?")[2], headers=headers))
            out = {k: v[0] if isinstance(v, list) else v for k, v in resp.headers.items()}
            self._send(resp.status, (resp.body or "").encode("utf-8"), out)

        def _send(self, status: int, data: bytes, headers: dict) -> None:
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt: str, *args) -> None:  # requests are logged without bodies or tokens
            log.debug("%s %s", self.command, self.path.split("?")[0])

    server = _Server((host, port), Handler)
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    # The default listen backlog of 5 makes bursts wait for TCP's 1 s SYN retry; Slack sends bursts.
    request_queue_size = 512


def socket_mode(app: App, app_token: str, api_url: str | None = None):
    """A Socket Mode handler (connections:write on the app-level token). apps.connections.open
    goes to the same Web API base URL as everything else."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    web = WebClient(token=app_token, **({"base_url": api_url} if api_url else {}))
    return SocketModeHandler(app, app_token, web_client=web)
