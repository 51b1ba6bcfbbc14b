"""Answers rendered as Block Kit: every payload is checked by slack_sdk's block models and by
Block Kit's documented limits (tests/fakes/block_kit.py), for answers built the way the product
builds them (Assistant.ask on the small store, with the playbook).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import pytest

from bot.channels.slack.blocks import plain_text, render, units
from bot.core.charts import asked_for, chart_png, chart_title, chartable
from bot.core.answer import Answer
from bot.core.assistant import Assistant
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.playbook.embeddings import HashingEmbedder
from bot.playbook.index import PlaybookIndex
from bot.playbook.service import Playbook
from tests.fakes.block_kit import problems as block_kit_problems
from tests.paths import KNOWLEDGE

AS_OF = date(2026, 11, 20)
MANAGER = "UM1"  # Mona: manager of Alice (UR1) and Bob (UR2)


# ---------------------------------------------------------------- the validator

def check(text: str, blocks: list[dict], private_note: bool = True) -> None:
    """Fail unless Slack would take this message (tests/fakes/block_kit.py). `private_note`: room
    is kept for the context block deliver puts above a private answer."""
    problems = block_kit_problems(text, blocks, extra_blocks=1 if private_note else 0)
    assert not problems, "\n".join(problems)


def table_of(blocks: list[dict]) -> list[list[str]]:
    tables = [b for b in blocks if b["type"] == "table"]
    assert len(tables) == 1
    return [[c["text"] for c in row] for row in tables[0]["rows"]]


def rich_parts(blocks: list[dict]) -> list[dict]:
    """The sections, lists, quotes of every rich_text block, in order."""
    return [part for b in blocks if b["type"] == "rich_text" for part in b["elements"]]


def said(section: dict) -> str:
    """A rich_text_section's text, as Slack shows it (its text elements one after another)."""
    return "".join(e["text"] for e in section["elements"])


def sections_of(blocks: list[dict]) -> list[str]:
    return [said(p) for p in rich_parts(blocks) if p["type"] == "rich_text_section"]


def lists_of(blocks: list[dict]) -> list[list[str]]:
    return [[said(item) for item in p["elements"]] for p in rich_parts(blocks) if p["type"] == "rich_text_list"]


def text_elements(blocks: list[dict]) -> list[dict]:
    return [e for p in rich_parts(blocks) for s in (p["elements"] if p["type"] == "rich_text_list" else [p])
            for e in s["elements"]]


# ---------------------------------------------------------------- answers, as the product makes them

@pytest.fixture(scope="module")
def assistant(small_store_dir, tmp_path_factory) -> Assistant:
    playbook = Playbook(PlaybookIndex(KNOWLEDGE, tmp_path_factory.mktemp("chroma"), HashingEmbedder()))
    playbook.start(wait=True)
    return Assistant(Engine(load_store(small_store_dir)), playbook=playbook)


def ask(assistant: Assistant, question: str, user: str = MANAGER) -> Answer:
    return assistant.ask(question, user=user, as_of=AS_OF)


QUESTIONS = [
    ("what was our revenue last quarter?", MANAGER, "kpi"),
    ("revenue by region last quarter", MANAGER, "kpi"),
    ("revenue by month this year", MANAGER, "kpi"),
    ("pipeline by region and segment", MANAGER, "kpi"),
    ("quota attainment by owner last quarter", MANAGER, "kpi"),
    ("list open deals", MANAGER, "deals"),
    ("list my open deals", "UR1", "deals"),
    ("revenue last quarter vs the same quarter last year", MANAGER, "compare"),
    ("win rate in DACH vs Nordics last quarter", MANAGER, "compare"),
    ("What does a CCO own?", MANAGER, "playbook"),
    ("Hvilke KPI'er skal en CCO følge?", MANAGER, "playbook"),
    ("how do I book a parking space?", MANAGER, "not_covered"),
    ("revenue in Q5", MANAGER, "clarify"),
    ("revenue for Carl Weber last quarter", "UR1", "denied"),
    ("help", MANAGER, "help"),
    ("revenue and win rate by region last quarter", MANAGER, "kpi"),  # two parts, two tables
    ("which KPIs should a CCO track, and what is our win rate by region last quarter?", MANAGER, "playbook"),
    ("Hvad var omsætningen pr. region sidste kvartal?", MANAGER, "kpi"),
    ("Hvad var win rate pr. region sidste kvartal?", MANAGER, "kpi"),
    ("intäkter per land förra kvartalet", MANAGER, "kpi"),
    ("vilka affärer stängs det här kvartalet?", MANAGER, "deals"),
    ("👍" * 1500, MANAGER, "help"),
    ("revenue by region last quarter " + "👍" * 1500, MANAGER, "kpi"),
    ("revenue by region last quarter <!channel> & <https://evil.example|x> " + "y" * 3000, MANAGER, "kpi"),
]


@pytest.mark.parametrize(("question", "user", "kind"), QUESTIONS, ids=[q[:40] for q, _, _ in QUESTIONS])
def test_every_kind_of_answer_is_a_payload_slack_takes(assistant, question, user, kind):
    answer = ask(assistant, question, user)
    assert answer.kind == kind, answer.text
    text, blocks = render(answer)
    check(text, blocks)
    assert blocks[-1]["type"] == "context_actions"  # 👍/👎 on every answer
    values = {b["value"] for b in blocks[-1]["elements"][0].values() if isinstance(b, dict)}
    assert values == {"up", "down"}  # never the question
    plain = plain_text(answer)
    assert 0 < units(plain) <= 40_000 and not re.search(r"[<>]", plain)


def test_an_answer_that_fails_is_a_payload_too(assistant):
    broken = Assistant(assistant.engine)
    broken._ask = lambda *args: 1 / 0  # a bug: ask answers with an apology (kind error)
    answer = broken.ask("revenue last quarter", user=MANAGER, as_of=AS_OF)
    assert answer.kind == "error"
    text, blocks = render(answer)
    check(text, blocks)
    assert [b["type"] for b in blocks] == ["rich_text"]


def test_breakdowns_are_tables_with_named_headers_in_the_answers_language(assistant):
    _, blocks = render(ask(assistant, "Hvad var omsætningen pr. region sidste kvartal?"))
    assert table_of(blocks) == [["Region", "Omsætning"], ["Nordics", "2.340 €"], ["DACH", "190 €"]]
    table = next(b for b in blocks if b["type"] == "table")
    assert table["column_settings"][-1] == {"align": "right"}  # numbers right-aligned
    _, blocks = render(ask(assistant, "intäkter per land förra kvartalet"))
    assert table_of(blocks)[0] == ["Land", "Intäkter"]
    assert [r[0] for r in table_of(blocks)[1:]] == ["Sverige", "Danmark", "Tyskland"]  # names, not SE/DK/DE
    _, blocks = render(ask(assistant, "Hvad var win rate pr. region sidste kvartal?"))
    assert table_of(blocks)[0] == ["Region", "Win rate"] and "win_rate" not in json.dumps(blocks)
    _, blocks = render(ask(assistant, "quota attainment by owner last quarter"))
    assert table_of(blocks) == [["Rep", "Quota attainment"], ["Alice Berg", "117.0%"], ["Bob Lund", "0.0%"]]
    _, blocks = render(ask(assistant, "pipeline by region and segment"))
    assert table_of(blocks)[:2] == [["Region", "Segment", "Pipeline"], ["Nordics", "Mid-Market", "EUR 2,000"]]


def test_deal_lists_and_comparisons_are_tables(assistant):
    _, blocks = render(ask(assistant, "vilka affärer stängs det här kvartalet?"))
    rows = table_of(blocks)
    assert rows[0] == ["Affär", "Kund", "Säljare", "Fas", "Belopp", "Stängningsdatum"]
    assert rows[1][1:5] == ["Gamma", "Bob Lund", "Proposal", "2\u00a0000 €"]
    amount = next(b for b in blocks if b["type"] == "table")["column_settings"][4]
    assert amount == {"align": "right"}
    _, blocks = render(ask(assistant, "revenue last quarter vs the same quarter last year"))
    assert table_of(blocks) == [["Period", "Revenue"], ["last quarter (2026-07-01 to 2026-09-30)", "EUR 2,530"],
                                ["2025-07-01 to 2025-09-30", "EUR 0"]]
    _, blocks = render(ask(assistant, "win rate in DACH vs Nordics last quarter"))
    assert table_of(blocks)[0] == ["Region", "Win rate"]


def test_a_second_table_in_one_message_becomes_lines(assistant):
    answer = ask(assistant, "revenue and win rate by region last quarter")
    assert len(answer.parts) == 2
    text, blocks = render(answer)
    check(text, blocks)
    assert table_of(blocks)[0] == ["Region", "Revenue"]  # the first part's table; one table a message
    assert lists_of(blocks) == [["DACH: 66.7%", "Nordics: 66.7%"]]  # the second part's rows, one item a row
    parts = rich_parts(blocks)
    second = next(i for i, p in enumerate(parts) if p["type"] == "rich_text_section" and said(p).startswith("Win rate"))
    rows = parts[second + 1]  # each part's rows under its own headline
    assert rows["type"] == "rich_text_list" and rows["style"] == "bullet"
    assert rows["elements"][0]["elements"] == [{"type": "text", "text": "DACH", "style": {"bold": True}},
                                               {"type": "text", "text": ": 66.7%"}]


def test_emoji_never_push_a_value_or_label_over_slacks_limits(assistant):
    question = "revenue by region last quarter " + "👍" * 1500
    answer = ask(assistant, question)
    answer.followups = [question, "👍" * 1999]  # a follow-up that is all emoji
    text, blocks = render(answer)
    check(text, blocks)
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert all(units(b["value"]) <= 1000 and units(b["text"]["text"]) < 75 for b in buttons)
    feedback = blocks[-1]["elements"][0]
    assert (feedback["positive_button"]["value"], feedback["negative_button"]["value"]) == ("up", "down")


def test_big_breakdowns_are_trimmed_to_slacks_table_limits_with_a_note():
    rows = [{"account": f"A-{i:05d}", "account_name": f"Account {i} " + "é" * 250 + " & <Co>", "value": float(i)}
            for i in range(900)]
    answer = Answer(question="revenue by account", kind="kpi", text="Revenue by account: many.",
                    summary="Revenue by account", metric="revenue", unit="currency", currency="EUR",
                    group_by=["account"], rows=rows)
    text, blocks = render(answer)
    check(text, blocks)
    shown = table_of(blocks)
    assert 1 < len(shown) <= 41 and shown[0] == ["Account", "Revenue"]
    assert shown[1][0].startswith("Account 0 ") and shown[1][0].endswith("…")  # a cell cut, not the table
    note = json.dumps([b for b in blocks if b["type"] == "context"])
    assert f"Showing the first {len(shown) - 1} of 900 rows" in note
    wide = Answer(question="q", kind="kpi", text="t", metric="revenue", unit="currency", currency="EUR",
                  group_by=[f"d{i}" for i in range(25)], rows=[{f"d{i}": "x" for i in range(25)} | {"value": 1.0}])
    check(*render(wide))
    assert len(table_of(render(wide)[1])[0]) == 20


def test_table_cells_and_rich_text_are_literal_and_mrkdwn_is_escaped():
    rows = [{"region": "<!channel> UK & Ireland", "value": 1.0}, {"region": "Nordics", "value": 2.0},
            {"region": "DACH", "value": 3.0}]
    part = Answer(question="q", kind="kpi", text="Revenue for <@U1> by region: 6.", summary="Revenue <@U1>: 6.",
                  metric="revenue", unit="currency", currency="EUR", group_by=["region"], rows=rows)
    text, blocks = render(part)
    check(text, blocks)
    assert table_of(blocks)[1][0] == "<!channel> UK & Ireland"  # raw_text: Slack shows it as it is
    assert sections_of(blocks)[0] == "Revenue <@U1>: 6."  # a rich_text text element: shown as it is too
    assert "&lt;" not in json.dumps(blocks) and "&lt;@U1&gt;" in text  # the notification text is mrkdwn
    both = Answer(question="q", kind="kpi", text="two", parts=[part, part])
    text, blocks = render(both)
    check(text, blocks)
    assert lists_of(blocks)[0][0] == "<!channel> UK & Ireland: EUR 1"  # the second part's rows, as a list
    assert "&amp;" not in json.dumps(blocks)
    plain = plain_text(both)
    assert "&lt;!channel&gt; UK &amp; Ireland" in plain and "<!channel>" not in plain


def test_the_plain_text_rendering_holds_the_whole_answer(assistant):
    answer = ask(assistant, "which KPIs should a CCO track, and what is our win rate by region last quarter?")
    plain = plain_text(answer)
    assert "Sources" in plain and "[1]" in plain
    assert "```Region   Win rate\nDACH        66.7%\nNordics     66.7%```" in plain
    deals = plain_text(ask(assistant, "list open deals"))
    assert "• o6 (Gamma), Bob Lund, Proposal, EUR 2,000, closes 2026-12-10" in deals
    huge = Answer(question="q", kind="kpi", text="t " * 30_000, summary="s", metric="revenue", unit="currency",
                  currency="EUR", group_by=["account"], rows=[{"account": "a" * 300, "value": 1.0}] * 900,
                  notes=["n" * 5000] * 20)
    assert units(plain_text(huge)) <= 40_000


def test_too_many_blocks_are_trimmed_leaving_room_for_the_private_note():
    citations = [{"source": "k.md", "title": f"T{i}", "section": "S " * 700, "lang": "en", "text": "x"}
                 for i in range(60)]
    answer = Answer(question="q", kind="playbook", text=("A passage.\n" * 280) * 20, citations=citations,
                    notes=["n" * 4000] * 14, followups=["next question " * 20] * 5)
    text, blocks = render(answer)
    check(text, blocks)  # at most 49 blocks
    assert "trimmed to fit Slack" in json.dumps(blocks)
    assert [b["type"] for b in blocks[-2:]] == ["actions", "context_actions"]


# ---------------------------------------------------------------- rich text

def test_a_kpi_headline_is_a_bold_rich_text_element(assistant):
    answer = ask(assistant, "what was our revenue last quarter?")
    text, blocks = render(answer)
    check(text, blocks)
    assert blocks[0] == {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": answer.text, "style": {"bold": True}}]}]}
    _, blocks = render(ask(assistant, "revenue by region last quarter"))  # a breakdown: its headline, bold
    assert [b["type"] for b in blocks[:2]] == ["rich_text", "table"]
    assert all(e.get("style") == {"bold": True} for e in text_elements(blocks[:1]))
    _, blocks = render(ask(assistant, "What does a CCO own?"))  # a playbook answer is not bold
    assert not any(e.get("style") for e in text_elements(blocks[:1]))


def test_a_playbook_lists_lines_become_a_rich_text_list_one_item_a_line(assistant):
    answer = ask(assistant, "Hvilke KPI'er skal en CCO følge?")
    assert answer.kind == "playbook"
    lines = [line[2:] for line in answer.text.split("\n") if line.startswith("• ")]
    assert len(lines) >= 3
    text, blocks = render(answer)
    check(text, blocks)
    lists = [p for p in rich_parts(blocks) if p["type"] == "rich_text_list"]
    assert len(lists) == 1 and lists[0]["style"] == "bullet"
    assert [said(item) for item in lists[0]["elements"]] == lines  # "• " is Slack's bullet now, not text
    assert not any(s.startswith("• ") or "\n• " in s for s in sections_of(blocks))
    # the [n] markers and "(in Danish)" labels exactly as the text has them
    marks = r"\[\d+\](?: \((?:in|på) [^)]*\))?"
    for question in ("Hvilke KPI'er skal en CCO følge?", "What does a CCO own?"):
        answer = ask(assistant, question)
        body = render(replace(answer, citations=[]))[1]  # without the Sources list (it names [n] too)
        shown = "\n".join(said(s) for p in rich_parts(body) for s in (p["elements"] if "style" in p else [p]))
        assert re.findall(marks, shown) == re.findall(marks, answer.text) != []
    assert "[1] (in Danish)" in shown


def test_markup_in_a_question_is_literal_rich_text_never_a_mention_or_an_entity(assistant):
    question = "what is <!channel> & <@U1> <https://evil.example|click>?"
    check(*render(ask(assistant, question)))  # the product's own answer to it
    echo = Answer(question=question, kind="not_covered", notes=["<!channel> & <@U1>"],
                  text=f"The playbook doesn't cover “{question}”.\n• <!here> & <@U2>")
    text, blocks = render(echo)
    check(text, blocks)  # Slack takes it: rich text is not mrkdwn
    assert sections_of(blocks)[0] == f"The playbook doesn't cover “{question}”."  # as typed, not &amp;
    assert lists_of(blocks) == [["<!here> & <@U2>"]]
    assert {e["type"] for e in text_elements(blocks)} == {"text"}  # never a user, broadcast or link element
    assert not re.search(r"&(amp|lt|gt);", json.dumps([b for b in blocks if b["type"] == "rich_text"]))
    note = next(b for b in blocks if b["type"] == "context")["elements"][0]
    assert note == {"type": "mrkdwn", "text": "&lt;!channel&gt; &amp; &lt;@U1&gt;"}  # mrkdwn stays escaped
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in text and "<!channel>" not in text  # and the notification text
    assert "<!channel>" not in plain_text(echo)


def test_a_20000_character_playbook_answer_is_split_into_blocks_within_limits():
    quote = ("“The CCO owns the whole commercial result: revenue & growth, <pricing>, retention and the "
             "partner channel, from the first lead to the renewal.” [{n}] (in Danish) ")
    lines = ["From the playbook:"]
    n = 0
    while sum(map(len, lines)) < 19_000:
        n += 1
        lines.append((quote * 4).format(n=n).strip())
        lines += [f"• Item {n}.{i}: win rate, pipeline coverage and NRR by region 👍" for i in range(4)]
    lines.append("A line longer than a block: " + " ".join(f"word{i}" for i in range(700)))
    lines.append("• " + "A list item longer than a block " * 100)
    text = "\n".join(lines)
    assert len(text) >= 20_000
    answer = Answer(question="q", kind="playbook", text=text, citations=[
        {"source": "k.md", "title": "T", "section": "S", "lang": "da", "text": "x"}])
    out, blocks = render(answer)
    check(out, blocks)  # slack_sdk's models and the limits: 3,000 characters a text element and a block
    rich = [b for b in blocks if b["type"] == "rich_text"]
    assert len(rich) >= 8 and len(blocks) <= 49
    assert all(sum(units(e["text"]) for e in text_elements([b])) <= 3000 for b in rich)
    # nothing lost and no word cut: the words, markers and labels in order, "• " now Slack's bullets
    shown = " ".join(e["text"] for e in text_elements(rich[:-1]))  # the last block is the Sources
    assert shown.split() == text.replace("\n• ", "\n").split()
    items = [item for items in lists_of(blocks) for item in items]
    assert [i for i in items if i.startswith("Item ")] == [line[2:] for line in lines if line.startswith("• Item")]
    assert sections_of(rich[-1:]) == ["Sources\n[1] T › S (da)"]


# ---------------------------------------------------------------- charts on request

def test_chart_button_only_where_a_chart_can_be_drawn(assistant):
    by_month = ask(assistant, "revenue by month this year")
    assert chartable(by_month) and not asked_for(by_month)
    buttons = next(b for b in render(by_month)[1] if b["type"] == "actions")["elements"]
    assert buttons[-1]["action_id"] == "chart" and buttons[-1]["text"]["text"] == "Chart"
    assert not chartable(ask(assistant, "revenue by region last quarter"))  # two bars say nothing a table doesn't
    assert not chartable(ask(assistant, "list open deals"))
    swedish = ask(assistant, "intäkter per land förra kvartalet")
    assert chartable(swedish)
    assert next(b for b in render(swedish)[1] if b["type"] == "actions")["elements"][-1]["text"]["text"] == "Diagram"
    danish = ask(assistant, "omsætning pr. måned i år")
    assert chartable(danish) and "Graf" in json.dumps(render(danish)[1])


@pytest.mark.parametrize(("question", "asks"), [
    ("revenue by month this year as a chart", True), ("graph of pipeline by region", True),
    ("plot win rate per quarter", True), ("show me a diagram of revenue", True),
    ("vis en graf over omsætning pr. måned", True), ("omsætning pr. måned som diagram", True),
    ("visa ett diagram över intäkter per månad", True), ("intäkter per månad i grafen", True),
    ("revenue by month this year", False), ("what does a CCO own?", False), ("Hvad er vores pipeline?", False),
])
def test_asked_for_a_chart(question, asks):
    assert asked_for(Answer(question=question, kind="kpi", text="t")) is asks


def test_a_chart_is_plain_text_drawn_from_the_posted_json(assistant):
    rows = [{"region": "UK & Ireland", "value": 3.0}, {"region": "US$ West", "value": 2.0},
            {"region": "US$ East", "value": 1.0}]
    answer = Answer(question="q", kind="kpi", text="Revenue for region UK & Ireland, last quarter, by region: EUR 6.",
                    metric="revenue", unit="currency", currency="EUR", group_by=["region"], rows=rows)
    again = Answer.from_json(json.loads(json.dumps(answer.to_json())))
    assert chart_title(again) == "Revenue for region UK & Ireland, last quarter, by region"  # never &amp;
    png = chart_png(again)
    assert png and png[:8] == b"\x89PNG\r\n\x1a\n"
    two = Answer.from_json(ask(assistant, "revenue and win rate by region last quarter").to_json())
    assert len(two.parts) == 2 and not chartable(two)
    by_month = Answer.from_json(ask(assistant, "revenue by month this year").to_json())
    assert chartable(by_month) and chart_title(by_month).startswith("Revenue, this year (2026-01-01 to")
    check(*render(by_month))



def test_the_checker_refuses_what_slack_refuses():
    """The checker itself: each of these is a payload Slack answers with invalid_blocks."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    table = {"type": "table", "rows": [[{"type": "raw_text", "text": "a"}]]}
    old_feedback = {"type": "actions", "elements": [{"type": "button", "action_id": "feedback_up", "value": json.dumps(
        {"q": "👍" * 1500}), "text": {"type": "plain_text", "text": "👍"}}]}  # the question in the value, as before
    bad = [
        [section] * 50,  # 50 + the private note
        [table, table],
        [{"type": "table", "rows": [[{"type": "raw_text", "text": ""}]]}],
        [{"type": "table", "rows": [[{"type": "raw_text", "text": "a"}]] * 101}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "<!channel>"}}],
        [old_feedback],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}],  # a field Slack lacks
        [{"type": "no_such_block"}],
        [rich_text({"type": "rich_text_sectoin", "elements": [{"type": "text", "text": "x"}]})],
        [rich_text({"type": "rich_text_list", "style": "dashed", "elements": [paragraph("x")]})],
        [rich_text({"type": "rich_text_list", "style": "bullet", "elements": [{"type": "text", "text": "x"}]})],
        [rich_text(paragraph("x") | {"elements": [{"type": "text", "text": "x", "colour": "red"}]})],
        [rich_text(paragraph("x") | {"elements": [{"type": "text", "text": "x", "style": {"bold": "yes"}}]})],
        [rich_text(paragraph("x") | {"elements": [{"type": "txt", "text": "x"}]})],
    ]
    for blocks in bad:
        with pytest.raises((AssertionError, Exception)):
            check("text", blocks)
    check("text", [section] * 49)
    check("text", [rich_text(paragraph("<!channel> & <@U1>"))] * 49)  # literal: the mrkdwn check is not for it
    # the renderer's own cap (the reference names no length for rich text): 3,000 an element and a block
    for texts in (["y" * 3001], ["y" * 2000, "👍" * 501]):
        with pytest.raises(AssertionError):
            check("text", [rich_text({"type": "rich_text_section", "elements": [{"type": "text", "text": t}
                                                                                 for t in texts]})])


def rich_text(*parts: dict) -> dict:
    return {"type": "rich_text", "elements": list(parts)}


def paragraph(text: str) -> dict:
    return {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
