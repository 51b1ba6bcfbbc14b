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

import base64
import io
import json
import re

from PIL import Image

from bot.core import table
from bot.core.answer import Answer
from bot.core.charts import asked_for, chart_png, chart_title, chartable
from bot.core.fmt import answer_unit, format_value
from bot.core.i18n import t
from bot.digest.model import Digest
from bot.digest.render import FIGURE_ROWS, SHOWN, day_name, figure_text, settings_parts, words
from bot.digest.subscriptions import WEEKDAYS, Subscription

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
    if chartable(answer) and not asked_for(answer):  # asked for: the chart comes with the answer
        followups.append(_action(t("chart_button", lang), "chart", {"lang": lang}, t("chart_button_label", lang)))
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

def digest_card(digest: Digest, fiscal_year_start_month: int = 1, sub: Subscription | None = None) -> dict:
    """The morning digest: title, three things to know, the figures, then changes, risks and deals
    closing this week (the first few of each, each with "Ask about this deal" and "Mute this deal",
    and how many more), and the recipient's settings (`sub`) behind "Change time"."""
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
        for line, entry in zip(section.lines, section.entries):
            body.append(_text("• " + line))
            oid = str(entry.get("opportunity_id") or "")
            if oid:
                about = {"deal": oid[:200], "lang": lang}
                body.append({"type": "ActionSet", "actions": [_action(t("digest_ui_ask", lang), "digest_ask", about),
                                                               _action(t("digest_ui_mute", lang), "digest_mute", about)]})
        if section.more:
            body.append(_text(t("digest_more", lang, n=section.more), size="Small", isSubtle=True))
    actions = [_settings_action(sub, lang)] if sub is not None else []
    return _card(body, actions, lang, digest_text(digest, fiscal_year_start_month))


def settings_card(sub: Subscription, zone: str, lang: str, said: str | None = None) -> dict:
    """The person's digest settings ("digest" in the personal chat, as Slack's App Home section):
    what they are, and buttons to subscribe or unsubscribe, change the time, days and muted deals,
    and preview today's digest. `said`: what the last command did, above them."""
    status = "".join(v if kind == "text" else f"#{v}" for kind, v in settings_parts(sub, zone, lang))
    body = ([_text(said)] if said else []) + [_text(t("digest_ui_settings_title", lang), weight="Bolder"),
                                              _text(status)]
    toggle = "digest_ui_unsubscribe" if sub.active else "digest_ui_subscribe"
    actions = [_action(t(toggle, lang), "digest_subscribe", {"on": not sub.active, "lang": lang}),
               _settings_action(sub, lang), _action(t("digest_ui_preview", lang), "digest_preview", {"lang": lang})]
    return _card(body, actions, lang, plain("\n\n".join(([said] if said else []) + [status])))


def _settings_action(sub: Subscription, lang: str) -> dict:
    """"Change time": the time, the days and the muted deals (untick to bring one back) as inputs
    under the digest, saved by one button."""
    chosen = ",".join(d for d in sub.days.split(",") if d in WEEKDAYS)
    form = {"type": "AdaptiveCard", "body": [
        {"type": "Input.Time", "id": "time", "label": plain(t("digest_ui_time_label", lang)), "value": sub.local_time,
         "isRequired": True, "errorMessage": plain(t("digest_ui_pick_time", lang))},
        {"type": "Input.ChoiceSet", "id": "days", "label": plain(t("digest_ui_days_label", lang)), "isMultiSelect": True,
         "style": "expanded", "value": chosen, "isRequired": True, "errorMessage": plain(t("digest_ui_no_days", lang)),
         "choices": [{"title": plain(day_name(i, lang)), "value": WEEKDAYS[i]} for i in range(7)]},
        *([{"type": "Input.ChoiceSet", "id": "muted", "label": plain(t("teams_digest_muted_label", lang)),
            "isMultiSelect": True, "style": "expanded", "value": ",".join(sub.muted),
            "choices": [{"title": plain(oid), "value": oid} for oid in sub.muted]}] if sub.muted else []),
        _text(t("digest_ui_modal_hint", lang), size="Small", isSubtle=True)],
        "actions": [_action(t("digest_ui_save", lang), "digest_settings", {"lang": lang, "listed": ",".join(sub.muted)})]}
    return {"type": "Action.ShowCard", "title": t("digest_ui_change_time", lang)[:40], "card": form}


def digest_text(digest: Digest, fiscal_year_start_month: int = 1) -> str:
    """The digest as text alone: its title and figures (the card holds the rest)."""
    w = words(digest, SHOWN, fiscal_year_start_month)
    return plain(w.title) + "\n\n" + plain(w.figures)


# ---------------------------------------------------------------- charts

def chart_message(answer: Answer) -> dict | None:
    """The answer's chart as an inline image (a PNG as a data URI: nothing to host), with its
    title as the message's text; None when there is nothing to chart or it would not fit a message.
    The PNG is cut to a 32-colour palette: a chart of flat colours stays sharp at a third the size."""
    png = chart_png(answer)
    if png is None:
        return None
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=32)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    data = base64.b64encode(out.getvalue()).decode()
    if len(data) > MAX_BYTES:
        return None
    return {"text": plain(chart_title(answer)), "attachment": {"contentType": "image/png", "name": "chart.png",
                                                               "contentUrl": f"data:image/png;base64,{data}"}}
