"""Narration (CCOBOT_NARRATE): a sentence a language model writes around a computed KPI answer, and
the digest's three things to know, through LangChain and the real openai client against a local
OpenAI-compatible server. The model sees aggregates only, never a person; every number it writes
must be one it was given; what it writes cannot ping or link; a model that fails changes nothing."""

from __future__ import annotations

import inspect
import json
import re
import time
from datetime import date, timedelta

import pandas as pd
import pytest

from bot.channels.console import render as console_render
from bot.channels.slack.blocks import plain_text, render
from bot.config import Settings
from bot.core.assistant import Assistant
from bot.digest.content import DigestBuilder
from bot.digest.model import Recipient
from bot.llm.narrate import Facts, Narrator, backed, sanitised
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from tests.conftest import AS_OF
from tests.fakes.block_kit import problems


@pytest.fixture(scope="module")
def engine(small_store_dir) -> Engine:
    return Engine(load_store(small_store_dir))


def narrator(fake, timeout: float = 10.0) -> Narrator:
    config = Settings(openai_api_key="sk-test", openai_base_url=fake.url, ccobot_model="test-model",
                      ccobot_llm_timeout=timeout, ccobot_llm_retries=0, ccobot_narrate=True, _env_file=None)
    return Narrator.from_settings(config, None)


def sent(fake) -> list[str]:
    """Each chat request's messages, as one string."""
    return [json.dumps(h["body"]["messages"], ensure_ascii=False) for h in fake.history
            if h["path"] == "/v1/chat/completions"]


def people(store_dir) -> list[str]:
    """Every name, id, email and Slack id of the store's reps, and its accounts' names and deal ids."""
    reps = pd.read_csv(store_dir / "reps.csv", dtype=str)
    accounts = pd.read_csv(store_dir / "accounts.csv", dtype=str)
    deals = pd.read_csv(store_dir / "opportunities.csv", dtype=str)
    return [*reps["name"], *reps["rep_id"], *reps["email"], *reps["slack_user_id"], *accounts["name"],
            *accounts["account_id"], *deals["opportunity_id"]]


def assert_no_one_in(text: str, store_dir) -> None:
    for who in people(store_dir):
        assert not re.search(rf"(?<![\w@.-]){re.escape(who)}(?![\w@-])", text), f"{who!r} was sent to the model"


# ---------------------------------------------------------------- the guard, on its own

@pytest.mark.parametrize("written, ok", [
    ("Revenue was EUR 1,234,568.", True),  # as the product writes it (bot/core/fmt.py)
    ("Revenue was €1.2M.", True),  # rounded to two digits
    ("Revenue was €1.23M.", True),
    ("Revenue was €1.3M.", False),  # not the same figure rounded
    ("Revenue was 1,2 mio. €.", True),  # Danish
    ("Revenue was EUR 1,235,000.", True),
    ("Revenue was EUR 1,234,000.", False),
    ("Revenue was $1.2M.", False),  # another currency
    ("Win rate was 31.2%.", True),  # 0.3125 as a percentage
    ("Win rate was 31,3 %.", True),
    ("Win rate was 32%.", False),
    ("Across 14 deals.", True),
    ("Across 10 deals.", False),  # a count is exact: 10 is not 14 rounded
    ("Between 2026-07-01 and 2026-09-30, Q3 2026.", True),
    ("Since 1 July 2026.", True),
    ("Since 2 July 2026.", False),
    ("Up from 2025.", False),  # a year that is not the facts'
])
def test_every_number_written_must_be_one_of_the_facts(written, ok):
    facts = Facts("en")
    facts.add("revenue", 1_234_567.5, "money", "EUR")
    facts.add("win rate", 0.3125, "ratio")
    facts.add("deals", 14, "count")
    facts.span("period", date(2026, 7, 1), date(2026, 9, 30))
    assert backed(written, facts) is ok


def test_swedish_groups_thousands_with_spaces():
    facts = Facts("sv")
    facts.add("intäkter", 1_234_567.5, "money", "EUR")
    assert backed("Intäkterna var 1 234 568 €.", facts) and backed("Intäkterna var 1\u00a0234\u00a0568 €.", facts)
    assert not backed("Intäkterna var 1 334 568 €.", facts)


def test_what_the_model_writes_loses_its_markup_mentions_and_links():
    text = sanitised("<!channel> **Revenue** rose: see https://evil.example/x, <https://a.example|this> "
                     "or www.evil.example, mail bob@x.example, @here <@U123>  <#C1>\n done")
    for bad in ("<", ">", "http", "evil", "www", "@", "U123", "C1", "*", "\n", "  "):
        assert bad not in text
    assert text.startswith("Revenue rose") and text.endswith("done")


# ---------------------------------------------------------------- a sentence around an answer

def test_the_prompt_holds_the_aggregates_and_no_person(fake, engine, small_store_dir):
    by_rep = Assistant(engine).ask("revenue by rep last quarter", as_of=AS_OF)
    assert by_rep.kind == "kpi" and by_rep.group_by == ["owner"] and "Alice Berg" in by_rep.text
    fake.replies = ["Revenue last quarter came to EUR 2,530, spread over 3 reps."]
    text = narrator(fake).about(by_rep)
    # kept: every number is a fact (three reps: Alice, Carl and Bob, who won nothing)
    assert text == "Revenue last quarter came to EUR 2,530, spread over 3 reps."
    (prompt,) = sent(fake)
    # The aggregates (hand-worked in tests/metrics/test_kpis.py: EUR 2,340 + EUR 190 last quarter) …
    assert "EUR 2,530" in prompt and "2026-07-01" in prompt and "2026-09-30" in prompt and ": 3" in prompt
    # … and neither the reps' names and ids nor their rows' values.
    assert_no_one_in(prompt, small_store_dir)
    assert "2,340" not in prompt and "190" not in prompt


def test_a_breakdown_by_region_is_given_row_by_row_one_by_account_only_as_a_count(fake, engine, small_store_dir):
    bot = Assistant(engine)
    fake.replies = ["Nordics brought EUR 2,340 of the EUR 2,530."]
    by_region = bot.ask("revenue by region last quarter", as_of=AS_OF)
    assert narrator(fake).about(by_region) == "Nordics brought EUR 2,340 of the EUR 2,530."
    by_account = bot.ask("revenue by account last quarter", as_of=AS_OF)
    narrator(fake).about(by_account)
    region_prompt, account_prompt = sent(fake)
    assert "Nordics: EUR 2,340" in region_prompt and "DACH: EUR 190" in region_prompt
    assert ": 3" in account_prompt and "1,340" not in account_prompt  # three accounts, none named, no rows
    assert_no_one_in(account_prompt, small_store_dir)


@pytest.mark.parametrize("reply", [
    "Revenue last quarter was EUR 2,600.",  # invented
    "Revenue last quarter was EUR 2,530, up 12% on the quarter before.",  # one invented number is enough
    "Revenue last quarter was EUR 2,530 across 4 reps.",  # a wrong count
    "Revenue last quarter was EUR 2,530 since 2026-06-01.",  # a date it was not given
])
def test_a_sentence_with_a_number_it_was_not_given_is_dropped(fake, engine, reply):
    answer = Assistant(engine).ask("revenue by rep last quarter", as_of=AS_OF)
    fake.replies = [reply]
    assert narrator(fake).about(answer) is None


def test_rounded_figures_and_percentages_of_the_answer_are_kept(fake, engine):
    bot = Assistant(engine)
    fake.replies = ["Revenue last quarter was about €2.5k, 92.5% of it in Nordics."]
    answer = bot.ask("revenue by region last quarter", as_of=AS_OF)
    assert narrator(fake).about(answer) is None  # 92.5% is not a figure it was given
    fake.replies = ["Win rate held at 66.7% in both DACH and Nordics, roughly 67%."]
    assert narrator(fake).about(bot.ask("win rate by region last quarter", as_of=AS_OF)) == \
        "Win rate held at 66.7% in both DACH and Nordics, roughly 67%."
    fake.replies = ["Revenue last quarter was about €2.5k."]
    assert narrator(fake).about(answer) == "Revenue last quarter was about €2.5k."


def test_a_comparison_is_narrated_from_both_sides_and_the_change(fake, engine):
    answer = Assistant(engine).ask("revenue this quarter vs last quarter", as_of=AS_OF)
    assert answer.kind == "compare"
    fake.replies = ["Revenue fell 20.9% to EUR 2,000 from EUR 2,530 last quarter."]
    assert narrator(fake).about(answer) == "Revenue fell 20.9% to EUR 2,000 from EUR 2,530 last quarter."
    (prompt,) = sent(fake)
    assert "-20.9%" in prompt and "EUR 2,000" in prompt and "EUR 2,530" in prompt


def test_sides_that_name_people_are_not_named_to_the_model(fake, engine, small_store_dir):
    answer = Assistant(engine).ask("Alice's revenue vs Bob's revenue last quarter", as_of=AS_OF)
    assert answer.kind == "compare" and "Alice Berg" in answer.text
    fake.replies = ["The first side brought EUR 2,340, the second EUR 0."]
    assert narrator(fake).about(answer) == "The first side brought EUR 2,340, the second EUR 0."
    assert_no_one_in(sent(fake)[0], small_store_dir)


def test_the_sentence_is_in_the_answers_language_or_whatever_the_model_wrote(fake, engine):
    answer = Assistant(engine).ask("omsætning pr. region sidste kvartal", as_of=AS_OF)
    assert answer.lang == "da"
    fake.replies = ["Nordics stod for 2.340 € af de 2.530 € sidste kvartal."]
    assert narrator(fake).about(answer) == "Nordics stod for 2.340 € af de 2.530 € sidste kvartal."
    assert "Danish" in sent(fake)[0] and "2.530 €" in sent(fake)[0]
    fake.replies = ["Nordics brought EUR 2,340 of EUR 2,530."]  # English to a Danish question: still checked, kept
    assert narrator(fake).about(answer) == "Nordics brought EUR 2,340 of EUR 2,530."


def test_what_the_model_writes_cannot_ping_or_link_anyone(fake, engine):
    answer = Assistant(engine).ask("revenue last quarter", as_of=AS_OF)
    fake.replies = ["<!channel> Revenue was EUR 2,530 <@U123>, see https://evil.example/x and @here."]
    text = narrator(fake).about(answer)
    assert text is not None and "EUR 2,530" in text
    for bad in ("<!channel>", "<@U123>", "evil.example", "https", "@here"):
        assert bad not in text


def test_a_long_reply_keeps_its_first_sentence_or_nothing(fake, engine):
    answer = Assistant(engine).ask("revenue last quarter", as_of=AS_OF)
    fake.replies = ["Revenue was EUR 2,530. " + "It was a quarter like many others before it " * 5]
    assert narrator(fake).about(answer) == "Revenue was EUR 2,530."
    fake.replies = ["Revenue " + "went on and on " * 20 + "at EUR 2,530."]
    assert narrator(fake).about(answer) is None


@pytest.mark.parametrize("script", [{"status": 500}, {"hang": 8, "then": "Revenue was EUR 2,530."}])
def test_a_model_that_is_down_or_slow_gives_no_sentence_within_the_budget(fake, engine, script):
    answer = Assistant(engine).ask("revenue last quarter", as_of=AS_OF)
    fake.replies = [script]
    started = time.monotonic()
    assert narrator(fake).about(answer) is None
    assert time.monotonic() - started < 4.5  # the 3 s budget, not the 10 s timeout


def test_only_kpi_and_comparison_answers_are_narrated(fake, engine):
    bot, teller = Assistant(engine), narrator(fake)
    for question in ("my deals closing this month", "help"):
        answer = bot.ask(question, user="UR1", as_of=AS_OF)
        teller.narrate(answer)
        assert answer.narration == ""
    assert sent(fake) == []


def test_no_setting_or_no_key_no_narrator(fake):
    assert Narrator.from_settings(Settings(_env_file=None), None) is None  # off by default
    assert Narrator.from_settings(Settings(ccobot_narrate=True, _env_file=None), None) is None  # no key
    assert Narrator.from_settings(Settings(openai_api_key="sk-test", _env_file=None), None) is None  # not asked for


# ---------------------------------------------------------------- the faces

def test_the_faces_show_the_narration_as_literal_text_under_the_headline(engine):
    answer = Assistant(engine).ask("revenue by region last quarter", as_of=AS_OF)
    answer.narration = "Nordics brought <EUR 2,340> & more."
    assert answer.to_json()["narration"] == answer.narration
    text, blocks = render(answer)
    assert not problems(text, blocks)
    rich = [e for b in blocks if b["type"] == "rich_text" for s in b["elements"] for e in s.get("elements", [])]
    assert rich[1] == {"type": "text", "text": "Nordics brought <EUR 2,340> & more.", "style": {"italic": True}}
    assert [b["type"] for b in blocks][:3] == ["rich_text", "rich_text", "table"]  # headline, narration, rows
    fallback = plain_text(answer)
    assert "Nordics brought &lt;EUR 2,340&gt; &amp; more." in fallback and "<EUR" not in fallback
    from rich.console import Console

    console = Console(record=True, width=200)
    console_render(answer, console)
    lines = console.export_text().splitlines()
    assert lines[1] == "Nordics brought <EUR 2,340> & more."  # right under the headline


def test_an_offline_answer_has_no_narration_field(engine):
    answer = Assistant(engine).ask("revenue last quarter", as_of=AS_OF)
    assert "narration" not in answer.to_json()
    assert [b for b in render(answer)[1] if "italic" in json.dumps(b)] == []


# ---------------------------------------------------------------- the digest's three things

def test_the_digest_prompt_holds_its_figures_and_counts_and_no_names(fake, engine, small_store_dir):
    digest = DigestBuilder(engine).build([Recipient("m1", AS_OF, AS_OF - timedelta(days=30), "en")])[0]
    assert digest.risks  # entries that name deals, reps and accounts
    cur, f = digest.currency, digest.figures
    from bot.core.i18n import money

    lines = [f"Pipeline is {money(f['pipeline'], cur, 'en')} this quarter.",
             f"{len(digest.risks)} deals need attention.",
             f"Bookings are {money(f['bookings_qtd'], cur, 'en')} of a {money(f['target_quarter'], cur, 'en')} target."]
    fake.replies = ["\n".join(f"- {line}" for line in lines)]
    assert narrator(fake).three_things(digest) == lines
    (prompt,) = sent(fake)
    assert money(f["pipeline"], cur, "en") in prompt and "Q4 2026" in prompt and "2026-11-20" in prompt
    assert_no_one_in(prompt, small_store_dir)
    assert "Mona" not in prompt  # the recipient is not named either


def test_the_three_things_are_three_backed_lines_or_none(fake, engine):
    digest = DigestBuilder(engine).build([Recipient("m1", AS_OF, AS_OF - timedelta(days=30), "en")])[0]
    good = f"{len(digest.risks)} deals need attention."
    fake.replies = [f"{good}\n{good}"]  # two lines
    assert narrator(fake).three_things(digest) is None
    fake.replies = [f"{good}\n{good}\nPipeline grew 40% this week."]  # one invented number
    assert narrator(fake).three_things(digest) is None
    fake.replies = [{"status": 500}]
    assert narrator(fake).three_things(digest) is None


# ---------------------------------------------------------------- through the assistant

ASSISTANT_TAKES_A_NARRATOR = "narrator" in inspect.signature(Assistant.__init__).parameters


@pytest.mark.skipif(not ASSISTANT_TAKES_A_NARRATOR,
                    reason="runs once bot/core/assistant.py takes Assistant(…, narrator=)")
def test_an_assistant_with_a_narrator_adds_the_sentence_and_otherwise_answers_as_offline(fake, engine):
    offline = Assistant(engine).ask("revenue by region last quarter", as_of=AS_OF)
    fake.replies = ["Nordics brought EUR 2,340 of the EUR 2,530."]
    with_model = Assistant(engine, narrator=narrator(fake))
    answer = with_model.ask("revenue by region last quarter", as_of=AS_OF)
    assert answer.to_json()["narration"] == "Nordics brought EUR 2,340 of the EUR 2,530."
    assert answer.text == offline.text and answer.rows == offline.rows
    fake.replies = [{"status": 500}]
    down = with_model.ask("revenue by region last quarter", as_of=AS_OF)
    fake.replies = ["Revenue was EUR 9,999."]
    invented = with_model.ask("revenue by region last quarter", as_of=AS_OF)
    for same in (down, invented):
        expected, got = offline.to_json(), same.to_json()
        expected.pop("elapsed_ms"), got.pop("elapsed_ms")
        assert got == expected  # exactly the offline answer
    assert with_model.ask("my deals closing this month", user="UR1", as_of=AS_OF).narration == ""
