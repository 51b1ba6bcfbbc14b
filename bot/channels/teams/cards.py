"""Answers and digests as Adaptive Cards 1.5 (what Teams renders), with a plain-text fallback.

An answer card: the headline (bold for a KPI), the model's narration if any, the KPI's facts as a
FactSet, its rows as a `Table` (1.5: names, never ids; numbers right-aligned), every part of a
question of several parts in order, the sources it cites, the notes, and buttons: the follow-up
questions and 👍/👎. Buttons are `Action.Execute` (Universal Actions) with an `Action.Submit`
fallback carrying the same data, for Teams clients without Universal Actions; the bot reads either
(bot/channels/teams/bot.py, `question_of`).

Literal text. A TextBlock renders a subset of Markdown, so text from a question, a document, the
data or a model could make a link (`[x](http://…)`), bold or a list. `plain` escapes Markdown's
characters: everything is shown as written. Teams' limit for a message is about 28 KB: rows are
cut (with a note) until the card fits.
"""

from __future__ import annotations

import json
import re

from bot.core import table
from bot.core.answer import Answer
from bot.core.fmt import answer_unit, format_value
from bot.core.i18n import t
from bot.digest.model import Digest
from bot.digest.render import FIGURE_ROWS, SHOWN, figure_text, words

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"  # an attachment that is an Adaptive Card
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
MAX_BYTES = 27_000  # Teams takes about 28 KB a message: the card, its text and the envelope
MAX_ROWS = 40
MAX_FOLLOWUPS = 3
FALLBACK_CHARS = 4_000  # the card's text for clients without cards: part of the same ~28 KB
MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")
LIST_START = re.compile(r"^(\s*)(-|\d+\.)(\s)", re.MULTILINE)  # "- " or "1. " would start a list


def plain(text: str) -> str:
    """Text shown as written: Markdown's characters escaped, and a line's leading "- " or "1. "
    (which MARKDOWN leaves alone) made literal too."""
    text = MARKDOWN.sub(r"\\\1", text or "")
    return LIST_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1] + m.group(3), text)


def _text(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": plain(text), "wrap": True, **style}


def _action(title: str, verb: str, data: dict, tooltip: str | None = None) -> dict:
    """A button: Action.Execute, and Action.Submit with the same data where Execute is unknown."""
    data = {"verb": verb, **data}
    extra = {"tooltip": tooltip} if tooltip else {}
    return {"type": "Action.Execute", "title": title[:40], "verb": verb, "data": data, **extra,
            "fallback": {"type": "Action.Submit", "title": title[:40], "data": data, **extra}}


def _card(body: list[dict], actions: list[dict], lang: str, fallback: str) -> dict:
    """`fallback`: the whole message as (already escaped) text, for clients that cannot show the card."""
    card = {"$schema": SCHEMA, "type": "AdaptiveCard", "version": VERSION, "lang": lang, "body": body,
            "fallbackText": fallback[:FALLBACK_CHARS]}
    if actions:
        card["actions"] = actions
    return card


# ---------------------------------------------------------------- answers

def answer_card(answer: Answer) -> dict:
    """The answer as one card, within Teams' size."""
    shown = MAX_ROWS
    while True:
        card = _card(_answer_body(answer, shown), _answer_actions(answer), answer.lang, answer_text(answer))
        if len(json.dumps(card, ensure_ascii=False).encode()) <= MAX_BYTES or shown <= 5:
            return card
        shown //= 2


def _answer_body(answer: Answer, shown: int) -> list[dict]:
    body: list[dict] = []
    for part in answer.parts or [answer]:
        body += _part(part, shown)
    if answer.citations:
        body.append(_text(t("slack_sources", answer.lang), weight="Bolder", separator=True))
        body += [_text(line, size="Small") for line in table.sources(answer)]
    body += [_text(note, size="Small", isSubtle=True) for note in answer.notes]
    return body


def _part(answer: Answer, shown: int) -> list[dict]:
    head = answer.summary if answer.rows and answer.summary else answer.text
    blocks = [_text(head, weight="Bolder" if answer.kind == "kpi" else "Default")]
    if answer.narration:  # model-written, numbers checked (bot/llm/narrate.py)
        blocks.append(_text(answer.narration, isSubtle=True))
    facts = _facts(answer)
    if facts:
        blocks.append({"type": "FactSet", "facts": facts})
    grid = table.grid(answer)
    if grid is not None:
        heads, rows, _, right = grid
        blocks.append(_table(heads, rows[:shown], right))
        if len(rows) > shown:
            blocks.append(_text(t("slack_rows_trimmed", answer.lang, shown=shown, total=len(rows)), size="Small",
                                isSubtle=True))
    return blocks


def _facts(answer: Answer) -> list[dict]:
    """A KPI's value, period and, for attainment, target, gap and pace: as the answer words them."""
    if answer.kind != "kpi" or answer.value is None or answer.group_by:
        return []
    lang, unit = answer.lang, answer_unit(answer)
    facts = [(table.metric_word(answer), format_value(answer.value, unit, answer.currency, lang))]
    if answer.period:
        facts.append((table.capital(t("col_period", lang)), f"{answer.period['start']} – {answer.period['end']}"))
    for name in ("target", "gap"):
        value = getattr(answer, name)
        if value is not None:
            facts.append((table.capital(t(f"col_{name}", lang)), format_value(value, "currency", answer.currency, lang)))
    if answer.pace is not None:
        facts.append((table.capital(t("col_pace", lang)), format_value(answer.pace, "ratio", None, lang)))
    return [{"title": plain(k), "value": plain(v)} for k, v in facts]


def _table(heads: list[str], rows: list[list[str]], right: set[int]) -> dict:
    def cell(text: str, bold: bool = False) -> dict:
        return {"type": "TableCell", "items": [_text(text, **({"weight": "Bolder"} if bold else {}))]}

    columns = [{"width": 1, **({"horizontalCellContentAlignment": "Right"} if i in right else {})}
               for i in range(len(heads))]
    return {"type": "Table", "columns": columns, "firstRowAsHeader": True, "gridStyle": "accent",
            "rows": [{"type": "TableRow", "cells": [cell(h, True) for h in heads]},
                     *({"type": "TableRow", "cells": [cell(c) for c in r]} for r in rows)]}


def _answer_actions(answer: Answer) -> list[dict]:
    if answer.kind == "error":
        return []
    lang = answer.lang
    followups = [_action(q, "followup", {"question": q[:1000]}) for q in answer.followups[:MAX_FOLLOWUPS]]
    about = {"question": answer.question[:500], "lang": lang}  # kept with the vote, as Slack keeps it by message
    return followups + [_action("👍", "feedback", {"value": "up", **about}, t("feedback_good", lang)),
                        _action("👎", "feedback", {"value": "down", **about}, t("feedback_bad", lang))]


def answer_text(answer: Answer) -> str:
    """The answer as text alone (notifications, clients without cards), shown as written."""
    lines: list[str] = []
    for part in answer.parts or [answer]:
        grid = table.grid(part)
        lines.append(part.text if grid is None or part.kind == "deals" else part.summary or part.text)
        if part.narration:
            lines.append(part.narration)
        if grid is not None and part.kind != "deals":
            heads, rows, labels, _ = grid
            lines += [" · ".join(row) for row in rows[:MAX_ROWS]]
    if answer.citations:
        lines.append(t("slack_sources", answer.lang) + ": " + "; ".join(table.sources(answer)))
    lines += answer.notes
    return "\n\n".join(plain(x) for x in lines if x)


# ---------------------------------------------------------------- digests

def digest_card(digest: Digest, fiscal_year_start_month: int = 1) -> dict:
    """The morning digest: title, three things to know, the figures, then changes, risks and deals
    closing this week (the first few of each, and how many more)."""
    lang = digest.lang
    w = words(digest, SHOWN, fiscal_year_start_month)
    body = [_text(w.title, size="Large", weight="Bolder")]
    if w.late:
        body.append(_text(w.late, isSubtle=True))
    if w.highlights:  # model-written, numbers checked (bot/llm/narrate.py)
        body.append(_text(w.highlights.title, weight="Bolder"))
        body += [_text("• " + line) for line in w.highlights.lines]
    body.append({"type": "FactSet", "facts": [
        {"title": plain(t(f"digest_ui_fig_{name}", lang)), "value": plain(figure_text(digest, name))}
        for name in FIGURE_ROWS]})
    if w.quiet:
        body.append(_text(w.quiet))
    for section in w.sections:
        body.append(_text(section.title, weight="Bolder", separator=True))
        if section.summary:
            body.append(_text(section.summary, size="Small", isSubtle=True))
        body += [_text("• " + line) for line in section.lines]
        if section.more:
            body.append(_text(t("digest_more", lang, n=section.more), size="Small", isSubtle=True))
    return _card(body, [], lang, digest_text(digest, fiscal_year_start_month))


def digest_text(digest: Digest, fiscal_year_start_month: int = 1) -> str:
    """The digest as text alone: its title and figures (the card holds the rest)."""
    w = words(digest, SHOWN, fiscal_year_start_month)
    return plain(w.title) + "\n\n" + plain(w.figures)
