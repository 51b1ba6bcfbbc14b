"""Who may post to /api/messages: the Bot Connector's JWT, checked by the Microsoft 365 Agents SDK.

Every request carries `Authorization: Bearer <jwt>` signed by the Bot Framework or Entra; the
SDK's `JwtTokenValidator` fetches the issuer's keys, checks the signature, the audience (our app
id) and the issuer, and gives the claims the adapter needs to answer (the serviceUrl claim). A
request without a token, or with one that fails, gets 401 — unless anonymous mode is switched on
explicitly for local testing (CCOBOT_TEAMS_ANONYMOUS).

One further issuer can be trusted by configuration (CCOBOT_TEAMS_TRUSTED_ISSUER and its JWKS URL):
the SDK looks keys up only at Microsoft's addresses, so a token from a local test issuer (or a
gateway that re-signs requests) is verified here the same way — signature by the issuer's keys,
audience our app id, issuer exact, expiry — with PyJWT, the library the SDK itself uses.
"""

from __future__ import annotations

import logging

import anyio.to_thread
import jwt
from microsoft_agents.hosting.core import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator

log = logging.getLogger("ccobot.teams")


class Unauthorised(Exception):
    """The request may not post to the bot (401); the message says why, without token details."""


class TeamsAuth:
    def __init__(self, config: AgentAuthConfiguration, trusted_issuer: str | None = None,
                 trusted_jwks_url: str | None = None) -> None:
        self.config = config
        self.trusted_issuer = trusted_issuer
        self._trusted_keys = jwt.PyJWKClient(trusted_jwks_url) if trusted_issuer and trusted_jwks_url else None

    async def claims(self, header: str | None) -> ClaimsIdentity:
        """The request's verified claims, or Unauthorised."""
        validator = JwtTokenValidator(self.config)
        if not header:
            if self.config.ANONYMOUS_ALLOWED:
                return validator.get_anonymous_claims()
            raise Unauthorised("no token")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorised("not a bearer token")
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            if self._trusted_keys is not None and issuer == self.trusted_issuer:
                return await anyio.to_thread.run_sync(self._trusted, token)
            return await validator.validate_token(token)
        except (jwt.PyJWTError, ValueError) as exc:
            log.warning("Teams request refused: %s", type(exc).__name__)  # never the token
            raise Unauthorised("invalid token") from None

    def _trusted(self, token: str) -> ClaimsIdentity:
        key = self._trusted_keys.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.config.CLIENT_ID,
                            issuer=self.trusted_issuer, options={"require": ["exp", "aud", "iss"]})
        return ClaimsIdentity(claims, "Bearer")
