"""Installable in several workspaces: Bolt's OAuth flow over HTTP (the web app under uvicorn)
against the local fake Slack Web API.

A browser opens /slack/install and comes back to /slack/oauth_redirect with Slack's code; the
installations land in the state database. Events come signed, as Slack sends them, from workspaces
T1 and T2 and from workspace T9 of Enterprise Grid org E1 (installed org-wide); each must be
answered with its own workspace's token.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import date, datetime
from email.message import Message
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from pydantic import SecretStr
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot.channels.slack.app import create_app
from bot.channels.slack.oauth import BOT_SCOPES, REDIRECT_PATH, oauth_from_settings, oauth_settings
from bot.config import Settings
from bot.core.assistant import Assistant
from bot.errors import SettingsError
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.state import open_state
from bot.web import LocalServer, create_web_app
from tests.fakes.slack_api import FakeSlack
from tests.paths import FIXTURES

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack" / "manifest.json"
CLIENT_ID, CLIENT_SECRET, SECRET = "1111.2222", "client-secret", "test-signing-secret"
AS_OF = date(2026, 11, 20)  # last quarter's revenue in the small store: EUR 2,530
COOKIE = "slack-app-oauth-state"


class Installs:
    """The app in OAuth mode (no bot token), its state database, the fake Slack, an HTTP server for events."""

    def __init__(self, store_dir: Path, home: Path) -> None:
        self.fake = FakeSlack(members={c: ["UM1", "UR1", "UR2"] for c in ("C1", "C2", "C3", "C9")})
        self.db_url = f"sqlite:///{home / 'state.db'}"
        self.state = open_state(self.db_url)
        assistant = Assistant(Engine(load_store(store_dir)))
        ask = assistant.ask
        assistant.ask = lambda q, user=None, as_of=None, conversation=None: ask(  # a fixed "today"
            q, user=user, as_of=AS_OF, conversation=conversation)
        self.app, self.bot = create_app(assistant, self.state, None, SECRET, self.fake.api_url,
                                        oauth_settings=oauth_settings(CLIENT_ID, CLIENT_SECRET, self.state))
        self.web = LocalServer(create_web_app(self.app, self.bot, prune_every=None))
        self.url = self.web.url

    def get(self, path: str, query: dict | None = None, cookie: str | None = None) -> Page:
        """A browser's GET: status, body, headers (no redirects followed)."""
        req = urllib.request.Request(f"{self.url}{path}?{urlencode(query or {})}", headers=(
            {"Cookie": cookie} if cookie else {}))
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return Page(resp.status, resp.read().decode(), resp.headers)
        except urllib.error.HTTPError as exc:
            return Page(exc.code, exc.read().decode(), exc.headers)

    def install_page(self) -> tuple[str, str]:
        """GET /slack/install: the authorize link and the state the browser got as a cookie."""
        page = self.get("/slack/install")
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
        link = re.search(r'<a href="([^"]+)"', page.body).group(1).replace("&amp;", "&")
        cookie = re.search(rf"{COOKIE}=([^;]+)", page.headers["Set-Cookie"]).group(1)
        return link, cookie

    def install(self, code: str) -> Page:
        """The whole flow in one browser: the install page, then Slack's redirect back with a code."""
        _, state = self.install_page()
        return self.get(REDIRECT_PATH, {"code": code, "state": state}, cookie=f"{COOKIE}={state}")

    def bots(self) -> SQLAlchemyInstallationStore:
        """The installations as another instance would read them: a new engine on the same database."""
        return SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=open_state(self.db_url))

    def mention(self, team: str, channel: str, org: str | None = None) -> int:
        """A signed app_mention from workspace `team` (of Grid org `org`, installed org-wide)."""
        body = json.loads((FIXTURES / "slack" / "app_mention_event_callback.json").read_text(encoding="utf-8"))
        bot_user = f"UBOT{org or team}"
        body |= {
            "team_id": team, "enterprise_id": org, "event_id": f"Ev-{team}-{time.time_ns()}",
            "authorizations": [{"enterprise_id": org, "team_id": team, "user_id": bot_user, "is_bot": True,
                                "is_enterprise_install": org is not None}]}
        body["event"].update(text=f"<@{bot_user}> what was our revenue last quarter?", user="UM1",
                             channel=channel, team=team, ts=f"{time.time():.6f}")
        return self.send(body)

    def send(self, body: dict) -> int:
        """POST a signed event to /slack/events, as Slack does."""
        raw, ts = json.dumps(body), str(int(time.time()))
        req = urllib.request.Request(f"{self.url}/slack/events", data=raw.encode(), method="POST", headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=raw)})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status

    def close(self) -> None:
        self.web.stop()
        self.fake.close()
        assert not self.fake.invalid, self.fake.invalid  # every payload one Slack takes


class Page(NamedTuple):
    status: int
    body: str
    headers: Message


@pytest.fixture
def installs(small_store_dir, tmp_path):
    world = Installs(small_store_dir, tmp_path)
    yield world
    world.close()


# ---------------------------------------------------------------- settings and manifest

def test_oauth_is_on_only_with_both_client_id_and_secret(tmp_path):
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    assert oauth_from_settings(Settings(_env_file=None), state) is None  # one bot token: the default
    with pytest.raises(SettingsError, match="SLACK_CLIENT_SECRET"):
        oauth_from_settings(Settings(_env_file=None, slack_client_id=CLIENT_ID), state)
    settings = oauth_from_settings(Settings(_env_file=None, slack_client_id=CLIENT_ID,
                                            slack_client_secret=SecretStr(CLIENT_SECRET),
                                            slack_redirect_uri="https://bot.example/slack/oauth_redirect"), state)
    assert (settings.client_id, settings.client_secret) == (CLIENT_ID, CLIENT_SECRET)
    assert settings.install_path == "/slack/install" and settings.redirect_uri_path == "/slack/oauth_redirect"
    assert settings.redirect_uri == "https://bot.example/slack/oauth_redirect"
    assert settings.installation_store_bot_only is True and settings.user_scopes == []
    # the stores are the state database's tables, not Bolt's default files
    with state.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables


def test_the_scopes_asked_for_are_the_manifests_and_it_registers_the_redirect():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert sorted(BOT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
    assert all(url.endswith(REDIRECT_PATH) for url in manifest["oauth_config"]["redirect_urls"])
    assert manifest["settings"]["org_deploy_enabled"] is True  # Enterprise Grid: installable org-wide
    assert manifest["settings"]["token_rotation_enabled"] is False


# ---------------------------------------------------------------- the flow

def test_install_page_links_to_slack_with_client_id_scopes_and_a_state(installs):
    link, cookie = installs.install_page()
    url = urlsplit(link)
    assert (url.scheme, url.netloc, url.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert sorted(query["scope"][0].split(",")) == sorted(BOT_SCOPES)
    assert query["state"] == [cookie] and len(cookie) >= 32  # the same state in the link and the browser
    with installs.state.connect() as conn:  # issued in the state database, so any instance can check it
        issued = conn.execute(text("SELECT count(*) FROM slack_oauth_states WHERE state = :s"), {"s": cookie})
        assert issued.scalar() == 1


def test_redirect_with_a_valid_state_installs_the_workspace(installs):
    done = installs.install("code-T1")
    assert done.status == 200
    exchange = installs.fake.of("oauth.v2.access")
    assert len(exchange) == 1 and exchange[0]["code"] == "code-T1"
    assert (exchange[0]["client_id"], exchange[0]["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    bot = installs.bots().find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and (bot.bot_token, bot.bot_user_id, bot.bot_id) == ("xoxb-T1", "UBOTT1", "BBOTT1")
    assert installs.bots().find_bot(enterprise_id=None, team_id="T2") is None
    with installs.state.connect() as conn:  # the state is spent
        assert conn.execute(text("SELECT count(*) FROM slack_oauth_states")).scalar() == 0


def test_a_state_not_issued_expired_used_or_from_another_browser_is_refused(installs):
    forged = installs.get(REDIRECT_PATH, {"code": "code-T1", "state": "forged"}, cookie=f"{COOKIE}=forged")
    assert forged.status == 401
    _, state = installs.install_page()
    elsewhere = installs.get(REDIRECT_PATH, {"code": "code-T1", "state": state})  # no cookie: not this browser
    assert elsewhere.status == 400
    with installs.state.begin() as conn:  # ten minutes pass
        conn.execute(text("UPDATE slack_oauth_states SET expire_at = :t"), {"t": datetime(2000, 1, 1)})
    expired = installs.get(REDIRECT_PATH, {"code": "code-T1", "state": state}, cookie=f"{COOKIE}={state}")
    assert expired.status == 401
    assert installs.fake.of("oauth.v2.access") == []  # no code was exchanged for any of them
    _, state = installs.install_page()
    assert installs.get(REDIRECT_PATH, {"code": "code-T1", "state": state}, cookie=f"{COOKIE}={state}").status == 200
    replay = installs.get(REDIRECT_PATH, {"code": "code-T2", "state": state}, cookie=f"{COOKIE}={state}")
    assert replay.status == 401
    assert len(installs.fake.of("oauth.v2.access")) == 1
    assert installs.bots().find_bot(enterprise_id=None, team_id="T2") is None


def test_an_org_wide_install_serves_every_workspace_of_the_org(installs):
    assert installs.install("code-E1").status == 200
    store = installs.bots()
    org = store.find_installation(enterprise_id="E1", team_id=None, is_enterprise_install=True)
    assert org is not None and org.is_enterprise_install and org.team_id is None
    assert org.enterprise_url == "https://e1.slack.com/"  # from auth.test, for the "add to workspaces" page
    bot = store.find_bot(enterprise_id="E1", team_id="T9", is_enterprise_install=True)
    assert bot is not None and bot.bot_token == "xoxb-E1"


def test_each_workspace_is_answered_with_its_own_token(installs):
    for code in ("code-T1", "code-T2", "code-E1"):
        assert installs.install(code).status == 200
    assert installs.mention("T3", "C3") == 200  # never installed: acknowledged, not answered
    assert installs.mention("T1", "C1") == 200
    assert installs.mention("T2", "C2") == 200
    assert installs.mention("T9", "C9", org="E1") == 200
    posts = installs.fake.wait_for("chat.postMessage", 3)
    assert {p["channel"]: p.get("token") for p in posts} == {"C1": "xoxb-T1", "C2": "xoxb-T2", "C9": "xoxb-E1"}
    assert all("EUR 2,530" in p["text"] for p in posts)
    tokens = {"C1": "xoxb-T1", "C2": "xoxb-T2", "C9": "xoxb-E1"}
    for method, params in installs.fake.calls:  # every call made for an event carries its workspace's token
        if params.get("channel") in tokens:
            assert params.get("token") == tokens[params["channel"]], method
    assert not [c for c in installs.fake.calls if c[1].get("channel") == "C3"]


def test_an_uninstalled_workspace_is_forgotten(installs):
    for code in ("code-T1", "code-T2"):
        assert installs.install(code).status == 200
    uninstalled = {"token": "verification_token", "team_id": "T1", "api_app_id": "A111", "type": "event_callback",
                   "event": {"type": "app_uninstalled"}, "event_id": "Ev-uninstall-T1", "event_time": 1700000000}
    assert installs.send(uninstalled) == 200
    deadline = time.monotonic() + 10
    while installs.bots().find_bot(enterprise_id=None, team_id="T1") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert installs.bots().find_bot(enterprise_id=None, team_id="T1") is None  # its token is gone
    assert installs.bots().find_bot(enterprise_id=None, team_id="T2").bot_token == "xoxb-T2"
