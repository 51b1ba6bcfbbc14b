"""The digest's "three things to know today" (CCOBOT_NARRATE): written by a language model from
the digest's figures and counts, against a local OpenAI-compatible server; shown near the top of
the text and the Slack message; left out, and the digest sent on time, when the model is down or
writes a number it was not given. The model never sees a rep's, deal's or account's name."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.channels.slack.app import SlackBot, make_client
from bot.channels.slack.digests import SlackDigests
from bot.channels.slack.outbox import Outbox
from bot.config import Settings
from bot.core.assistant import Assistant
from bot.digest.cli import digest_run
from bot.digest.run import DigestRun
from bot.llm.narrate import Narrator
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.state import open_state
from tests.digest.stores import people_store
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_api import FakeSlack

AT = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)  # Friday 08:00 UTC
# m1's team on 2026-11-20 (tests/digest/stores.py): one open deal of EUR 1,000 closing on 27 November,
# its last history row on 15 October (stalled), a EUR 5,000 target for the quarter, nothing booked.
LINES = ["Pipeline stands at EUR 1,000 against a EUR 5,000 target.",
         "Nothing is booked yet: attainment is 0.0%.",
         "1 deal needs attention."]
DANISH = ["Pipelinen er 1.000 € mod et mål på 5.000 €.", "Intet er booket endnu.",
          "1 aftale kræver opmærksomhed."]
NAMES = ("Manager m1", "Rep m1-r0", "m1-r0", "o-m1-r0", "Acme", "@x.example", "Um1", "Erin")


@pytest.fixture()
def model():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture()
def slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def settings(model: FakeOpenAI, **more) -> Settings:
    values = dict(openai_api_key="sk-test", openai_base_url=model.url, ccobot_model="test-model",
                  ccobot_llm_timeout=10.0, ccobot_llm_retries=0, ccobot_narrate=True) | more
    return Settings(_env_file=None, **values)


def prompts(model: FakeOpenAI) -> list[str]:
    return [json.dumps(h["body"]["messages"], ensure_ascii=False) for h in model.history
            if h["path"] == "/v1/chat/completions"]


def run_once(tmp_path: Path, model: FakeOpenAI, slack: FakeSlack, zone: str = "UTC") -> tuple[object, float]:
    """`digest run` at AT for one manager, with a narrator: (report, seconds it took)."""
    store = people_store(tmp_path / "store", [("m1", zone)])
    engine = Engine(load_store(store))
    bot = SlackBot(Assistant(engine), open_state(f"sqlite:///{tmp_path / 's.db'}"),
                   make_client("xoxb-test", slack.api_url), Outbox())
    run = DigestRun(engine, bot.state, SlackDigests(bot, chart=False),
                    narrator=Narrator.from_settings(settings(model), bot.state))
    started = time.monotonic()
    report = run(AT)
    took = time.monotonic() - started
    bot.outbox.close()
    return report, took


def texts(blocks: list[dict]) -> list[tuple[str, str]]:
    """(block type or "bullet"/"bold", text) of each line of rich text, in order; tables as ("table", "")."""
    out = []
    for b in blocks:
        if b["type"] == "table":
            out.append(("table", ""))
        for el in b.get("elements", []) if b["type"] == "rich_text" else []:
            sections = el["elements"] if el["type"] == "rich_text_list" else [el]
            for s in sections:
                for e in s["elements"]:
                    kind = "bullet" if el["type"] == "rich_text_list" else "bold" if e.get("style") else "text"
                    out.append((kind, e["text"]))
    return out


def test_a_digest_sent_with_a_narrator_opens_with_three_things_to_know(tmp_path, model, slack):
    model.replies = ["\n".join(LINES)]
    report, _ = run_once(tmp_path, model, slack)
    assert report.sent == ["m1"]
    (post,) = slack.posts_to("Um1")
    lines = texts(post["blocks"])
    title = lines.index(("bold", "Three things to know today"))
    assert lines[title + 1:title + 5] == [("bullet", line) for line in LINES] + [("table", "")]  # then the figures
    assert slack.invalid == []
    (prompt,) = prompts(model)  # one call for the one recipient
    assert "EUR 1,000" in prompt and "EUR 5,000" in prompt and "stalled: 1" in prompt
    for name in NAMES:
        assert name not in prompt
    assert not re.search(r"\bm1\b", prompt)


@pytest.mark.parametrize("script", [{"status": 500}, {"hang": 20, "then": "\n".join(LINES)}])
def test_with_the_model_down_the_digest_goes_out_without_them_on_time(tmp_path, model, slack, script):
    model.replies = [script]
    report, took = run_once(tmp_path, model, slack)
    assert report.sent == ["m1"] and report.ok
    assert took < 15  # a digest's narration budget (6 s), never the model's hang
    (post,) = slack.posts_to("Um1")
    assert "Three things" not in json.dumps(post["blocks"]) and slack.invalid == []


def test_an_invented_number_drops_the_section(tmp_path, model, slack):
    model.replies = ["\n".join([LINES[0], "Bookings rose 12% this week.", LINES[2]])]
    report, _ = run_once(tmp_path, model, slack)
    (post,) = slack.posts_to("Um1")
    assert report.sent == ["m1"] and "Three things" not in json.dumps(post["blocks"])
    assert "Bookings rose" not in json.dumps(post)


def test_the_scheduler_and_digest_run_get_a_narrator_only_when_asked(tmp_path, model, slack):
    store = people_store(tmp_path / "store", [("m1", "UTC")])
    bot = SlackBot(Assistant(Engine(load_store(store))), open_state(f"sqlite:///{tmp_path / 's.db'}"),
                   make_client("xoxb-test", slack.api_url), Outbox())
    try:
        assert isinstance(digest_run(settings(model), bot.state, slack=bot).narrator, Narrator)
        assert digest_run(settings(model, ccobot_narrate=False), bot.state, slack=bot).narrator is None
        assert digest_run(Settings(ccobot_narrate=True, _env_file=None), bot.state, slack=bot).narrator is None  # no key
    finally:
        bot.outbox.close()


# ---------------------------------------------------------------- the preview command

@pytest.fixture()
def preview(tmp_path, model, monkeypatch):
    """preview(zone, *flags) -> the result of `ccobot digest preview --for m1` with narration on."""
    from typer.testing import CliRunner

    from bot.cli import app
    from bot.config import get_settings

    monkeypatch.chdir(tmp_path)  # no .env but the test's
    for name, value in {"CCOBOT_HOME": str(tmp_path / "home"), "OPENAI_API_KEY": "sk-test",
                        "OPENAI_BASE_URL": model.url, "CCOBOT_NARRATE": "true", "CCOBOT_LLM_RETRIES": "0",
                        "CCOBOT_MODEL": "test-model", "NO_COLOR": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CCOBOT_DATA", raising=False)
    get_settings.cache_clear()

    def run(zone: str, *flags: str):
        store = people_store(tmp_path / f"store-{zone.replace('/', '-')}", [("m1", zone)])
        result = CliRunner().invoke(app, ["digest", "preview", "--for", "m1", "--as-of", "2026-11-20",
                                          "--data", str(store), *flags])
        assert result.exit_code == 0, result.output
        return result.stdout

    yield run
    get_settings.cache_clear()


def test_the_preview_shows_them_in_json_and_text(preview, model):
    model.replies = ["\n".join(f"• {line}" for line in LINES)]  # bullets the model adds are not kept twice
    data = json.loads(preview("UTC", "--json"))
    assert data["highlights"] == LINES
    text = data["text"]
    assert text.index("Three things to know today:\n• " + LINES[0]) < text.index("Q4 2026, your team: pipeline")
    model.replies = ["Pipeline stands at EUR 7,000.\n" + "\n".join(LINES[1:])]
    data = json.loads(preview("UTC", "--json"))
    assert data["highlights"] == [] and "Three things" not in data["text"]


def test_the_preview_in_danish_has_a_danish_title(preview, model):
    model.replies = ["\n".join(DANISH)]
    text = preview("Europe/Copenhagen")
    assert "Tre ting at vide i dag:\n• " + DANISH[0] in text
    assert "Danish" in prompts(model)[0] and "1.000 €" in prompts(model)[0]
