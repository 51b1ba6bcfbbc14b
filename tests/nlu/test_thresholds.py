"""A breakdown's rows kept by their value ("reps below 50% attainment"): the rows are exactly
those of the whole breakdown past the line, counted against all of them, in either language."""

from __future__ import annotations

import operator

import pytest

from bot.core.conversation import Conversation
from tests.nlu.conftest import AS_OF

OPS = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


@pytest.mark.parametrize("question,whole", [
    ("which reps are below 50% attainment this quarter", "quota attainment by rep this quarter"),
    ("reps with pipeline over 1m", "pipeline by rep"),
    ("regions with a win rate under 30% last quarter", "win rate by region last quarter"),
    ("vilka säljare har över 30 % win rate i år", "win rate per säljare i år"),
])
def test_the_rows_past_the_line_and_no_others(ask, question, whole):
    answer, every = ask(question), ask(whole)
    line = answer.threshold
    keep = OPS[line["op"]]
    assert every.kind == answer.kind == "kpi" and every.threshold is None
    key = every.group_by[0]
    expected = {r[key]: r["value"] for r in every.rows if r["value"] is not None and keep(r["value"], line["value"])}
    got = {r[key]: r["value"] for r in answer.rows}
    assert got == pytest.approx(expected) and 0 < len(got) < len(every.rows), answer.text
    values = list(got.values())  # the furthest past the line first
    assert values == sorted(values, reverse=line["op"] in ("gt", "ge"))
    assert answer.value == pytest.approx(every.value)  # the overall figure is the whole breakdown's
    of = {"en": "of", "da": "af", "sv": "av"}[answer.lang]
    assert f"{len(got)} {of} {len(every.rows)}:" in answer.text


def test_no_row_past_the_line_says_so(ask):
    answer = ask("regions with a win rate over 90% last quarter")
    assert answer.rows == [] and answer.threshold == {"op": "gt", "value": 0.9}
    assert "over 90.0%" in answer.text and "None of the 4." in answer.text


def test_a_follow_up_keeps_the_line_for_the_same_kpi(demo_assistant):
    convo = Conversation()
    first = demo_assistant.ask("which reps are below 50% attainment this quarter", conversation=convo, as_of=AS_OF)
    again = demo_assistant.ask("and last quarter?", conversation=convo, as_of=AS_OF)
    assert again.threshold == first.threshold == {"op": "lt", "value": 0.5}
    assert again.period["start"] == "2026-07-01" and all(r["value"] < 0.5 for r in again.rows)
    other = demo_assistant.ask("and win rate?", conversation=convo, as_of=AS_OF)
    assert other.metric == "win_rate" and other.threshold is None


def test_a_line_asked_after_a_breakdown(demo_assistant):
    # "hvem ligger under 50%?" after attainment by rep got the help text
    convo = Conversation()
    every = demo_assistant.ask("quota attainment by rep last quarter", conversation=convo, as_of=AS_OF)
    below = demo_assistant.ask("hvem ligger under 50%?", conversation=convo, as_of=AS_OF)
    assert below.kind == "kpi" and below.threshold == {"op": "lt", "value": 0.5} and below.lang == "da"
    expected = {r["owner"] for r in every.rows if r["value"] is not None and r["value"] < 0.5}
    assert expected and {r["owner"] for r in below.rows} == expected


def test_a_follow_up_of_a_word_or_two_keeps_the_conversations_language(demo_assistant):
    # "bottom 3" after an English question was answered in Swedish
    convo = Conversation()
    demo_assistant.ask("revenue by rep in DACH this year", conversation=convo, as_of=AS_OF)
    bottom = demo_assistant.ask("bottom 3", conversation=convo, as_of=AS_OF)
    assert bottom.lang == "en" and len(bottom.rows) == 3 and bottom.text.startswith("Revenue for region DACH")


def test_who_has_least_after_a_breakdown(demo_assistant):
    # "vem har minst?" after a breakdown by rep got a playbook quote ("Inte minst bland marknadschefer")
    convo = Conversation()
    every = demo_assistant.ask("vinstandel per säljare i år", conversation=convo, as_of=AS_OF)
    least = demo_assistant.ask("vem har minst?", conversation=convo, as_of=AS_OF)
    lowest = min((r for r in every.rows if r["value"] is not None), key=lambda r: r["value"])
    assert least.kind == "kpi" and [r["owner"] for r in least.rows] == [lowest["owner"]] and not least.unused
