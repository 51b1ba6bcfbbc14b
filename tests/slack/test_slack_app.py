"""The Slack app over HTTP, as Slack drives it: signed requests (tests/fixtures/slack) to the
real app and server, a local fake Slack Web API, assertions on the outbound calls.

People in the small store: Alice (UR1, rep), Bob (UR2, rep), Mona (UM1, manager of both).
Last quarter's revenue is EUR 2,530 (Alice 2,340).
"""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.orm import Session

from bot.channels.slack.app import create_app
from bot.core.assistant import Assistant
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.playbook.embeddings import HashingEmbedder
from bot.playbook.index import PlaybookIndex
from bot.playbook.service import Playbook
from bot.state import Feedback, PostedAnswer, open_state
from bot.web import LocalServer, create_web_app
from tests.fakes.slack_api import FakeSlack
from tests.paths import FIXTURES, KNOWLEDGE

SLACK = FIXTURES / "slack"
SECRET = "test-signing-secret"
AS_OF = date(2026, 11, 20)


def fixture(name: str) -> dict:
    return json.loads((SLACK / name).read_text(encoding="utf-8"))


class Harness:
    def __init__(self, store_dir: Path, home: Path, members: dict | None = None) -> None:
        self.fake = FakeSlack(emails={"WEMAIL": "bob@x.example"}, members=members or {})
        engine = Engine(load_store(store_dir))
        playbook = Playbook(PlaybookIndex(KNOWLEDGE, home, HashingEmbedder()))
        playbook.start(wait=True)
        self.assistant = Assistant(engine, playbook=playbook)
        real_ask = self.assistant.ask
        self.assistant.ask = lambda q, user=None, as_of=None, conversation=None: real_ask(  # a fixed "today"
            q, user=user, as_of=AS_OF, conversation=conversation)
        self.state = open_state(f"sqlite:///{home / 'state.db'}")
        self.app, self.bot = create_app(self.assistant, self.state, "xoxb-test", SECRET, self.fake.api_url)
        self.web = LocalServer(create_web_app(self.app, self.bot))  # uvicorn on 127.0.0.1, a free port
        self.url = self.web.url
        self._n = 0

    def post(self, body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None,
             headers: dict | None = None) -> tuple[int, str, float]:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        req = urllib.request.Request(f"{self.url}/slack/events", data=body.encode(), method="POST", headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            **(headers or {})})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode(), time.perf_counter() - started
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), time.perf_counter() - started

    def event(self, body: dict, **kw) -> tuple[int, str, float]:
        return self.post(json.dumps(body), "application/json", **kw)

    def mention(self, text: str, user: str = "UM1", channel: str = "C111", event_id: str | None = None) -> dict:
        self._n += 1
        body = copy.deepcopy(fixture("app_mention_event_callback.json"))
        body["event"].update(text=f"<@W111> {text}", user=user, channel=channel, ts=f"1595926230.{self._n:06d}")
        body["event_id"] = event_id or f"Ev{self._n:06d}-{time.time_ns()}"
        return body

    def dm(self, text: str, user: str, channel: str) -> dict:
        """A direct message to the bot (the assistant-thread fixture, outside a thread)."""
        body = copy.deepcopy(fixture("message_im_event_callback.json"))
        body["event"].pop("thread_ts")
        body["event"].pop("parent_user_id")
        body["event"].update(user=user, text=text, channel=channel)
        return body

    def form(self, fields: dict) -> tuple[int, str, float]:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded")

    def close(self) -> None:
        self.web.stop()
        self.fake.close()
        # every payload the bot sent was one Slack takes (tests/fakes/block_kit.py)
        assert not self.fake.invalid, self.fake.invalid


@pytest.fixture
def slack(small_store_dir, tmp_path):
    h = Harness(small_store_dir, tmp_path, members={"C111": ["UM1", "UR1", "UR2"], "CMIX": ["UM1", "UNOBODY"]})
    yield h
    h.close()


def texts(calls: list[dict]) -> str:
    return "\n".join(c.get("text", "") + json.dumps(c.get("blocks", "")) for c in calls)


# ---------------------------------------------------------------- surfaces

def test_url_verification(slack):
    status, body, _ = slack.event(fixture("url_verification.json"))
    assert status == 200 and fixture("url_verification.json")["challenge"] in body


def test_mention_answered_in_its_thread(slack):
    body = slack.mention("what was our revenue last quarter?")
    status, _, elapsed = slack.event(body)
    assert status == 200 and elapsed < 1.0
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post["channel"] == "C111" and post["thread_ts"] == body["event"]["ts"]
    assert "EUR 2,530" in post["text"]
    kinds = [b["type"] for b in post["blocks"]]
    assert kinds[0] == "rich_text" and kinds[-2:] == ["actions", "context_actions"]
    feedback = post["blocks"][-1]["elements"][0]
    assert (feedback["positive_button"]["value"], feedback["negative_button"]["value"]) == ("up", "down")
    assert post["blocks"][-2]["elements"][0]["action_id"] == "followup_0"


def test_follow_up_in_the_thread_keeps_context(slack):
    first = slack.mention("revenue last quarter")
    slack.event(first)
    slack.fake.wait_for("chat.postMessage", 1)
    follow = slack.mention("and by region?")
    follow["event"]["thread_ts"] = first["event"]["ts"]
    slack.event(follow)
    post = slack.fake.wait_for("chat.postMessage", 2)[1]
    assert "by region" in post["text"] and "Nordics" in texts([post]) and post["thread_ts"] == first["event"]["ts"]


def test_direct_message(slack):
    slack.event(slack.dm("my revenue last quarter", user="UR1", channel="D999"))
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post["channel"] == "D999" and "EUR 2,340" in post["text"]  # a DM may show the asker's own numbers


def test_assistant_thread(slack):
    status, _, _ = slack.event(fixture("assistant_thread_started_event_callback.json"))
    assert status == 200
    prompts = slack.fake.wait_for("assistant.threads.setSuggestedPrompts")[0]
    assert len(prompts["prompts"]) >= 3 and prompts["thread_ts"] == "1726133698.626339"
    assert slack.fake.wait_for("chat.postMessage")[0]["channel"] == "D111"
    body = fixture("message_im_event_callback.json")
    body["event"].update(user="UM1", text="win rate by region last quarter")
    body["event_id"] = "Ev-assistant-2"
    slack.event(body)
    status_call = slack.fake.wait_for("assistant.threads.setStatus")[0]
    assert status_call["channel_id"] == "D111" and status_call["status"]
    assert slack.fake.wait_for("assistant.threads.setTitle")[0]["title"] == "win rate by region last quarter"
    answer = slack.fake.wait_for("chat.postMessage", 2)[1]
    assert answer["thread_ts"] == "1726133698.626339" and "66.7%" in texts([answer])


def test_slash_command_answers_through_response_url(slack):
    fields = dict(parse_qsl((SLACK / "slash_command.form.txt").read_text().strip()))
    fields.update(command="/kpi", text="win rate by region last quarter", user_id="UM1",
                  response_url=f"{slack.fake.base}/response/1")
    status, _, elapsed = slack.form(fields)
    assert status == 200 and elapsed < 1.0
    reply = json.loads(slack.fake.wait_for("response")[0]["body"])
    assert reply["response_type"] == "in_channel" and "Win rate" in reply["text"]
    fields.update(command="/playbook", text="Which KPIs should a CCO track?", response_url=f"{slack.fake.base}/response/2")
    slack.form(fields)
    replies = [json.loads(r["body"]) for r in slack.fake.wait_for("response", 2)]
    assert "(in Danish)" in replies[1]["text"] and "Sources" in json.dumps(replies[1]["blocks"])
    fields.update(command="/ccobot", text="help", response_url=f"{slack.fake.base}/response/3")
    slack.form(fields)
    help_reply = json.loads(slack.fake.wait_for("response", 3)[2]["body"])
    assert help_reply["response_type"] == "ephemeral" and "KPI" in help_reply["text"]


def posted_answer_of(slack: Harness, question: str) -> PostedAnswer:
    """The answer to `question` as the bot kept it by its message, once it has been posted."""
    deadline = time.monotonic() + 15
    while True:
        with Session(slack.state) as s:
            row = s.query(PostedAnswer).filter_by(question=question).first()
        if row is not None or time.monotonic() > deadline:
            assert row is not None, f"no posted answer for {question!r}"
            return row
        time.sleep(0.05)


def test_buttons_follow_up_and_feedback(slack):
    """A follow-up button asks its question in the thread; 👍/👎 carry only "up"/"down", and the
    question is found by the message they are on (also an ephemeral one, known by its container)."""
    body = fixture("block_actions_with_message.json")
    body["user"]["id"] = "UM1"
    body["actions"] = [{"type": "button", "action_id": "followup_0", "block_id": "ccobot_actions",
                        "value": "revenue by region last quarter", "action_ts": "1"}]
    body["response_url"] = f"{slack.fake.base}/response/9"
    slack.form({"payload": json.dumps(body)})
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert "by region" in post["text"] and post["channel"] == body["channel"]["id"]
    assert post["thread_ts"] == body["message"]["ts"]  # in the thread of the message the button is on
    feedback = post["blocks"][-1]
    assert feedback["type"] == "context_actions" and feedback["elements"][0]["type"] == "feedback_buttons"
    buttons = feedback["elements"][0]
    assert (buttons["positive_button"]["value"], buttons["negative_button"]["value"]) == ("up", "down")
    ts = posted_answer_of(slack, "revenue by region last quarter").ts
    body["message"]["ts"] = body["container"]["message_ts"] = ts
    body["actions"] = [{"type": "feedback_buttons", "action_id": "feedback", "block_id": "ccobot_feedback",
                        "value": "down", "text": {"type": "plain_text", "text": "👎"}, "action_ts": "2"}]
    slack.form({"payload": json.dumps(body)})
    reply = json.loads(slack.fake.wait_for("response")[0]["body"])
    assert reply["text"] == "Thanks for the feedback." and reply["response_type"] == "ephemeral"
    slack.event(slack.mention("my revenue last quarter", user="UR1"))  # only Alice sees her own figures
    slack.fake.wait_for("chat.postEphemeral")
    private = posted_answer_of(slack, "my revenue last quarter")
    ephemeral = {k: v for k, v in body.items() if k != "message"}  # Slack sends no message for an ephemeral one
    ephemeral.update(user={"id": "UR1"}, container={"type": "message", "message_ts": private.ts, "channel_id": "C111",
                                                    "is_ephemeral": True})
    ephemeral["actions"] = [dict(body["actions"][0], value="up", action_ts="3")]
    slack.form({"payload": json.dumps(ephemeral)})
    slack.fake.wait_for("response", 2)
    with Session(slack.state) as s:
        rows = s.query(Feedback).order_by(Feedback.at).all()
    assert [(r.user_id, r.vote, r.question, r.message_ts) for r in rows] == [
        ("UM1", "down", "revenue by region last quarter", ts), ("UR1", "up", "my revenue last quarter", private.ts)]


def test_app_home_shows_the_askers_own_kpis(slack):
    body = copy.deepcopy(fixture("app_mention_event_callback.json"))
    body["event"] = {"type": "app_home_opened", "user": "UR1", "channel": "D111", "tab": "home",
                     "event_ts": "1595926230.1"}
    slack.event(body)
    view = slack.fake.wait_for("views.publish")[0]
    assert view["user_id"] == "UR1"
    shown = json.dumps(view["view"])
    assert "Alice Berg" in shown and "Pipeline" in shown


def test_chart_upload_for_a_time_series(slack):
    """Charts come on request: Chart on an answer uploads it in the answer's thread, drawn from the
    answer kept for that message; on an answer only the asker saw, the chart goes to them alone."""
    def press(user: str, ts: str, thread: str | None, ephemeral: bool = False) -> None:
        body = fixture("block_actions_with_message.json")
        body["user"]["id"] = user
        body["message"].update(ts=ts, thread_ts=thread)
        body["container"].update(message_ts=ts, is_ephemeral=ephemeral)
        if ephemeral:
            body.pop("message")
        body["actions"] = [{"type": "button", "action_id": "chart", "block_id": "ccobot_actions", "value": "chart",
                            "text": {"type": "plain_text", "text": "Chart"}, "action_ts": "1"}]
        slack.form({"payload": json.dumps(body)})

    mention = slack.mention("revenue by month this year")
    slack.event(mention)
    post = slack.fake.wait_for("chat.postMessage")[0]
    chart = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "chart"]
    assert [c["text"]["text"] for c in chart] == ["Chart"]
    row = posted_answer_of(slack, "revenue by month this year")
    assert slack.bot.outbox.join(10)
    assert slack.fake.of("files.completeUploadExternal") == []  # no chart as a second message unasked
    before = 0
    press("UR2", row.ts, mention["event"]["ts"])  # anyone in the channel may ask for the chart
    done = slack.fake.wait_for("files.completeUploadExternal", before + 1)[-1]
    assert done["channel_id"] == "C111" and done.get("thread_ts") == mention["event"]["ts"]
    assert "F123" in json.dumps(done["files"])
    get_url = slack.fake.of("files.getUploadURLExternal")[-1]
    assert get_url["filename"] == "chart.png" and int(get_url["length"]) > 1000
    assert slack.fake.of("upload")[-1]["bytes"] == int(get_url["length"])
    slack.event(slack.mention("my revenue by month this year", user="UR1"))  # Alice's own: only she sees it
    slack.fake.wait_for("chat.postEphemeral")
    press("UR1", posted_answer_of(slack, "my revenue by month this year").ts, None, ephemeral=True)
    deadline = time.monotonic() + 15
    while not [c for c in slack.fake.of("files.completeUploadExternal") if c["channel_id"] != "C111"] \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    private = [c["channel_id"] for c in slack.fake.of("files.completeUploadExternal") if c["channel_id"] != "C111"]
    assert slack.fake.of("conversations.open")[-1]["users"] == "UR1" and private == ["DUR1"]  # her DM, not C111


def test_email_fallback_for_identity(slack):
    slack.fake.ims["D123"] = "WEMAIL"  # the bot's own DM with this person
    slack.event(slack.mention("my revenue last quarter", user="WEMAIL", channel="D123"))
    assert slack.fake.wait_for("users.info")[0]["user"] == "WEMAIL"
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert "Bob Lund" in post["text"]  # matched through users.info → profile.email


# ---------------------------------------------------------------- security

def test_bad_signature_and_stale_timestamp_are_rejected(slack):
    body = slack.mention("revenue last quarter")
    assert slack.event(body, secret="wrong-secret")[0] == 401
    assert slack.event(body, timestamp=int(time.time()) - 60 * 10)[0] == 401
    time.sleep(0.5)
    assert [m for m, _ in slack.fake.calls if m.startswith("chat.")] == []


def test_a_retried_event_is_answered_once(slack):
    body = slack.mention("revenue last quarter", event_id="Ev-retry-1")
    assert slack.event(body)[0] == 200
    assert slack.event(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})[0] == 200
    slack.fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(slack.fake.of("chat.postMessage")) == 1


def test_the_bots_own_messages_and_edits_get_no_reply(slack):
    body = fixture("message_im_event_callback.json")
    body["event"].pop("thread_ts")
    body["event"].update(bot_id="B111", user="W111", text="revenue last quarter", channel="D999")
    slack.event(body)
    edit = copy.deepcopy(body)
    edit["event_id"] = "Ev-edit"
    edit["event"].pop("bot_id")
    edit["event"].update(subtype="message_changed", user="UR1")
    slack.event(edit)
    time.sleep(0.8)
    assert slack.fake.of("chat.postMessage") == []


def test_numbers_outside_the_channels_common_scope_are_not_posted_to_the_channel(slack):
    slack.event(slack.mention("my revenue last quarter", user="UR1"))
    private = slack.fake.wait_for("chat.postEphemeral")[0]
    assert private["user"] == "UR1" and "EUR 2,340" in private["text"]
    assert "Only you can see this" in json.dumps(private["blocks"])
    slack.event(slack.mention("revenue last quarter", user="UR1", channel="CMIX"))  # a member matched to no rep
    assert len(slack.fake.wait_for("chat.postEphemeral", 2)) == 2
    slack.event(slack.mention("revenue last quarter", user="UR1"))  # an aggregate everyone here may see
    assert "EUR 2,530" in slack.fake.wait_for("chat.postMessage")[0]["text"]
    assert not any("2,340" in texts([c]) for c in slack.fake.of("chat.postMessage"))


def shown(post: dict) -> str:
    """What Slack reads for markup in a message: its text and the text fields of its blocks. A
    table's raw_text cells are shown literally (never read as links or mentions), so they count as
    their escaped form."""
    from bot.channels.slack.blocks import escape

    out = [post.get("text", "")]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("raw_text", "text"):  # table cells and rich_text elements are shown literally
                out.append(escape(node.get("text", "")))
                return
            for k, v in node.items():
                if k == "text" and isinstance(v, str):
                    out.append(v)
                elif k != "value":
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(post.get("blocks", []))
    return "\n".join(out)


def test_what_the_bot_posts_is_escaped(slack):
    from tests.slack.test_blocks import check

    slack.event(slack.mention("<!channel> revenue by region <https://evil.example|your bank> last quarter <@U999>"))
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert "Revenue, last quarter" in post["text"]  # Slack markup is not read as words ("channel revenue")
    assert any(b["type"] == "table" for b in post["blocks"])
    # a document or a question that carries markup is shown as text, never as a ping or a link
    slack.event(slack.mention("What does <!channel> say about <https://evil.example|the CCO role>?"))
    for post in slack.fake.wait_for("chat.postMessage", 2):
        visible = shown(post)
        assert "<!channel>" not in visible and "<https://evil" not in visible and "<@U999>" not in visible
        check(post["text"], post["blocks"])  # and Slack takes it


def test_escape_neutralises_markup():
    from bot.channels.slack.blocks import escape, plain_text, render
    from bot.core.answer import Answer

    assert escape("<!channel> & <@U1> <https://x|y>") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;"
    answer = Answer(question="q", kind="playbook", text="A passage says <!here> and <https://evil|click>.",
                    citations=[{"source": "knowledge/x.md", "title": "T <!channel>", "section": "S", "lang": "en",
                                "text": "t"}])
    text, blocks = render(answer)
    visible = shown({"text": text, "blocks": blocks})
    assert "<!here>" not in visible and "<!channel>" not in visible and "<https://evil" not in visible
    assert "&lt;!here&gt;" in visible
    plain = plain_text(answer)
    assert "&lt;!here&gt;" in plain and "<!channel>" not in plain
    rows = [{"region": "<!channel> & Co", "value": 1.0}, {"region": "Nordics", "value": 2.0}]
    table = Answer(question="q", kind="kpi", text="Revenue by region <@U1>: EUR 3.", metric="revenue", unit="currency",
                   currency="EUR", group_by=["region"], rows=rows)
    text, blocks = render(table)
    cells = [c["text"] for b in blocks if b["type"] == "table" for r in b["rows"] for c in r]
    assert "<!channel> & Co" in cells  # raw_text: shown as it is, never a ping
    visible = shown({"text": text, "blocks": blocks})
    assert "<!channel>" not in visible and "<@U1>" not in visible


def test_rate_limited_calls_are_retried_after_retry_after(slack):
    slack.fake.rate_limit["chat.postMessage"] = 1
    slack.event(slack.mention("revenue last quarter"))
    assert slack.fake.wait_for("chat.postMessage", timeout=20)
    assert len(slack.fake.of("chat.postMessage#429")) == 1


def test_errors_reach_the_user_as_an_apology_with_a_reference(slack, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("xoxb-secret-token leaked?")

    slack.bot.answer = broken
    slack.event(slack.mention("revenue last quarter"))
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert "Sorry, something went wrong" in post["text"] and "reference" in post["text"]
    assert "xoxb" not in post["text"]


def test_healthz(slack):
    with urllib.request.urlopen(f"{slack.url}/healthz", timeout=5) as resp:
        assert resp.status == 200 and json.loads(resp.read()) == {"ok": True}


# ---------------------------------------------------------------- under load

# ---------------------------------------------------------------- Socket Mode

def test_socket_mode_against_a_local_endpoint(small_store_dir, tmp_path):
    from bot.channels.slack.server import socket_mode
    from tests.fakes.socket_mode import FakeSocketMode

    h = Harness(small_store_dir, tmp_path, members={"C111": ["UM1", "UR1"]})
    with FakeSocketMode() as endpoint:
        h.fake.socket_url = endpoint.url
        handler = socket_mode(h.app, "xapp-test", h.fake.api_url)
        handler.connect()
        try:
            assert endpoint.connected.wait(10)
            assert h.fake.of("apps.connections.open")
            body = h.mention("revenue last quarter")
            endpoint.outbox.put({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                                 "retry_attempt": 0, "retry_reason": "", "payload": body})
            post = h.fake.wait_for("chat.postMessage")[0]
            assert "EUR 2,530" in post["text"] and post["thread_ts"] == body["event"]["ts"]
            deadline = time.monotonic() + 5
            while not any(a.get("envelope_id") == "env-1" for a in endpoint.acks) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert any(a.get("envelope_id") == "env-1" for a in endpoint.acks)
        finally:
            handler.close()
            h.close()


# ---------------------------------------------------------------- limits and the command line

def test_block_kit_limits_are_kept_by_splitting_and_trimming():
    from bot.channels.slack.blocks import render, units
    from bot.core.answer import Answer
    from tests.slack.test_blocks import check, table_of

    rows = [{"account": f"A-{i:05d}", "account_name": f"Account {i} " + "x" * 60, "value": float(i)}
            for i in range(900)]
    answer = Answer(question="revenue by account", kind="kpi", text="Revenue by account: " + "y" * 5000,
                    summary="Revenue by account " * 20, metric="revenue", unit="currency", currency="EUR",
                    group_by=["account"], rows=rows, notes=["n" * 2500] * 14,
                    followups=["a very long follow-up question " * 5] * 4)
    text, blocks = render(answer)
    check(text, blocks)  # slack_sdk's models and Block Kit's limits, with room for the private note
    assert text and units(text) <= 3000
    assert [b["type"] for b in blocks[-2:]] == ["actions", "context_actions"]
    assert 1 < len(table_of(blocks)) <= 100
    assert "Showing the first 40 of 900 rows (trimmed to fit Slack)" in json.dumps(blocks)
    assert all(units(b["text"]["text"]) < 75 and units(b["value"]) <= 2000 for b in blocks[-2]["elements"])


def test_serve_over_http_and_start_without_tokens(small_store_dir, tmp_path):
    import os
    import socket
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("ccobot"))
    fake = FakeSlack()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CCOBOT_HOME": str(tmp_path / "home"), "SLACK_BOT_TOKEN": "xoxb-test",
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url, "PORT": str(port)}
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen([exe, "serve", "--data", str(small_store_dir)], env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 120
        for path in ("/healthz", "/readyz"):  # alive at once; ready when the playbook is indexed
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as resp:
                        assert resp.status == 200 and json.loads(resp.read())["ok"] is True
                        break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline
                    time.sleep(0.3)
        assert fake.of("auth.test")  # the token was checked at start
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
        fake.close()
    assert "Finished server process" in err  # SIGTERM: uvicorn finished what it had, then stopped
    assert "HTTP on port" in err and "/readyz" in err and "xoxb-test" not in err
    log_lines = (tmp_path / "home" / "logs" / "serve.jsonl").read_text(encoding="utf-8").splitlines()
    assert log_lines and all(json.loads(line)["level"] for line in log_lines)
    env = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
    started = subprocess.run([exe, "start", "--data", str(small_store_dir)], env=env, input="", text=True,
                             capture_output=True, timeout=120)
    assert started.returncode == 0 and "starting the terminal chat" in started.stderr


def test_two_instances_answer_an_event_once(small_store_dir, tmp_path):
    first = Harness(small_store_dir, tmp_path, members={"C111": ["UM1"]})
    second = Harness(small_store_dir, tmp_path, members={"C111": ["UM1"]})  # same state database
    try:
        body = first.mention("revenue last quarter", event_id="Ev-shared-1")
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda h: h.event(body), [first, second]))
        assert [r[0] for r in results] == [200, 200]
        posts = lambda: len(first.fake.of("chat.postMessage")) + len(second.fake.of("chat.postMessage"))  # noqa: E731
        deadline = time.monotonic() + 15
        while posts() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # time for a second answer, were there one
        assert posts() == 1
    finally:
        first.close()
        second.close()


def test_assistant_thread_context_changed_is_taken_quietly(slack):
    status, _, _ = slack.event(fixture("assistant_thread_context_changed_event_callback.json"))
    assert status == 200
    time.sleep(0.5)
    assert slack.fake.of("chat.postMessage") == [] and slack.fake.of("chat.postEphemeral") == []


def test_a_reps_deal_list_in_a_shared_channel_goes_privately_to_them(slack):
    """Alice's deals are deal-level rows Bob may not see, so in a channel they shared they go to her alone."""
    slack.event(slack.mention("list my open deals", user="UR1"))
    private = slack.fake.wait_for("chat.postEphemeral")[0]
    assert private["user"] == "UR1"
    shown_text = shown(private)
    assert "Open deals for Alice Berg: 1 in all" in shown_text and "Acme" in shown_text  # o7, account a1
    assert "Negotiation" in shown_text and "r1" not in shown_text.replace("UR1", "")  # names, not ids
    assert not any("Acme" in shown(p) for p in slack.fake.of("chat.postMessage"))


def test_a_managers_deal_list_in_a_dm_names_the_people(slack):
    slack.event(slack.dm("which deals are closing this quarter?", user="UM1", channel="D777"))
    post = slack.fake.wait_for("chat.postMessage")[0]
    text = shown(post)
    # Mona's reports' open deals closing in 2026-Q4: only o6 (Bob, Gamma, EUR 2,000); o8 is Carl's (not hers)
    assert "1 in all" in text and "Bob Lund" in text and "Gamma" in text and "EUR 2,000" in text
    assert "Carl" not in text


def test_a_comparison_and_a_two_part_question_in_a_channel(slack):
    """Aggregates every member may see are posted in the thread: a comparison as a table of its sides,
    two KPIs as two parts of one message."""
    slack.event(slack.mention("revenue last quarter vs the same quarter last year"))
    post = slack.fake.wait_for("chat.postMessage")[0]
    text = shown(post)
    # SMALL: won 2026-07-01…09-30 = EUR 2,530 (o1 1,000; o2 DKK 10,000 = 1,340; o4 USD 100 = 90; o12 100);
    # won 2025-07-01…09-30 = nothing, so the relative change has no value
    assert "Revenue: last quarter (2026-07-01 to 2026-09-30) EUR 2,530 vs 2025-07-01 to 2025-09-30 EUR 0" in text
    assert "a difference of +EUR 2,530." in text and any(b["type"] == "table" for b in post["blocks"])
    slack.event(slack.mention("revenue and win rate last quarter"))
    second = slack.fake.wait_for("chat.postMessage", 2)[1]
    text = shown(second)
    assert "Revenue, last quarter (2026-07-01 to 2026-09-30): EUR 2,530." in text
    assert "Win rate, last quarter (2026-07-01 to 2026-09-30): 66.7%." in text  # 4 won of 6 closed
    assert text.index("Revenue, last quarter") < text.index("Win rate, last quarter")


def test_a_playbook_answer_quoting_our_figures_goes_where_the_figures_may(slack):
    """"…, and what are ours?" adds the headline KPIs to a playbook answer: in a channel with a member
    matched to no rep it goes to the asker alone, like the figures would; where all may see them, to all."""
    question = "which KPIs should a CCO track, and what are ours?"
    slack.event(slack.mention(question, user="UM1", channel="CMIX"))
    private = slack.fake.wait_for("chat.postEphemeral")[0]
    assert "EUR" in private["text"] and private["user"] == "UM1"  # the snapshot's revenue is in it
    assert [c for c in slack.fake.of("chat.postMessage") if "EUR" in texts([c])] == []
    slack.event(slack.mention(question, user="UM1", channel="C111", event_id="Ev-ours-2"))
    assert "EUR" in texts([slack.fake.wait_for("chat.postMessage")[0]])
