"""What an operator watches (bot/observability.py): /metrics served by both web apps, guarded by a
bearer token when one is set; answers, acks, digests, Slack's 429s, model calls and tokens and the
store's load counted where they happen; and one request id on the response and on every log line
written for that request, on whichever thread wrote it.

The registry is process-global, so each test reads a sample before and after and checks the delta.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta
from email.message import Message
from types import SimpleNamespace

import anyio.to_thread
import pytest
import structlog
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.testclient import TestClient

from bot.config import get_settings
from bot.digest.run import DigestRun
from bot.logs import setup_logging
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.llm.model import BREAK_AFTER, ModelUnavailable
from bot.observability import bound_request, request_id
from bot.state import open_state
from bot.web import LocalServer, create_teams_app, create_web_app
from tests.digest.stores import people_store
from tests.digest.test_delivery import AT, managers
from tests.digest.test_schedule import Recorder
from tests.fakes.openai_server import FakeOpenAI
from tests.llm.test_model import model_for
from tests.slack.test_slack_app import SECRET, slack  # noqa: F401 (the fixture)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(url: str, token: str | None = None) -> tuple[int, dict[tuple[str, frozenset], float], str]:
    """GET /metrics: status, every sample by (name, labels), and the content type."""
    req = urllib.request.Request(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            text, ctype, status = resp.read().decode(), resp.headers["Content-Type"], resp.status
    except urllib.error.HTTPError as exc:
        return exc.code, {}, exc.headers.get("Content-Type", "")
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    return status, samples, ctype


def signed_event(url: str, body: dict, headers: dict | None = None) -> tuple[int, Message]:
    """A signed Slack event to /slack/events: its status and response headers (the harness gives no headers)."""
    raw, ts = json.dumps(body), str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=raw)
    req = urllib.request.Request(f"{url}/slack/events", data=raw.encode(), method="POST", headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
        **(headers or {})})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.headers  # names in any case


def log_records(path, until: str, timeout: float = 5.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while until not in path.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.05)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------- answers and acks

def test_a_kpi_answer_and_its_ack_are_counted_once_on_the_metrics_page(slack):
    kpi = ("ccobot_answers_total", frozenset({"kind": "kpi", "engine": "offline", "surface": "slack"}.items()))
    acks = ("ccobot_slack_ack_seconds_count", frozenset())
    status, before, ctype = scrape(slack.url)
    assert status == 200 and ctype.startswith("text/plain") and "version=" in ctype
    assert slack.event(slack.mention("what was our revenue last quarter?"))[0] == 200
    assert "EUR 2,530" in slack.fake.wait_for("chat.postMessage")[0]["text"]
    _, after, _ = scrape(slack.url)
    assert after[kpi] - before.get(kpi, 0.0) == 1
    assert after[acks] - before.get(acks, 0.0) == 1
    seconds = ("ccobot_answer_seconds_count", frozenset({"surface": "slack"}.items()))
    assert after[seconds] - before.get(seconds, 0.0) == 1
    assert all("UM1" not in str(labels) and "C111" not in str(labels) for _, labels in after)  # no ids as labels


def test_metrics_need_the_bearer_token_when_one_is_set(slack, monkeypatch):
    with LocalServer(create_web_app(slack.app, slack.bot, prune_every=None, metrics_token="s3cret-token")) as web:
        assert scrape(web.url)[0] == 401
        assert scrape(web.url, token="wrong")[0] == 401
        assert scrape(web.url, token="s3cret-token")[0] == 200
        assert signed_event(web.url, slack.mention("revenue last quarter"))[0] == 200  # Slack needs no token
    monkeypatch.setenv("CCOBOT_METRICS_TOKEN", "from-the-setting")
    get_settings.cache_clear()
    try:
        teams = TestClient(create_teams_app(SimpleNamespace(endpoint=lambda request: JSONResponse({}))))
        assert teams.get("/metrics").status_code == 401
        reply = teams.get("/metrics", headers={"Authorization": "Bearer from-the-setting"})
        assert reply.status_code == 200 and "ccobot_answers_total" in reply.text
    finally:
        get_settings.cache_clear()
    assert scrape(slack.url)[0] == 200  # no token set: open


def test_a_teams_request_counts_its_answer_for_teams(slack):
    async def endpoint(request: Request) -> JSONResponse:  # what TeamsBot does: ask on a worker thread
        answer = await anyio.to_thread.run_sync(lambda: slack.assistant.ask("revenue last quarter"))
        return JSONResponse({"kind": answer.kind, "request_id": request_id()})

    before = sample("ccobot_answers_total", kind="kpi", engine="offline", surface="teams")
    with TestClient(create_teams_app(SimpleNamespace(endpoint=endpoint), metrics_token="")) as teams:
        reply = teams.post("/api/messages", json={})
    assert reply.json() == {"kind": "kpi", "request_id": reply.headers["X-Request-Id"]}
    assert sample("ccobot_answers_total", kind="kpi", engine="offline", surface="teams") - before == 1


# ---------------------------------------------------------------- Slack's 429s

def test_429s_are_counted_by_web_api_method_in_the_outbox_and_the_client(slack):
    posts = sample("ccobot_slack_rate_limited_total", method="chat.postMessage")
    members = sample("ccobot_slack_rate_limited_total", method="conversations.members")
    slack.fake.rate_limit["chat.postMessage"] = 2  # the outbox waits them out
    slack.fake.rate_limit["conversations.members"] = 1  # the bot's client retries it
    slack.event(slack.mention("revenue last quarter"))
    assert slack.fake.wait_for("chat.postMessage", timeout=20)
    assert sample("ccobot_slack_rate_limited_total", method="chat.postMessage") - posts == 2
    assert sample("ccobot_slack_rate_limited_total", method="conversations.members") - members == 1


# ---------------------------------------------------------------- digests

def test_a_digest_run_counts_what_it_sent_and_what_went_late(tmp_path):
    engine = Engine(load_store(people_store(tmp_path / "store", managers(3))))
    sent, late = sample("ccobot_digests_total", outcome="sent"), sample("ccobot_digests_total", outcome="late")
    report = DigestRun(engine, open_state(f"sqlite:///{tmp_path / 'a.db'}"), Recorder())(AT)
    assert len(report.sent) == 3
    assert sample("ccobot_digests_total", outcome="sent") - sent == 3
    report = DigestRun(engine, open_state(f"sqlite:///{tmp_path / 'b.db'}"), Recorder())(AT + timedelta(minutes=30))
    assert len(report.late) == 3 and not report.sent
    assert sample("ccobot_digests_total", outcome="late") - late == 3
    assert sample("ccobot_digests_total", outcome="sent") - sent == 3


# ---------------------------------------------------------------- the model and the store

def test_model_calls_and_tokens_are_counted_by_outcome_and_direction():
    ok, error, unavailable = (sample("ccobot_llm_calls_total", outcome=o) for o in ("ok", "error", "unavailable"))
    tokens_in, tokens_out = (sample("ccobot_llm_tokens_total", direction=d) for d in ("in", "out"))
    with FakeOpenAI() as fake:
        model = model_for(fake)
        fake.replies = ["fine"]
        assert model.complete("s", "u") == "fine"
        fake.replies = [{"status": 500}]
        for _ in range(BREAK_AFTER + 1):  # the last is not asked: the breaker is open
            with pytest.raises(ModelUnavailable):
                model.complete("s", "u")
    assert sample("ccobot_llm_calls_total", outcome="ok") - ok == 1
    assert sample("ccobot_llm_calls_total", outcome="error") - error == BREAK_AFTER
    assert sample("ccobot_llm_calls_total", outcome="unavailable") - unavailable == 1
    # the fake reports 100 prompt and 20 completion tokens per answered call
    assert sample("ccobot_llm_tokens_total", direction="in") - tokens_in == 100
    assert sample("ccobot_llm_tokens_total", direction="out") - tokens_out == 20


def test_the_store_load_reports_its_time_and_rows(small_store_dir):
    load_store(small_store_dir)
    assert sample("ccobot_store_rows", table="opportunities") == 12
    assert sample("ccobot_store_rows", table="reps") == 9
    assert sample("ccobot_store_load_seconds") > 0


# ---------------------------------------------------------------- request ids in the logs

def test_every_log_line_of_a_request_carries_the_id_its_response_echoes(slack, tmp_path):
    logs = setup_logging(tmp_path / "home", "serve", stderr=False)
    try:
        def broken(question, **kwargs):
            raise RuntimeError("no answer today")

        slack.assistant.ask = broken  # the apology's line is written on the answer thread
        status, headers = signed_event(slack.url, slack.mention("revenue", event_id="Ev-rid-1"))
        generated = headers["X-Request-Id"]
        assert status == 200 and len(generated) == 32
        slack.fake.wait_for("chat.postMessage")
        status, headers = signed_event(slack.url, slack.mention("revenue", event_id="Ev-rid-2"),
                                       {"X-Request-Id": "lb-7f3a"})
        assert headers["X-Request-Id"] == "lb-7f3a"  # a load balancer's id is kept
        slack.fake.wait_for("chat.postMessage", 2)
        records = log_records(logs.path, "Ev-rid-2")
    finally:
        logs.close()
    failures = {r["event_id"]: r for r in records if r["message"].startswith("slack handler failed")}
    assert failures["Ev-rid-1"]["request_id"] == generated
    assert failures["Ev-rid-2"]["request_id"] == "lb-7f3a"
    assert "revenue" not in logs.path.read_text(encoding="utf-8")


def test_an_unsafe_incoming_id_is_replaced_and_socket_mode_work_takes_the_event_id(slack):
    with urllib.request.urlopen(urllib.request.Request(f"{slack.url}/healthz", headers={
            "X-Request-Id": "x" * 200}), timeout=5) as resp:
        replaced = resp.headers["X-Request-Id"]
    assert len(replaced) == 32 and replaced != "x" * 200
    assert request_id() is None  # outside any request
    with bound_request("Ev-socket") as rid:  # what SlackBot.handle does without a web request
        assert rid == request_id() == "Ev-socket"
        with bound_request("Ev-other") as inner:
            assert inner == "Ev-socket"  # work for a request keeps its id
    assert request_id() is None


def test_structlog_and_stdlib_lines_share_the_request_id_and_format(tmp_path):
    logs = setup_logging(tmp_path / "home", "serve", stderr=False)
    try:
        with bound_request("job-42"):
            structlog.get_logger("ccobot.test").info("structured line", rows=3)
            logging.getLogger("ccobot.test").info("stdlib line")
        logging.getLogger("ccobot.test").info("outside")
        records = log_records(logs.path, "outside")
    finally:
        logs.close()
    by_message = {r["message"]: r for r in records}
    assert by_message["structured line"]["request_id"] == "job-42" and by_message["structured line"]["rows"] == 3
    assert by_message["structured line"]["logger"] == "ccobot.test" and by_message["structured line"]["level"] == "INFO"
    assert by_message["stdlib line"]["request_id"] == "job-42"
    assert "request_id" not in by_message["outside"]
