"""A local Slack Web API on 127.0.0.1, as bolt-python's own tests use: the real WebClient calls it.

It answers the methods ccobot uses, records every call (`calls`), accepts file uploads and
response_url posts, and can answer 429 with Retry-After to exercise the retry handler.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.fakes.http import QuietHandler


class FakeSlack:
    def __init__(self, emails: dict[str, str] | None = None, members: dict[str, list[str]] | None = None) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.emails = emails or {}
        self.members = members or {}
        self.rate_limit: dict[str, int] = {}  # method -> how many 429s to give first
        self.socket_url: str | None = None  # what apps.connections.open hands out
        self._lock = threading.Lock()
        self._ts = 1_700_000_000.0
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                if path.startswith("/upload/") or path.startswith("/response/"):
                    fake._record(path.strip("/").split("/")[0], {"bytes": len(raw), "body": raw})
                    return self.send_body(200, b"OK", "text/plain")
                method = path.removeprefix("/api/")
                ctype = self.headers.get("Content-Type", "")
                params = json.loads(raw or b"{}") if "json" in ctype else dict(parse_qsl(raw.decode()))
                for key in ("blocks", "prompts", "view", "files"):
                    if isinstance(params.get(key), str):
                        try:
                            params[key] = json.loads(params[key])
                        except ValueError:
                            pass
                with fake._lock:
                    left = fake.rate_limit.get(method, 0)
                    if left:
                        fake.rate_limit[method] = left - 1
                if left:
                    fake._record(f"{method}#429", params)
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                fake._record(method, params)
                body = json.dumps(fake.reply(method, params, self.headers.get("Host"))).encode()
                self.send_body(200, body, "application/json")


        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = f"{self.base}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _record(self, method: str, params: dict) -> None:
        with self._lock:
            self.calls.append((method, params))

    def reply(self, method: str, params: dict, host: str) -> dict:
        if method == "auth.test":
            return {"ok": True, "user_id": "W111", "bot_id": "B111", "team_id": "T111", "user": "ccobot",
                    "url": "https://test.slack.com/"}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            with self._lock:
                self._ts += 1
                return {"ok": True, "channel": params.get("channel"), "ts": f"{self._ts:.6f}",
                        "message_ts": f"{self._ts:.6f}"}
        if method == "users.info":
            user = params.get("user")
            return {"ok": True, "user": {"id": user, "profile": {"email": self.emails.get(user)}}}
        if method == "conversations.members":
            return {"ok": True, "members": self.members.get(params.get("channel"), []),
                    "response_metadata": {"next_cursor": ""}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"http://{host}/upload/F123", "file_id": "F123"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F123", "title": "chart"}]}
        return {"ok": True}

    def of(self, method: str) -> list[dict]:
        with self._lock:
            return [p for m, p in self.calls if m == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.of(method)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        return self.of(method)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
