"""A local Bot Connector on 127.0.0.1 (the activity's serviceUrl in tests), and a local token issuer.

FakeConnector answers what the Agents SDK's connector client calls:
    POST /v3/conversations/{id}/activities[/{replyToId}]   a reply or a proactive message → {"id"}
    POST /v3/conversations                                  a one-to-one chat with a member → {"id"}
    GET  /v3/conversations/{id}/members/{memberId}          a member, with the email Teams gives
    GET  /v3/conversations/{id}/members                     the roster
    GET  /v3/conversations/{id}/pagedmembers                the roster, page by page (continuationToken)
and keeps what it received in `sent` (with the Authorization header). `gone` conversations answer
403, as Teams does once the bot was removed. `rooms` says who is in a conversation (everyone in
`members` when not given); members in `unreachable` get no one-to-one chat (403, the app not
installed for them).

LocalIssuer signs RS256 tokens like the Bot Connector's and serves its keys as a JWKS, so the
bot's configured trust in it can be tested without Microsoft's login servers.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.http import QuietHandler


class _Server:
    def __init__(self, handler: type) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeConnector(_Server):
    def __init__(self, members: dict[str, dict] | None = None) -> None:
        self.members = members or {}  # Teams user id → the member record (name, email, aadObjectId)
        self.rooms: dict[str, list[str]] = {}  # conversation id → the user ids in it
        self.unreachable: set[str] = set()
        self.created: list[dict] = []  # the bodies of one-to-one chats asked for
        self.roster_pages = 0
        self.sent: list[dict] = []
        self.gone: set[str] = set()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                parts = self.path.split("?")[0].strip("/").split("/")
                if parts == ["v3", "conversations"]:
                    return self._create(body)
                conversation = parts[2] if len(parts) > 2 else ""
                if conversation in fake.gone:
                    return self._json(403, {"error": {"code": "BotNotInConversationRoster", "message": "gone"}})
                posted = uuid.uuid4().hex[:12]
                fake.sent.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                  "conversation": conversation, "activity": body, "id": posted})
                self._json(200, {"id": posted})

            def do_GET(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                parts = path.strip("/").split("/")
                if len(parts) == 5 and parts[3] == "members":
                    member = fake.members.get(parts[4])
                    return self._json(200, member) if member else self._json(404, {"error": {"code": "MemberNotFound"}})
                if len(parts) == 4 and parts[3] in ("members", "pagedmembers"):
                    if parts[2] in fake.gone:
                        return self._json(403, {"error": {"code": "BotNotInConversationRoster"}})
                    ids = fake.rooms.get(parts[2].split(";")[0], list(fake.members))
                    everyone = [fake.members[i] for i in ids if i in fake.members]
                    if parts[3] == "members":
                        return self._json(200, everyone)
                    return self._json(200, fake._page(everyone, parse_qs(query)))
                self._json(404, {"error": {"code": "NotFound"}})

            def _create(self, body: dict) -> None:
                (member,) = [m["id"] for m in body.get("members") or []] or [None]
                if member is None or member in fake.unreachable or body.get("isGroup"):
                    return self._json(403, {"error": {"code": "Forbidden", "message": "app not installed"}})
                fake.created.append(body)
                self._json(201, {"id": f"a:personal-{member}"})

            def _json(self, status: int, payload: object) -> None:
                self.send_body(status, json.dumps(payload).encode(), "application/json")

        super().__init__(Handler)

    def _page(self, members: list[dict], query: dict) -> dict:
        """Teams' paged roster: `pageSize` members from `continuationToken` (an offset here)."""
        self.roster_pages += 1
        size = int((query.get("pageSize") or ["500"])[0])
        start = int((query.get("continuationToken") or ["0"])[0])
        page = {"members": members[start:start + size]}
        if start + size < len(members):
            page["continuationToken"] = str(start + size)
        return page

    def to(self, conversation: str, kind: str = "message") -> list[dict]:
        """What was posted into one conversation."""
        return [s["activity"] for s in self.sent if s["conversation"] == conversation
                and s["activity"].get("type") == kind]

    def replies(self, kind: str = "message") -> list[dict]:
        return [s["activity"] for s in self.sent if s["activity"].get("type") == kind]

    def wait_for(self, count: int = 1, kind: str = "message", timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.replies(kind)) >= count:
                return self.replies(kind)
            time.sleep(0.02)
        raise AssertionError(f"{count} {kind} activities expected, got {len(self.replies(kind))}")


class LocalIssuer(_Server):
    ISSUER = "https://issuer.ccobot.test/"

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        keys = json.dumps({"keys": [{**jwk, "kid": "test-key", "use": "sig", "alg": "RS256"}]}).encode()

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_body(200, keys, "application/json")

        super().__init__(Handler)
        self.jwks_url = self.url + "keys"

    def token(self, audience: str, issuer: str | None = None, lifetime: int = 600, key=None,
              service_url: str | None = None) -> str:
        now = int(time.time())
        claims = {"iss": issuer or self.ISSUER, "aud": audience, "iat": now, "nbf": now, "exp": now + lifetime}
        if service_url:  # the Bot Connector names the serviceUrl it may be answered at
            claims["serviceurl"] = service_url
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": "test-key"})


class LocalTokens:
    """The bot's own tokens for the Bot Connector, as MSAL would get them from Entra: a provider of
    the SDK's AccessTokenProviderBase interface handing out a fixed test token (`TOKEN`)."""

    TOKEN = "bot-token-from-local-tokens"

    def __init__(self, configuration) -> None:
        self._configuration = configuration

    @property
    def configuration(self):
        return self._configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return self.TOKEN

    def get_token_credential(self):
        raise NotImplementedError("not used by the connector client")


def local_connections(config):
    """A connection manager over LocalTokens, in place of MSAL's."""
    from microsoft_agents.hosting.core.authorization.connection_manager import ConnectionManager

    return ConnectionManager(provider_factory=LocalTokens, connections_configurations={"SERVICE_CONNECTION": config})
