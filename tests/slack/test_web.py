"""The web app (bot/web.py) under uvicorn, as a load balancer and Slack see it: /healthz,
/readyz and what each failing check says, signatures still checked through the ASGI app, the
event loop free while Bolt dispatches, JSON log lines, and the state database pruned.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.logs import setup_logging
from bot.playbook.embeddings import HashingEmbedder
from bot.playbook.index import PlaybookIndex
from bot.playbook.service import Playbook
from bot.state import PostedAnswer, SeenEvent, open_state, prune
from bot.web import LocalServer, create_web_app, verify_token
from tests.paths import KNOWLEDGE
from tests.slack.test_slack_app import SECRET, slack  # noqa: F401 (the fixture)

pytestmark = pytest.mark.serial  # timed: make test runs it alone, after the parallel part


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def wait_ready(url: str, timeout: float = 30) -> tuple[int, dict]:
    deadline = time.monotonic() + timeout
    while True:
        status, body = get(f"{url}/readyz")
        if status == 200 or time.monotonic() > deadline:
            return status, body
        time.sleep(0.1)


# ---------------------------------------------------------------- health and readiness

def test_healthz_and_readyz_when_all_is_well(slack):
    assert get(f"{slack.url}/healthz") == (200, {"ok": True})
    status, body = get(f"{slack.url}/readyz")
    assert status == 200 and body["ok"] is True and body["failed"] == []
    assert body["checks"] == {"metrics": "ok", "warm": "ok", "playbook": "ok", "state": "ok", "slack": "ok"}


def test_readyz_is_503_when_slack_rejects_the_token_at_start(slack):
    slack.fake.errors["auth.test"] = "invalid_auth"
    assert verify_token(slack.bot) == "invalid_auth" and slack.fake.of("auth.test")
    status, body = get(f"{slack.url}/readyz")
    assert status == 503 and body["failed"] == ["slack"] and "invalid_auth" in body["checks"]["slack"]
    assert "xoxb" not in json.dumps(body)
    assert get(f"{slack.url}/healthz")[0] == 200  # alive all the same


def test_installed_by_oauth_there_is_no_one_token_to_test_at_start(slack):
    slack.bot.client.token = None  # OAuth mode: each workspace's token is found per event
    slack.fake.errors["auth.test"] = "not_authed"
    assert verify_token(slack.bot) is None and not slack.fake.of("auth.test")
    assert get(f"{slack.url}/readyz")[0] == 200


def test_readyz_is_503_when_the_state_database_is_unreachable(slack):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    real = slack.bot.state
    slack.bot.state = create_engine(f"postgresql+psycopg://ccobot:hunter2@127.0.0.1:{port}/ccobot",
                                    connect_args={"connect_timeout": 2})
    try:
        status, body = get(f"{slack.url}/readyz")
    finally:
        slack.bot.state.dispose()
        slack.bot.state = real
    assert status == 503 and body["failed"] == ["state"] and body["checks"]["state"].startswith("failed")
    assert "hunter2" not in json.dumps(body)
    assert get(f"{slack.url}/readyz")[0] == 200


class HeldEmbedder(HashingEmbedder):
    """Embeds only once released: the playbook stays 'indexing' until the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def embed(self, texts: list[str]):
        self.release.wait(30)
        return super().embed(texts)


def test_readyz_is_503_while_the_playbook_is_indexing(slack, tmp_path):
    embedder = HeldEmbedder()
    playbook = Playbook(PlaybookIndex(KNOWLEDGE, tmp_path / "fresh", embedder))
    real, slack.assistant.playbook = slack.assistant.playbook, playbook
    try:
        playbook.start(wait=False)
        status, body = get(f"{slack.url}/readyz")
        assert status == 503 and body["failed"] == ["playbook"] and "indexing" in body["checks"]["playbook"]
        embedder.release.set()
        assert wait_ready(slack.url)[0] == 200
    finally:
        embedder.release.set()
        slack.assistant.playbook = real
    slack.assistant.playbook = None  # no playbook at all is ready too
    try:
        assert get(f"{slack.url}/readyz")[0] == 200
    finally:
        slack.assistant.playbook = real


def test_readyz_is_503_until_the_store_is_warmed_up_and_says_when_warming_failed(slack, monkeypatch):
    release, calls = threading.Event(), []

    def held_warm() -> None:
        calls.append(1)
        release.wait(30)
        if len(calls) > 1:
            raise RuntimeError("the warehouse went away")

    monkeypatch.setattr(slack.assistant, "warm", held_warm)
    try:
        slack.assistant.warm_in_background()
        status, body = get(f"{slack.url}/readyz")
        assert status == 503 and body["failed"] == ["warm"] and body["checks"]["warm"] == "warming up"
        release.set()
        assert wait_ready(slack.url)[0] == 200
        slack.assistant.warm_in_background()  # a second warm-up, which fails
        deadline = time.monotonic() + 10
        while get(f"{slack.url}/readyz")[1]["checks"]["warm"] == "warming up" and time.monotonic() < deadline:
            time.sleep(0.05)
        status, body = get(f"{slack.url}/readyz")
        assert status == 503 and body["checks"]["warm"] == "warming up failed"
        assert "warehouse" not in json.dumps(body)  # the exception's text is logged, not served
    finally:
        release.set()
        slack.assistant.warming = None


def test_readyz_is_503_when_the_metrics_store_cannot_load(slack):
    class Broken:
        @property
        def store(self):
            raise OSError("the store's files are gone")

    real, slack.assistant.engine = slack.assistant.engine, Broken()
    try:
        status, body = get(f"{slack.url}/readyz")
    finally:
        slack.assistant.engine = real
    assert status == 503 and body["failed"] == ["metrics"] and "OSError" in body["checks"]["metrics"]


# ---------------------------------------------------------------- Slack through the ASGI app

def test_signatures_are_still_checked_through_the_asgi_app(slack):
    body = slack.mention("revenue last quarter")
    assert slack.event(body, secret="not-the-secret")[0] == 401
    assert slack.event(body, timestamp=int(time.time()) - 3600)[0] == 401  # stale: a replay
    assert slack.post("command=%2Fkpi&text=revenue", "application/x-www-form-urlencoded",
                      secret="not-the-secret")[0] == 401
    time.sleep(0.3)
    assert slack.fake.of("chat.postMessage") == []
    assert slack.event(body)[0] == 200 and slack.fake.wait_for("chat.postMessage")
    req = urllib.request.Request(f"{slack.url}/slack/events", method="GET")
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("GET /slack/events must not be served")
    except urllib.error.HTTPError as exc:
        assert exc.code == 405


def test_dispatch_never_blocks_the_event_loop(slack):
    """Bolt's dispatch runs on worker threads: while slow dispatches are in flight, /healthz
    still answers at once (dispatch on the event loop would queue it behind them)."""

    def slow(body: dict, next):  # noqa: A002 (Bolt injects by name)
        if str(body.get("event_id", "")).startswith("Ev-slow"):
            time.sleep(1.0)
        return next()

    slack.app.middleware(slow)
    bodies = [slack.mention("revenue last quarter", event_id=f"Ev-slow-{i}") for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        acks = pool.map(slack.event, bodies)
        time.sleep(0.3)
        started = time.perf_counter()
        assert get(f"{slack.url}/healthz")[0] == 200
        health = time.perf_counter() - started
        assert all(status == 200 for status, _, _ in acks)
    assert health < 0.3, f"/healthz took {health:.2f} s while dispatches were running"
    assert len(slack.fake.wait_for("chat.postMessage", 8, timeout=30)) == 8


def test_oauth_paths_go_to_bolts_flow_or_are_404(slack, tmp_path):
    for path in ("/slack/install", "/slack/oauth_redirect"):
        try:
            urllib.request.urlopen(f"{slack.url}{path}", timeout=5)
            raise AssertionError(f"{path} must be 404 without OAuth settings")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    oauth_app = App(signing_secret=SECRET, oauth_settings=OAuthSettings(
        client_id="111.222", client_secret="oauth-secret", scopes=["app_mentions:read", "chat:write"],
        installation_store=FileInstallationStore(base_dir=str(tmp_path / "installations")),
        state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "states"))))
    with LocalServer(create_web_app(oauth_app, slack.bot, prune_every=None)) as web:
        with urllib.request.urlopen(f"{web.url}/slack/install", timeout=5) as resp:
            page = resp.read().decode()
        assert resp.status == 200 and "oauth/v2/authorize" in page and "client_id=111.222" in page
        try:  # the redirect without a code or state is Bolt's own refusal, not a 404
            urllib.request.urlopen(f"{web.url}/slack/oauth_redirect", timeout=5)
        except urllib.error.HTTPError as exc:
            assert exc.code == 400


# ---------------------------------------------------------------- logs

def test_logs_are_json_lines_with_event_id_and_ref_and_no_token_or_question(slack, tmp_path):
    logs = setup_logging(tmp_path / "home", "serve", secrets=["xoxb-test", SECRET], stderr=False)
    try:
        def broken(question, **kwargs):
            raise RuntimeError(f"cannot answer {question!r} with xoxb-test")  # a message that quotes both

        slack.assistant.ask = broken
        slack.event(slack.mention("what is the Zanzibar quota?", event_id="Ev-logs-1"))
        apology = slack.fake.wait_for("chat.postMessage")[0]["text"]
        ref = re.search(r"reference ([0-9a-f]{8})", apology).group(1)
        logging_token = __import__("logging").getLogger("ccobot.test")
        logging_token.warning("a careless line with xoxb-123-456-abc and xapp-1-A1-2 in it")
        deadline = time.monotonic() + 5
        while ref not in logs.path.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        logs.close()
    text = logs.path.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    failure = next(r for r in records if r.get("ref") == ref)
    assert failure["level"] == "ERROR" and failure["event_id"] == "Ev-logs-1" and "RuntimeError" in failure["exc_info"]
    assert "xoxb-test" not in text and "xoxb-123" not in text and "xapp-1" not in text and SECRET not in text
    assert "Zanzibar" not in text
    assert any("xoxb-[redacted]" in r["message"] for r in records)


# ---------------------------------------------------------------- pruning

def test_prune_removes_seen_events_after_a_day_and_posted_answers_after_thirty(tmp_path):
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    now = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    with Session(state) as session, session.begin():
        for event_id, age in (("Ev-old", timedelta(days=1, minutes=1)), ("Ev-new", timedelta(hours=23))):
            session.add(SeenEvent(event_id=event_id, at=now - age))
        for ts, age in (("1.0", timedelta(days=31)), ("2.0", timedelta(days=29))):
            session.add(PostedAnswer(channel="C1", ts=ts, at=now - age, user_id="U1", question="q", kind="kpi",
                                     answer={}))
    assert prune(state, now=now) == {"seen_events": 1, "posted_answers": 1}
    with Session(state) as session:
        assert session.scalars(select(SeenEvent.event_id)).all() == ["Ev-new"]
        assert session.scalars(select(PostedAnswer.ts)).all() == ["2.0"]
    assert prune(state, now=now) == {"seen_events": 0, "posted_answers": 0}


def test_the_web_app_prunes_when_it_starts(slack):
    with Session(slack.state) as session, session.begin():
        session.add(SeenEvent(event_id="Ev-yesterday", at=datetime.now(timezone.utc) - timedelta(days=2)))
    with LocalServer(create_web_app(slack.app, slack.bot)):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with Session(slack.state) as session:
                if session.get(SeenEvent, "Ev-yesterday") is None:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("the old event id was not pruned at start")


def test_serving_slack_alone_leaves_the_teams_sdk_unimported():
    # Teams' SDK (msal, aiohttp, FastAPI) holds about 40 MB resident: only a process serving Teams loads it.
    script = ("import sys, bot.cli, bot.web, bot.digest.cli, bot.channels.slack.app, bot.channels.slack.digests; "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'microsoft_agents', 'msal', 'aiohttp'}))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
    with_teams = subprocess.run([sys.executable, "-c", script.replace("bot.cli,", "bot.cli, bot.channels.teams.bot,")],
                                capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2])
    assert "microsoft_agents" in with_teams.stdout  # the check can see the SDK when it is there
