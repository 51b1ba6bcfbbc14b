"""Answers and digests as Adaptive Cards: every card validates against Microsoft's Adaptive Cards 1.5
JSON schema (tests/fixtures/teams/adaptive-card-1.5.json), fits Teams' message size, and shows
the numbers exactly as the answer words them (the small store's, worked out in tests/conftest.py)."""

from __future__ import annotations

import json
import re
from datetime import date

import jsonschema
import pytest

from bot.channels.teams.cards import MAX_BYTES, answer_card, answer_text, digest_card, plain
from bot.core.answer import Answer
from bot.digest.content import DigestBuilder
from bot.digest.model import Recipient
from bot.digest.render import words
from bot.digest.subscriptions import Subscription
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from tests.conftest import AS_OF
from tests.paths import FIXTURES

SCHEMA = json.loads((FIXTURES / "teams" / "adaptive-card-1.5.json").read_text())
VALIDATOR = jsonschema.Draft6Validator(SCHEMA)  # the schema says draft-06


def valid(card: dict) -> dict:
    errors = [e.message[:200] for e in VALIDATOR.iter_errors(card)]
    assert errors == [], errors
    assert len(json.dumps(card, ensure_ascii=False).encode()) <= MAX_BYTES
    return card


def shown(card: object) -> str:
    """Every text of the card as Teams shows it (Markdown escapes removed)."""
    if isinstance(card, dict):
        return " ".join(shown(v) for v in card.values())
    if isinstance(card, list):
        return " ".join(shown(v) for v in card)
    return re.sub(r"\\(.)", r"\1", str(card))


QUESTIONS = [  # (asker, question, what the card must show)
    ("UX1", "revenue last quarter", ["EUR 2,530"]),
    ("UX1", "omsætning sidste kvartal", ["2.530 €"]),
    ("UX1", "intäkter förra kvartalet", ["2\u00a0530 €"]),
    ("UX1", "revenue by region last quarter", ["Nordics", "EUR 2,340", "DACH", "EUR 190"]),
    ("UX1", "revenue Nordics vs DACH last quarter", ["EUR 2,340", "EUR 190"]),
    ("UR1", "my revenue last quarter", ["EUR 2,340", "Alice Berg"]),
    ("UX1", "show lost deals in Q3", ["Bob Lund", "Carl Weber"]),
    ("UX1", "revenue and deals won last quarter", ["EUR 2,530"]),
    ("UX1", "flurbo rate", []),
    ("UR1", "Carl Weber's revenue last quarter", []),
    ("UX1", "what is commercial operations?", ["[1]"]),
    ("UR1", "quota attainment last quarter", []),
]


@pytest.mark.parametrize("user, question, expected", QUESTIONS, ids=[q for _, q, _ in QUESTIONS])
def test_every_answer_is_a_valid_card_with_its_numbers_and_buttons(assistant, user, question, expected):
    answer = assistant.ask(question, user=user, as_of=AS_OF)
    card = valid(answer_card(answer))
    text = shown(card)
    for figure in expected:
        assert figure in text, (figure, answer.text)
    assert "r1" not in [c["items"][0]["text"] for t in _tables(card) for row in t["rows"] for c in row["cells"]]
    actions = card.get("actions", [])
    assert [a["data"]["value"] for a in actions if a["verb"] == "feedback"] == ["up", "down"]
    for a in actions:  # Universal Actions, and the same data for clients without them
        assert a["type"] == "Action.Execute" and a["fallback"]["type"] == "Action.Submit"
        assert a["fallback"]["data"] == a["data"]
    assert [a["data"]["question"] for a in actions if a["verb"] == "followup"] == answer.followups[:3]
    assert answer_text(answer)


def _tables(card: dict) -> list[dict]:
    return [b for b in card["body"] if b["type"] == "Table"]


def test_a_breakdown_is_a_table_with_names_and_right_aligned_numbers(assistant):
    card = answer_card(assistant.ask("revenue by owner last quarter", user="UX1", as_of=AS_OF))
    (grid,) = _tables(valid(card))
    header, *rows = grid["rows"]
    names = [r["cells"][0]["items"][0]["text"] for r in rows]
    assert set(names) <= {"Alice Berg", "Bob Lund", "Carl Weber", "Dora Gone"} and names
    assert grid["columns"][-1]["horizontalCellContentAlignment"] == "Right" and grid["firstRowAsHeader"]


def test_text_from_documents_data_or_a_model_is_shown_as_written():
    evil = "[click](http://evil.example) **bold** <at>everyone</at>\n- not a list\n1. nor this"
    answer = Answer(question="q", kind="playbook", text=evil, notes=[evil], narration=evil,
                    citations=[{"title": "[x](http://e)", "section": "*s*", "lang": "en", "source": "s", "text": "",
                                "link": "knowledge/x"}])
    card = valid(answer_card(answer))
    blocks = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert blocks[0] == plain(evil)
    assert "\\[click\\]\\(http://evil.example\\)" in blocks[0] and "\\*\\*bold\\*\\*" in blocks[0]
    assert "\\<at\\>" in blocks[0] and "\n\\- not a list" in blocks[0] and "\n1\\. nor this" in blocks[0]
    assert all("](http" not in b for b in blocks)  # no Markdown link survives anywhere
    assert "](http" not in answer_text(answer)


def test_a_huge_breakdown_is_cut_to_fit_with_a_note():
    rows = [{"account": f"a{i}", "account_name": f"Account number {i} with a long name", "value": 1000.0 + i}
            for i in range(400)]
    answer = Answer(question="q", kind="kpi", text="Revenue by account: EUR 1 overall.", metric="revenue",
                    currency="EUR", unit="currency", value=1.0, group_by=["account"], rows=rows)
    card = valid(answer_card(answer))
    (grid,) = _tables(card)
    assert 5 <= len(grid["rows"]) - 1 < 400
    assert any("400" in b.get("text", "") for b in card["body"])  # says how many there were


def test_the_validator_refuses_a_broken_card(assistant):
    card = answer_card(assistant.ask("revenue by region last quarter", user="UX1", as_of=AS_OF))
    broken = json.loads(json.dumps(card))
    _tables(broken)[0]["columns"] = "three"
    assert list(VALIDATOR.iter_errors(broken))
    broken = json.loads(json.dumps(card))
    broken["actions"][0]["type"] = "Action.Run"
    assert list(VALIDATOR.iter_errors(broken))


@pytest.mark.parametrize("lang, figure", [("en", "EUR"), ("da", "€"), ("sv", "€")])
def test_a_managers_digest_is_a_valid_card_with_its_figures(small_store_dir, lang, figure):
    engine = Engine(load_store(small_store_dir))
    day = date(2026, 11, 20)
    (digest,) = DigestBuilder(engine).build([Recipient("m1", day, date(2026, 11, 19), lang)])
    sub = Subscription(rep_id="m1", local_time="07:30", days="mon,wed,fri", muted=("o1",))
    card = valid(digest_card(digest, sub=sub))
    facts = next(b for b in card["body"] if b["type"] == "FactSet")["facts"]
    assert len(facts) == 7 and any(figure in f["value"] for f in facts)
    assert card["body"][0]["text"] == plain(digest_words_title(digest))
    # every deal shown has its two buttons, carrying the deal's id (the digest's own entries)
    shown_ids = [e["opportunity_id"] for s in words(digest).sections for e in s.entries]
    sets = [b["actions"] for b in card["body"] if b["type"] == "ActionSet"]
    assert shown_ids and [a[0]["data"]["deal"] for a in sets] == shown_ids
    assert {(a[0]["verb"], a[1]["verb"]) for a in sets} == {("digest_ask", "digest_mute")}
    assert all(a[0]["fallback"]["type"] == "Action.Submit" for a in sets)
    (settings,) = card["actions"]  # "Change time": the person's own time and days, ready to change
    inputs = {i["id"]: i for i in settings["card"]["body"] if i["type"].startswith("Input.")}
    assert settings["type"] == "Action.ShowCard" and inputs["time"]["value"] == "07:30"
    assert inputs["days"]["value"] == "mon,wed,fri" and len(inputs["days"]["choices"]) == 7
    assert inputs["muted"]["value"] == "o1" and settings["card"]["actions"][0]["data"]["listed"] == "o1"


def digest_words_title(digest) -> str:
    return words(digest).title


def test_attainments_target_and_gap_are_in_the_stores_currency(small_engine):
    """A store kept in SEK: the attainment card's target and gap say SEK (the ratio itself has no
    currency, the money beside it has the store's)."""
    from bot.core.answer import kpi_answer
    from bot.metrics.engine import KpiResult

    catalog = small_engine.catalog
    result = KpiResult(catalog.kpis["quota_attainment"], 0.5, None, {}, [],
                       target={"revenue": 500_000.0, "target": 1_000_000.0, "gap": 500_000.0, "pace": 0.5,
                               "currency": "SEK"})
    answer = kpi_answer(result, "quota attainment", catalog)
    facts = {f["title"]: f["value"] for f in valid(answer_card(answer))["body"][1]["facts"]}
    assert answer.currency == "SEK" and facts["Target"] == "SEK 1,000,000" and facts["Left to target"] == "SEK 500,000"
