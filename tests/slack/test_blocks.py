"""Answers rendered as Block Kit: every payload is checked by slack_sdk's block models and by
Block Kit's documented limits (docs.slack.dev), for answers built the way the product builds
them (Assistant.ask on the small store, with the playbook).

Limits checked here that the models do not know: 50 blocks a message, 3,000 characters of
mrkdwn a section or context element, 10 elements a context block, 25 an actions block, 5 a
context_actions block, button and feedback-button text 75 / value 2,000 / accessibility label
75, action_id and block_id 255 (unique in the message), one table a message with at most 100
rows of at most 20 cells and 10,000 characters of cell text, markdown blocks 12,000 characters
in all, the message text 40,000. Lengths are UTF-16 code units, the stricter count ("👍" is one
character in Python, two in UTF-16). slack_sdk 3.48's models know table, markdown,
context_actions and feedback_buttons, but check none of the table's limits.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from slack_sdk.models.blocks import (Block, ContextActionsBlock, FeedbackButtonsElement, RawTextObject,
                                     RichTextBlock, TableBlock, TableBlockColumnSettings)

from bot.channels.slack.blocks import plain_text, render, units
from bot.channels.slack.charts import asked_for, chart_png, chart_title, chartable
from bot.channels.slack.listeners.actions import answer_from_json
from bot.core.answer import Answer
from bot.core.assistant import Assistant
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.playbook.embeddings import HashingEmbedder
from bot.playbook.index import PlaybookIndex
from bot.playbook.service import Playbook
from tests.paths import KNOWLEDGE

AS_OF = date(2026, 11, 20)
MANAGER = "UM1"  # Mona: manager of Alice (UR1) and Bob (UR2)


# ---------------------------------------------------------------- the validator

def check(text: str, blocks: list[dict], private_note: bool = True) -> None:
    """Fail unless Slack would take this message: slack_sdk's models, then the documented limits.
    `private_note`: room is kept for the context block deliver puts above a private answer."""
    _models(blocks)
    problems = _limits(text, blocks, extra_blocks=1 if private_note else 0)
    assert not problems, "\n".join(problems)


def _models(blocks: list[dict]) -> None:
    """Every block through slack_sdk's models (to_dict validates recursively); an unknown block type
    fails, and so does a field the models drop (one Slack does not know)."""
    for block in blocks:
        model = Block.parse(block)
        assert model is not None, f"slack_sdk does not know {block['type']}"
        dropped = _paths(block) - _paths(model.to_dict())
        assert not dropped, f"fields slack_sdk does not know in {block['type']}: {sorted(dropped)}"
        if isinstance(model, TableBlock):  # the model keeps rows as given: check each cell
            for row in model.rows:
                for cell in row:
                    model_cell = RawTextObject(text=cell["text"]) if cell["type"] == "raw_text" else RichTextBlock(**cell)
                    model_cell.to_dict()
            for settings in model.column_settings or []:
                TableBlockColumnSettings(**settings).to_dict()
        if isinstance(model, ContextActionsBlock):
            assert all(isinstance(e, FeedbackButtonsElement) for e in model.elements)


def _paths(node, prefix: str = "") -> set[str]:
    """The field paths of a JSON object ('text.type', 'elements.positive_button.value')."""
    if isinstance(node, dict):
        return {p for k, v in node.items() for p in {f"{prefix}{k}"} | _paths(v, f"{prefix}{k}.")}
    if isinstance(node, list):
        return {p for v in node for p in _paths(v, prefix)}
    return set()


def _limits(text: str, blocks: list[dict], extra_blocks: int = 0) -> list[str]:
    bad: list[str] = []

    def most(what: str, value: str | None, limit: int, least: int = 0) -> None:
        n = units(value or "")
        if not least <= n <= limit:
            bad.append(f"{what}: {n} characters (allowed {least}–{limit})")

    most("message text", text, 40_000, 1)
    if len(blocks) + extra_blocks > 50:
        bad.append(f"{len(blocks)} blocks (+{extra_blocks}) > 50")
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    action_ids: list[str] = []
    if len(set(block_ids)) < len(block_ids):
        bad.append(f"block ids repeat: {block_ids}")
    for bid in block_ids:
        most("block_id", bid, 255, 1)
    tables = [b for b in blocks if b["type"] == "table"]
    if len(tables) > 1:
        bad.append(f"{len(tables)} tables in one message (Slack allows one)")
    markdown = sum(units(b["text"]) for b in blocks if b["type"] == "markdown")
    if markdown > 12_000:
        bad.append(f"markdown blocks hold {markdown} characters > 12,000")
    for i, block in enumerate(blocks):
        kind = block["type"]
        if kind == "section":
            most(f"[{i}] section text", block["text"]["text"], 3000, 1)
            _escaped(bad, i, block["text"])
        elif kind == "context":
            if not 1 <= len(block["elements"]) <= 10:
                bad.append(f"[{i}] context has {len(block['elements'])} elements")
            for element in block["elements"]:
                most(f"[{i}] context text", element["text"], 3000, 1)
                _escaped(bad, i, element)
        elif kind == "actions":
            if not 1 <= len(block["elements"]) <= 25:
                bad.append(f"[{i}] actions has {len(block['elements'])} elements")
            for button in block["elements"]:
                action_ids.append(button["action_id"])
                _button(most, f"[{i}] button", button)
        elif kind == "context_actions":
            if not 1 <= len(block["elements"]) <= 5:
                bad.append(f"[{i}] context_actions has {len(block['elements'])} elements")
            for element in block["elements"]:
                action_ids.append(element["action_id"])
                for side in ("positive_button", "negative_button"):
                    _button(most, f"[{i}] {side}", element[side])
        elif kind == "table":
            _table(bad, i, block)
        elif kind == "header":
            most(f"[{i}] header", block["text"]["text"], 150, 1)
        elif kind != "markdown":
            bad.append(f"[{i}] unexpected block type {kind}")
    for aid in action_ids:
        most("action_id", aid, 255, 1)
    if len(set(action_ids)) < len(action_ids):
        bad.append(f"action ids repeat: {action_ids}")
    return bad


def _button(most, what: str, button: dict) -> None:
    most(f"{what} text", button["text"]["text"], 75, 1)
    most(f"{what} value", button.get("value"), 2000)
    most(f"{what} accessibility_label", button.get("accessibility_label"), 75)


def _table(bad: list[str], i: int, block: dict) -> None:
    rows = block["rows"]
    if not 1 <= len(rows) <= 100:
        bad.append(f"[{i}] table has {len(rows)} rows (1–100)")
    widths = {len(r) for r in rows}
    if len(widths) != 1 or not 1 <= max(widths) <= 20:
        bad.append(f"[{i}] table rows have {sorted(widths)} cells (equal, 1–20)")
    if len(block.get("column_settings") or []) > 20:
        bad.append(f"[{i}] {len(block['column_settings'])} column settings > 20")
    for settings in block.get("column_settings") or []:
        if settings.get("align", "left") not in ("left", "center", "right"):
            bad.append(f"[{i}] column align {settings['align']}")
    text = [c["text"] for r in rows for c in r if c["type"] == "raw_text"]
    if any(units(x) < 1 for x in text):
        bad.append(f"[{i}] an empty raw_text cell")
    if sum(units(x) for x in text) > 10_000:
        bad.append(f"[{i}] table cells hold {sum(units(x) for x in text)} characters > 10,000")


def _escaped(bad: list[str], i: int, text_object: dict) -> None:
    """mrkdwn from a question, a document or the data never carries Slack's markup (<…>, a bare &)."""
    text = text_object["text"]
    if text_object["type"] == "mrkdwn" and (re.search(r"[<>]", text) or re.search(r"&(?!amp;|lt;|gt;)", text)):
        bad.append(f"[{i}] unescaped mrkdwn: {text[:80]!r}")


def table_of(blocks: list[dict]) -> list[list[str]]:
    tables = [b for b in blocks if b["type"] == "table"]
    assert len(tables) == 1
    return [[c["text"] for c in row] for row in tables[0]["rows"]]


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
    assert [b["type"] for b in blocks] == ["section"]


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
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert "• *DACH*: 66.7%\n• *Nordics*: 66.7%" in sections
    second = next(i for i, s in enumerate(sections) if s.startswith("*Win rate"))
    assert sections[second + 1].startswith("• *DACH*")  # each part's rows under its own headline


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


def test_table_cells_are_literal_and_mrkdwn_is_escaped():
    rows = [{"region": "<!channel> UK & Ireland", "value": 1.0}, {"region": "Nordics", "value": 2.0},
            {"region": "DACH", "value": 3.0}]
    part = Answer(question="q", kind="kpi", text="Revenue for <@U1> by region: 6.", summary="Revenue <@U1>: 6.",
                  metric="revenue", unit="currency", currency="EUR", group_by=["region"], rows=rows)
    text, blocks = render(part)
    check(text, blocks)
    assert table_of(blocks)[1][0] == "<!channel> UK & Ireland"  # raw_text: Slack shows it as it is
    assert "&lt;@U1&gt;" in json.dumps(blocks) and "&lt;@U1&gt;" in text
    both = Answer(question="q", kind="kpi", text="two", parts=[part, part])
    text, blocks = render(both)
    check(text, blocks)
    lines = json.dumps(blocks, ensure_ascii=False)  # the second part's rows, as lines
    assert "• *&lt;!channel&gt; UK &amp; Ireland*: EUR 1" in lines
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
    again = answer_from_json(json.loads(json.dumps(answer.to_json())))
    assert chart_title(again) == "Revenue for region UK & Ireland, last quarter, by region"  # never &amp;
    png = chart_png(again)
    assert png and png[:8] == b"\x89PNG\r\n\x1a\n"
    two = answer_from_json(ask(assistant, "revenue and win rate by region last quarter").to_json())
    assert len(two.parts) == 2 and not chartable(two)
    by_month = answer_from_json(ask(assistant, "revenue by month this year").to_json())
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
    ]
    for blocks in bad:
        with pytest.raises((AssertionError, Exception)):
            check("text", blocks)
    check("text", [section] * 49)
