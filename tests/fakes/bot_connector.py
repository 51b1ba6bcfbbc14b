"""A local Bot Connector on 127.0.0.1 (the activity's serviceUrl in tests), and a local token issuer.

FakeConnector answers what the Agents SDK's connector client calls:
    POST /v3/conversations/{id}/activities[/{replyToId}]   a reply or a proactive message → {"id"}
    GET  /v3/conversations/{id}/members/{memberId}          a member, with the email Teams gives
    GET  /v3/conversations/{id}/members                     the roster
and keeps what it received in `sent` (with the Authorization header). `gone` conversations answer
403, as Teams does once the bot was removed.

LocalIssuer signs RS256 tokens like the Bot Connector's and serves its keys as a JWKS, so the
bot's configured trust in it can be tested without Microsoft's login servers.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import ThreadingHTTPServer

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
        self.sent: list[dict] = []
        self.gone: set[str] = set()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                parts = self.path.strip("/").split("/")
                conversation = parts[2] if len(parts) > 2 else ""
                if conversation in fake.gone:
                    return self._json(403, {"error": {"code": "BotNotInConversationRoster", "message": "gone"}})
                fake.sent.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                  "conversation": conversation, "activity": body})
                self._json(200, {"id": uuid.uuid4().hex[:12]})

            def do_GET(self) -> None:  # noqa: N802
                parts = self.path.strip("/").split("/")
                if len(parts) == 5 and parts[3] == "members":
                    member = fake.members.get(parts[4])
                    return self._json(200, member) if member else self._json(404, {"error": {"code": "MemberNotFound"}})
                if len(parts) == 4 and parts[3] == "members":
                    return self._json(200, list(fake.members.values()))
                self._json(404, {"error": {"code": "NotFound"}})

            def _json(self, status: int, payload: object) -> None:
                self.send_body(status, json.dumps(payload).encode(), "application/json")

        super().__init__(Handler)

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
