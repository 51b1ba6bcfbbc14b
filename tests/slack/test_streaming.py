"""Model-written playbook answers streamed into Slack (chat.startStream / appendStream / stopStream),
driven as Slack drives the app (signed events over HTTP) against the fake Slack Web API and the fake
OpenAI-compatible server: shown as written, checked before any of it leaves, ending as the message
the answer would have been, and posted exactly once whatever fails."""

from __future__ import annotations

import json
import time

import pytest

from bot.channels.slack.blocks import _paragraphs, _rich
from bot.channels.slack.stream import ZWSP
from bot.config import Settings
from bot.core.assistant import Assistant
from bot.llm.model import LanguageModel
from bot.llm.playbook import PlaybookWriter
from tests.fakes.openai_server import FakeOpenAI, dropping_after
from tests.slack.test_slack_app import AS_OF, Harness, posted_answer_of

QUESTION = "Hvad er kommerciel drift?"
TRANSLATED = "en: What is commercial operations?\nsv: Vad är kommersiell drift?"
# Cites passages 2, then 1, then one never given (9); a broadcast, a mention, a foreign link, an
# ampersand and Markdown that would make a link: none of it may reach Slack as such.
REPLY = ("Kommerciel drift samler salg & marketing i én drift [2]. <!channel> Den skal sikre en sammenhængende "
         "kunderejse [2][1]. Se https://evil.example/steal og [klik](//evil.example) [9].\n"
         "- Salg og <@U123> service [1]\n- Kundeservice [2]\nSpørg @here for mere [1].")
FORBIDDEN = ("<!channel>", "evil.example/steal", "<@U123>", "@here", "[9]", "](//")


@pytest.fixture
def fake_model():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def slack(small_store_dir, tmp_path, fake_model):
    h = Harness(small_store_dir, tmp_path, members={"C111": ["UM1", "UR1", "UR2"]})
    config = Settings(openai_api_key="sk-test", openai_base_url=fake_model.url, ccobot_model="test-model",
                      ccobot_llm_timeout=1.0, ccobot_llm_retries=0, _env_file=None)
    h.model = LanguageModel.from_settings(config, h.state)
    h.assistant.playbook.writer = PlaybookWriter(h.model)
    real_ask = Assistant.ask.__get__(h.assistant)
    h.assistant.ask = lambda q, user=None, as_of=None, conversation=None, stream=None: real_ask(  # a fixed "today"
        q, user=user, as_of=AS_OF, conversation=conversation, stream=stream)
    h.openai = fake_model
    yield h
    h.close()  # asserts the fake refused no payload


def ask(slack: Harness, *replies, dm: bool = False) -> dict:
    """Ask QUESTION (a mention in #C111, or a DM) with the model scripted to give `replies`; the event."""
    slack.openai.replies = [TRANSLATED, *replies]
    body = slack.dm(QUESTION, user="UM1", channel="D777") if dm else slack.mention(QUESTION)
    if dm:
        body["event_id"] = f"EvDM-{time.time_ns()}"
        body["event"]["ts"] = f"{time.time():.6f}"
    slack.event(body)
    return body


def settled(slack: Harness, method: str, count: int = 1) -> None:
    """Wait for `method` to have been called `count` times, then for what follows it to be done."""
    assert len(slack.fake.wait_for(method, count)) >= count, f"{method} was not called"
    slack.bot.outbox.join(10)
    time.sleep(0.3)  # the answer thread's last calls (stop, update, the posted-answer row)
    slack.bot.outbox.join(10)


def calls_of(slack: Harness, *methods: str) -> list[tuple[str, dict]]:
    return [(m, p) for m, p in slack.fake.calls if m in methods]


def unmarked(markdown: str) -> str:
    """What a reader sees of the streamed markdown (Slack's three entities, the zero-width spaces)."""
    return markdown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace(ZWSP, "")


def non_streamed(slack: Harness, *replies) -> dict:
    """The same question answered with streaming off: the chat.postMessage it becomes."""
    slack.bot.streaming = False
    before = len(slack.fake.of("chat.postMessage"))
    ask(slack, *replies)
    settled(slack, "chat.postMessage", before + 1)
    slack.bot.streaming = True
    return slack.fake.of("chat.postMessage")[before]


# ---------------------------------------------------------------- the way it should go

def test_a_model_answer_is_streamed_checked_and_ends_as_the_posted_answer_would(slack):
    body = ask(slack, REPLY)
    settled(slack, "chat.stopStream")
    thread = slack.fake.thread("C111", body["event"]["ts"])
    assert len(thread) == 1 and not slack.fake.of("chat.postMessage")  # one message: the streamed one
    start = slack.fake.of("chat.startStream")[0]
    assert (start["channel"], start["thread_ts"]) == ("C111", body["event"]["ts"])
    assert (start["recipient_team_id"], start["recipient_user_id"]) == ("T111", "UM1")  # a channel: its reader
    appends = slack.fake.of("chat.appendStream")
    assert len(appends) >= 2  # shown a sentence or a line at a time
    sent = json.dumps([p for _, p in calls_of(slack, "chat.startStream", "chat.appendStream", "chat.stopStream")],
                      ensure_ascii=False)
    for bad in FORBIDDEN:
        assert bad not in sent, bad
    message = thread[0]
    shown = unmarked(message["markdown"])
    assert "salg &amp; marketing" in message["markdown"]  # Slack's control characters escaped
    assert shown.startswith("Kommerciel drift samler salg & marketing i én drift [1]. Den skal sikre en "
                            "sammenhængende kunderejse [1][2].")  # renumbered in order of first use
    assert "[3]" not in shown and "\n- Kundeservice [1]\n" in shown

    answer = posted_answer_of(slack, QUESTION)  # kept by its message, for the buttons on it
    assert answer.ts == message["ts"] and answer.answer["text"] == shown
    post = non_streamed(slack, REPLY)
    tail = message["blocks"]
    assert tail and tail[-1]["type"] == "context_actions"  # sources and feedback below the text
    assert post["blocks"] == _rich(_paragraphs(shown)) + tail  # the same message, block for block
    assert "Kilder" in json.dumps(tail) and not slack.fake.invalid


def test_a_dm_streams_without_a_named_reader(slack):
    body = ask(slack, REPLY, dm=True)
    settled(slack, "chat.stopStream")
    start = slack.fake.of("chat.startStream")[0]
    assert start["channel"] == "D777" and start["thread_ts"] == body["event"]["ts"]
    assert "recipient_user_id" not in start and not slack.fake.of("chat.postMessage")
    assert not slack.fake.invalid


def test_numbers_and_not_covered_are_posted_as_before_and_nothing_streams(slack):
    ask(slack, "NOT_COVERED")
    settled(slack, "chat.postMessage")
    slack.event(slack.mention("what was our revenue last quarter?"))
    settled(slack, "chat.postMessage", 2)
    first, second = slack.fake.of("chat.postMessage")
    assert "EUR 2,530" in second["text"] and first["text"]
    assert not calls_of(slack, "chat.startStream", "chat.appendStream", "chat.stopStream")
    assert not slack.fake.invalid


# ---------------------------------------------------------------- when the model fails

def test_a_model_failing_midway_leaves_one_message_the_offline_answer_with_its_note(slack):
    real = slack.model.chat
    slack.model.chat = dropping_after(real, 16)
    body = ask(slack, REPLY)
    settled(slack, "chat.update")
    assert slack.fake.of("chat.startStream") and not slack.fake.of("chat.postMessage")
    stop = slack.fake.of("chat.stopStream")[0]
    assert "blocks" not in stop  # closed, then replaced whole
    thread = slack.fake.thread("C111", body["event"]["ts"])
    assert len(thread) == 1 and thread[0]["updated"]
    slack.model.chat = real
    post = non_streamed(slack, {"status": 500})  # the offline answer, as it is posted
    assert thread[0]["blocks"] == post["blocks"] and "svaret uden" in json.dumps(post["blocks"])
    assert not slack.fake.invalid


def test_a_model_that_never_starts_streams_nothing_and_the_offline_answer_is_posted_once(slack):
    body = ask(slack, {"hang": 3, "then": REPLY})
    settled(slack, "chat.postMessage")
    time.sleep(0.5)
    assert not calls_of(slack, "chat.startStream", "chat.appendStream", "chat.stopStream", "chat.update")
    posts = slack.fake.of("chat.postMessage")
    assert len(posts) == 1 and posts[0]["thread_ts"] == body["event"]["ts"]
    assert "svaret uden" in json.dumps(posts[0]["blocks"])
    assert not slack.fake.invalid


# ---------------------------------------------------------------- when Slack fails

def test_slack_refusing_the_stream_gets_the_answer_posted_as_usual(slack):
    slack.fake.errors["chat.startStream"] = "not_allowed_token_type"
    body = ask(slack, REPLY)
    settled(slack, "chat.postMessage")
    time.sleep(0.5)
    assert len(slack.fake.of("chat.startStream")) == 1  # refused once: not tried again for this answer
    assert not calls_of(slack, "chat.appendStream", "chat.stopStream", "chat.update")
    post, = slack.fake.of("chat.postMessage")
    assert post["thread_ts"] == body["event"]["ts"] and "Kilder" in json.dumps(post["blocks"])
    for bad in FORBIDDEN[:-1]:  # "](" is only Markdown's: rich_text and mrkdwn show it literally
        assert bad not in json.dumps(post, ensure_ascii=False)
    assert not slack.fake.invalid


@pytest.mark.parametrize("refused", ["chat.appendStream", "chat.stopStream"])
def test_a_stream_slack_stops_taking_is_replaced_by_the_answer_never_posted_twice(slack, refused):
    slack.fake.errors[refused] = "message_not_in_streaming_state"
    body = ask(slack, REPLY)
    settled(slack, "chat.update")
    thread = slack.fake.thread("C111", body["event"]["ts"])
    assert len(thread) == 1 and not slack.fake.of("chat.postMessage")
    post = non_streamed(slack, REPLY)
    assert thread[0]["blocks"] == post["blocks"]  # the message is the answer, block for block
    assert posted_answer_of(slack, QUESTION).ts == thread[0]["ts"]
    assert not slack.fake.invalid


def test_a_stream_slack_will_not_finish_or_update_is_deleted_then_posted(slack):
    slack.fake.errors.update({"chat.stopStream": "internal_error", "chat.update": "cant_update_message"})
    body = ask(slack, REPLY)
    settled(slack, "chat.postMessage")
    methods = [m for m, _ in calls_of(slack, "chat.stopStream", "chat.update", "chat.delete", "chat.postMessage")]
    assert methods.index("chat.delete") < methods.index("chat.postMessage")
    thread = slack.fake.thread("C111", body["event"]["ts"])
    assert len(thread) == 1 and thread[0]["text"] and "Kilder" in json.dumps(thread[0]["blocks"])
    assert not slack.fake.invalid


def test_a_stream_slack_will_not_finish_update_or_delete_is_left_and_nothing_more_posted(slack):
    slack.fake.errors.update({"chat.stopStream": "internal_error", "chat.update": "cant_update_message",
                              "chat.delete": "cant_delete_message"})
    body = ask(slack, REPLY)
    settled(slack, "chat.delete")
    time.sleep(0.5)
    assert not slack.fake.of("chat.postMessage")  # never twice: the partial message stays, the log says so
    assert len(slack.fake.thread("C111", body["event"]["ts"])) == 1
    assert not slack.fake.invalid
