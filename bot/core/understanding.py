"""The understanding step: a question and the conversation so far → one typed reading.

    KpiQuestion   one KPI over a period and a scope          ("win rate by region last quarter")
    DealList      deals as items                             ("my biggest deal closing this month")
    Comparison    one KPI on two or more sides               ("revenue this quarter vs last quarter")
    Parts         several KPIs in one question, in order     ("pipeline and win rate this quarter")
    Help          help, small talk, or a question for the playbook
    Clarify       what to ask back: no KPI, a period that does not exist, words not understood

Each carries the parse it came from (`Parsed`: the words it used and those it did not, in
`used` and `unused`). The offline parser fills these types today; a language model that
reads the long tail must return the same ones, so nothing after this step changes with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from bot.core.conversation import Conversation
from bot.metrics.periods import Calendar
from bot.nlu.compare import COMPARE_WITH, SAME_AGO, YEAR_AGO_WORDS, Comparison, combine, split_sides
from bot.nlu.parser import Parsed, Parser
from bot.nlu.text import MAX_CHARS
from bot.nlu.values import ValueIndex


@dataclass
class KpiQuestion:
    parsed: Parsed


@dataclass
class DealList:
    parsed: Parsed


@dataclass
class Parts:
    parsed: Parsed
    parts: list[KpiQuestion]


@dataclass
class Help:
    parsed: Parsed


@dataclass
class Clarify:
    parsed: Parsed
    reason: str  # "metric" (which KPI?), "period" (no such period), "unknown" (words not understood)


Understanding = KpiQuestion | DealList | Comparison | Parts | Help | Clarify
YearBefore = Callable[[Parsed, Calendar], str]  # the same period a year earlier, as an expression


def understand(parser: Parser, question: str, values: ValueIndex, cal: Calendar, convo: Conversation | None,
               year_before: YearBefore) -> Understanding:
    comparison = _comparison(parser, question, values, cal, convo, year_before)
    if comparison is not None:
        return comparison
    parsed = parser.parse(question, values, cal)
    if convo is not None:
        parsed = convo.merge(parsed)
    return classify(parsed)


def classify(parsed: Parsed) -> Understanding:
    """The type of a parsed question (what answers it: numbers, a list, help, or a question back)."""
    if parsed.kind == "deals":
        if parsed.period_error:
            return Clarify(parsed, "period")
        return Clarify(parsed, "unknown") if parsed.unknown else DealList(parsed)
    if parsed.kind == "help" or (parsed.metric is None and not parsed.suggestions and not parsed.has_slots):
        return Help(parsed)
    if parsed.metric is None:
        return Clarify(parsed, "metric")
    if parsed.period_error:
        return Clarify(parsed, "period")
    if parsed.unknown:
        return Clarify(parsed, "unknown")
    if parsed.more_metrics:
        return Parts(parsed, [KpiQuestion(replace(parsed, metric=m, more_metrics=[]))
                              for m in [parsed.metric, *parsed.more_metrics]])
    return KpiQuestion(parsed)


def _comparison(parser: Parser, question: str, values: ValueIndex, cal: Calendar, convo: Conversation | None,
                year_before: YearBefore) -> Comparison | None:
    """'X vs Y', or 'compare with last year' after a KPI answer: the sides, each a whole question."""
    follow = COMPARE_WITH.match(question[:MAX_CHARS])
    if follow and convo is not None and convo.last is not None and convo.last.kind == "kpi":
        other = parser.parse(follow.group("rest"), values, cal)
        if YEAR_AGO_WORDS.match(follow.group("rest").strip(" ?.!")):
            other = replace(other, period=year_before(convo.last, cal), kind="kpi")
        return combine(question, [replace(convo.last, question=question), other])
    texts = split_sides(question[:MAX_CHARS])
    if texts is None:
        return None
    sides = [parser.parse(text, values, cal) for text in texts]
    if any(side.kind == "deals" for side in sides):  # "my deals over 100k vs …" is not one KPI on two sides
        return None
    for i, text in enumerate(texts[1:], 1):  # "… jämfört med samma kvartal förra året"
        if SAME_AGO.match(text) and sides[0].metric:
            sides[i] = replace(sides[i], period=year_before(sides[0], cal))
    comparison = combine(question, sides)
    if comparison is not None:  # the language of the whole question, not of its first half
        comparison.lang = parser.parse(question, values, cal).lang
    return comparison
