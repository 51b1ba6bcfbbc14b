"""A local Slack Web API on 127.0.0.1, as bolt-python's own tests use: the real WebClient calls it.

It answers the methods ccobot uses, records every call (`calls`), accepts file uploads and
response_url posts, and can answer 429 with Retry-After to exercise the retry handler.

Streamed messages (chat.startStream / appendStream / stopStream) are kept in `messages` like posted
ones, with the markdown appended so far (`markdown`, as sent: escaped) and, once stopped, the
stop's blocks; appending to or stopping an unknown or stopped stream is refused as Slack does.
chat.update and chat.delete change or remove a message the fake knows (others are just answered ok).
"""

from __future__ import annotations

import base64
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
        self.limit_share: dict[str, float] = {}  # method -> share of calls answered 429 (a storm)
        self.errors: dict[str, str] = {}  # method -> the error Slack answers it with
        self.bots: set[str] = set()  # user ids that are bots (users.info is_bot)
        self.locales: dict[str, str] = {}  # user id -> Slack locale ("da-DK")
        self.names: dict[str, str] = {}  # channel id -> its name ("sales-nordics")
        self.ims: dict[str, str] = {}  # the bot's own DM channel -> the person in it
        self.channel_errors: dict[str, str] = {}  # channel -> the error posts to it get
        self.reject_blocks = False  # answer posts with blocks by invalid_blocks
        self.zones: dict[str, str] = {}  # user id -> users.info tz ("America/New_York")
        self.messages: dict[str, list[dict]] = {}  # channel -> messages posted there (ts, text, metadata)
        self.hang: dict[str, float] = {}  # method -> seconds to wait after taking a call, before answering
        self.times: list[float] = []  # when each call in `calls` came (time.monotonic)
        self.invalid: list[tuple[str, list[str]]] = []  # payloads Slack would refuse, and why
        self._random = __import__("random").Random(7)
        self.socket_url: str | None = None  # what apps.connections.open hands out
        self.installs: dict[str, dict] = {}  # bot token -> auth.test's answer for it (oauth.v2.access issues them)
        self._codes_used: set[str] = set()
        self._lock = threading.Lock()
        self._ts = 1_700_000_000.0
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                if path.startswith("/upload/") or path.startswith("/response/"):
                    fake._record(path.strip("/").split("/")[0], {"bytes": len(raw), "body": raw})
                    if path.startswith("/response/"):  # a response_url post is checked like a message
                        sent = json.loads(raw or b"{}")
                        if sent.get("blocks") and fake.refuses("response_url", sent.get("text") or "-", sent["blocks"]):
                            return self.send_body(400, b"invalid_blocks", "text/plain")
                    return self.send_body(200, b"OK", "text/plain")
                method = path.removeprefix("/api/")
                ctype = self.headers.get("Content-Type", "")
                params = json.loads(raw or b"{}") if "json" in ctype else dict(parse_qsl(raw.decode()))
                fake._credentials(self.headers.get("Authorization", ""), params)
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
                    elif fake._random.random() < fake.limit_share.get(method, 0.0):
                        left = 1
                if left:
                    fake._record(f"{method}#429", params)
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                fake._record(method, params)
                body = json.dumps(fake.reply(method, params, self.headers.get("Host"))).encode()
                if fake.hang.get(method):  # Slack took it; the answer is slow (or never read: a crash)
                    time.sleep(fake.hang[method])
                self.send_body(200, body, "application/json")


        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client killed mid-answer is expected here
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = f"{self.base}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _record(self, method: str, params: dict) -> None:
        with self._lock:
            self.calls.append((method, params))
            self.times.append(time.monotonic())

    @staticmethod
    def _credentials(authorization: str, params: dict) -> None:
        """Who called, as a param: the token (Bearer), or the app's client id and secret (Basic, oauth.v2.access)."""
        kind, _, value = authorization.partition(" ")
        if kind == "Bearer":
            params.setdefault("token", value)
        elif kind == "Basic":
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
            params.setdefault("client_id", client_id)
            params.setdefault("client_secret", secret)

    def _oauth_access(self, code: str) -> dict:
        """oauth.v2.access: "code-T1" installs workspace T1 (token xoxb-T1); "code-E1" installs the app
        org-wide in Enterprise Grid org E1 (no team). A code works once."""
        kind, _, ident = code.partition("-")
        if kind != "code" or not ident or code in self._codes_used:
            return {"ok": False, "error": "invalid_code"}
        self._codes_used.add(code)
        token, org = f"xoxb-{ident}", ident.startswith("E")
        where = {"id": ident, "name": f"Org {ident}" if org else f"Workspace {ident}"}
        self.installs[token] = {"url": f"https://{ident.lower()}.slack.com/", "team": where["name"], "user": "ccobot",
                                "team_id": ident, "user_id": f"UBOT{ident}", "bot_id": f"BBOT{ident}",
                                "is_enterprise_install": org, **({"enterprise_id": ident} if org else {})}
        return {"ok": True, "app_id": "A111", "authed_user": {"id": f"UADMIN{ident}"}, "token_type": "bot",
                "scope": "app_mentions:read,chat:write,commands", "access_token": token,
                "bot_user_id": f"UBOT{ident}", "team": None if org else where, "enterprise": where if org else None,
                "is_enterprise_install": org}

    def reply(self, method: str, params: dict, host: str) -> dict:
        if method in self.errors:
            return {"ok": False, "error": self.errors[method]}
        if method.startswith("chat.post") and params.get("channel") in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[params["channel"]]}
        if method.startswith("chat.post") and params.get("blocks") and self.reject_blocks:
            return {"ok": False, "error": "invalid_blocks"}
        blocks = params.get("blocks") or (params.get("view") or {}).get("blocks")
        if blocks and self.refuses(method, params.get("text") or "-", blocks):
            return {"ok": False, "error": "invalid_blocks"}
        if method == "oauth.v2.access":
            return self._oauth_access(params.get("code", ""))
        if method == "auth.test" and params.get("token") in self.installs:  # a token oauth.v2.access issued
            return {"ok": True, **self.installs[params["token"]]}
        if method == "auth.test":
            return {"ok": True, "user_id": "W111", "bot_id": "B111", "team_id": "T111", "user": "ccobot",
                    "url": "https://test.slack.com/"}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            channel = params.get("channel") or ""
            if method == "chat.postMessage" and channel[:1] in ("U", "W"):  # a user id: the app's DM with them
                channel = self._dm(channel)
            with self._lock:  # message ids are the time they were posted, as Slack's are, and unique
                self._ts = max(self._ts + 0.000001, time.time())
                ts = f"{self._ts:.6f}"
                if method == "chat.postMessage":
                    meta = params.get("metadata")
                    self.messages.setdefault(channel, []).append(
                        {"ts": ts, "text": params.get("text"), "metadata": json.loads(meta) if isinstance(meta, str) else meta,
                         "thread_ts": params.get("thread_ts"), "blocks": params.get("blocks")})
                return {"ok": True, "channel": channel, "ts": ts, "message_ts": ts}
        if method in ("chat.startStream", "chat.appendStream", "chat.stopStream", "chat.update", "chat.delete"):
            return self._streams(method, params)
        if method == "conversations.replies":  # a thread: its parent (ts) and the replies to it, oldest first
            with self._lock:
                found = [m for m in self.messages.get(params.get("channel"), [])
                         if params.get("ts") in (m["ts"], m.get("thread_ts"))]
            show_meta = str(params.get("include_all_metadata")).lower() in ("1", "true")
            return {"ok": True, "messages": [{"type": "message", "ts": m["ts"], "thread_ts": m.get("thread_ts"),
                                              "text": m["text"],
                                              **({"metadata": m["metadata"]} if show_meta and m["metadata"] else {})}
                                             for m in found], "has_more": False}
        if method == "conversations.history":
            oldest = float(params.get("oldest") or 0)
            with self._lock:
                found = [m for m in self.messages.get(params.get("channel"), []) if float(m["ts"]) >= oldest]
            show_meta = str(params.get("include_all_metadata")).lower() in ("1", "true")
            return {"ok": True, "messages": [{"type": "message", "ts": m["ts"], "text": m["text"],
                                              **({"metadata": m["metadata"]} if show_meta and m["metadata"] else {})}
                                             for m in reversed(found)], "has_more": False}
        if method == "users.lookupByEmail":
            user = next((u for u, e in self.emails.items() if e == params.get("email")), None)
            return {"ok": True, "user": {"id": user}} if user else {"ok": False, "error": "users_not_found"}
        if method == "users.info":
            user = params.get("user")
            return {"ok": True, "user": {"id": user, "is_bot": user in self.bots, "locale": self.locales.get(user),
                                         "tz": self.zones.get(user),
                                         "profile": {"email": self.emails.get(user)}}}
        if method == "conversations.members":  # pages of `limit` (Slack: under 1000), then a cursor
            members = self.members.get(params.get("channel"), [])
            start, size = int(params.get("cursor") or 0), min(int(params.get("limit") or 100), 999)
            more = start + size < len(members)
            return {"ok": True, "members": members[start:start + size],
                    "response_metadata": {"next_cursor": str(start + size) if more else ""}}
        if method == "conversations.info":
            channel = params.get("channel", "")
            if channel in self.ims:
                return {"ok": True, "channel": {"id": channel, "is_im": True, "user": self.ims[channel]}}
            if channel in self.members or channel in self.names:
                return {"ok": True, "channel": {"id": channel, "is_im": False, "is_channel": True,
                                                "name": self.names.get(channel, channel.lower())}}
            return {"ok": False, "error": "channel_not_found"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": self._dm(params.get("users", ""))}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"http://{host}/upload/F123", "file_id": "F123"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F123", "title": "chart"}]}
        return {"ok": True}

    def _streams(self, method: str, params: dict) -> dict:
        """chat.startStream / appendStream / stopStream as Slack answers them, and chat.update /
        chat.delete of the messages the fake holds."""
        channel, ts = params.get("channel") or "", params.get("ts")
        with self._lock:
            if method == "chat.startStream":
                if not params.get("thread_ts"):  # "Streamed messages should always be replies to a user request"
                    return {"ok": False, "error": "invalid_arguments"}
                if not channel.startswith("D") and not (params.get("recipient_team_id") and params.get("recipient_user_id")):
                    return {"ok": False, "error": "invalid_arguments"}  # required outside a DM
                self._ts = max(self._ts + 0.000001, time.time())
                ts = f"{self._ts:.6f}"
                self.messages.setdefault(channel, []).append(
                    {"ts": ts, "text": None, "metadata": None, "thread_ts": params["thread_ts"], "blocks": None,
                     "markdown": params.get("markdown_text") or "", "streaming": True,
                     "recipient": (params.get("recipient_team_id"), params.get("recipient_user_id"))})
                return {"ok": True, "channel": channel, "ts": ts}
            found = next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)
            if method in ("chat.update", "chat.delete") and found is None:
                return {"ok": True, "channel": channel, "ts": ts}  # a message posted before this fake: answered only
            if found is None:
                return {"ok": False, "error": "message_not_found"}
            if method == "chat.delete":
                self.messages[channel].remove(found)
                return {"ok": True, "channel": channel, "ts": ts}
            if method == "chat.update":
                found.update(text=params.get("text"), blocks=params.get("blocks"), markdown=None, updated=True)
                return {"ok": True, "channel": channel, "ts": ts}
            if not found.get("streaming"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            if method == "chat.appendStream" and not params.get("markdown_text"):
                return {"ok": False, "error": "invalid_arguments"}
            found["markdown"] += params.get("markdown_text") or ""
            if method == "chat.stopStream":
                found.update(streaming=False, blocks=params.get("blocks"))
            return {"ok": True, "channel": channel, "ts": ts}

    def thread(self, channel: str, thread_ts: str) -> list[dict]:
        """The messages in a thread as they stand now (posted, streamed, updated; deleted ones gone)."""
        with self._lock:
            return [dict(m) for m in self.messages.get(channel, []) if m.get("thread_ts") == thread_ts]

    def _dm(self, user: str) -> str:
        """The bot's DM channel with a person (made on first use, as Slack does)."""
        with self._lock:
            dm = next((c for c, u in self.ims.items() if u == user), f"D{user}")
            self.ims.setdefault(dm, user)
            return dm

    def posts_to(self, channel: str) -> list[dict]:
        """chat.postMessage calls to a channel or user id (a user's DM counts as theirs)."""
        dm = self.ims.get(channel)
        return [p for p in self.of("chat.postMessage") if p.get("channel") in (channel, dm)]

    def refuses(self, where: str, text: str, blocks: list) -> bool:
        """Check a payload as Slack does (tests/fakes/block_kit.py); remember what it would refuse."""
        from tests.fakes.block_kit import problems

        found = problems(text, blocks) if isinstance(blocks, list) else ["blocks are not a list"]
        if found:
            with self._lock:
                self.invalid.append((where, found))
        return bool(found)

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
