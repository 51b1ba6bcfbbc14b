"""Installable in more than one workspace: Bolt's OAuth flow, with the installations in the state database.

Used when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set; otherwise the app runs with one bot
token (SLACK_BOT_TOKEN), the default.

    GET /slack/install          the "Add to Slack" page: a link to slack.com/oauth/v2/authorize with the
                                client id, the bot scopes and a one-time state (also set as a cookie)
    GET /slack/oauth_redirect   Slack sends the installer back here with a code; a state that was not
                                issued to this browser, has expired or was used already is refused;
                                oauth.v2.access (at SLACK_API_URL when set) turns the code into the
                                workspace's bot token, which is saved

Installations and states live in the state database (slack_sdk's SQLAlchemy stores on our engine:
tables slack_installations, slack_bots, slack_oauth_states), so every instance behind a load balancer
sees every install. Only bot tokens are asked for and used (installation_store_bot_only): each event
is answered with the token of the workspace it came from, or of the Enterprise Grid organisation when
the app was installed org-wide (its team id is then None and Bolt looks the token up by enterprise id).
"""

from __future__ import annotations

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine as SqlEngine

from bot.config import Settings
from bot.errors import SettingsError

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # how long an install link stays good
# The bot scopes of deploy/slack/manifest.json (tests keep the two equal; deploy/slack/README.md says
# which call or event needs each).
BOT_SCOPES = (
    "app_mentions:read", "assistant:write", "channels:history", "channels:read", "chat:write", "commands",
    "files:write", "groups:history", "groups:read", "im:history", "im:read", "im:write", "mpim:read", "users:read",
    "users:read.email",
)


def oauth_settings(client_id: str, client_secret: str, state: SqlEngine, redirect_uri: str | None = None,
                   ) -> OAuthSettings:
    """Bolt's OAuth settings with the installation and state stores in the state database."""
    installations = SQLAlchemyInstallationStore(client_id=client_id, engine=state)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=state)
    installations.create_tables()  # CREATE TABLE only for those missing, like open_state
    states.create_tables()
    return OAuthSettings(
        client_id=client_id, client_secret=client_secret, scopes=list(BOT_SCOPES), user_scopes=[],
        redirect_uri=redirect_uri, install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        installation_store=installations, installation_store_bot_only=True,
        state_store=states, state_expiration_seconds=STATE_SECONDS)


def oauth_from_settings(settings: Settings, state: SqlEngine) -> OAuthSettings | None:
    """The OAuth settings when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set, else None (one bot token)."""
    client_id = settings.slack_client_id
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else None
    if not client_id and not secret:
        return None
    if not client_id or not secret:
        missing = "SLACK_CLIENT_ID" if not client_id else "SLACK_CLIENT_SECRET"
        raise SettingsError(f"{missing} is not set: installing in several workspaces needs both "
                            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (or neither, for one SLACK_BOT_TOKEN)")
    return oauth_settings(client_id, secret, state, settings.slack_redirect_uri)
