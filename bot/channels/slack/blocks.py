"""Answers as Block Kit, within Slack's limits, with everything escaped.

Slack treats <…> in text as links and mentions (<!channel>, <@U…>, <https://x|label>), so
every piece of text that comes from a question, a document or the data is escaped before
it is posted: a question or a passage can never make the bot ping a channel or show a
fake link.
"""

from __future__ import annotations

import json

from bot.core.answer import Answer
from bot.core.fmt import answer_unit, compare_cells, deal_cells, format_value, row_label
from bot.core.i18n import dimension_word
from bot.playbook.answer import place

MAX_BLOCKS = 50
SECTION_CHARS = 3000
BUTTON_CHARS = 75
MAX_FOLLOWUPS = 3
MAX_ROWS = 40
TRIMMED = {"en": "(trimmed to fit Slack)", "da": "(forkortet for at passe i Slack)", "sv": "(förkortat för Slack)"}
ROWS_TRIMMED = {"en": "Showing the first {shown} of {total} rows (trimmed to fit Slack); ask for a top N to narrow it.",
                "da": "Viser de første {shown} af {total} rækker (forkortet for at passe i Slack); spørg efter top N.",
                "sv": "Visar de första {shown} av {total} raderna (förkortat för Slack); fråga efter topp N."}
SOURCES = {"en": "Sources", "da": "Kilder", "sv": "Källor"}


def escape(text: str) -> str:
    """Slack's three control characters, so <!channel>, <@U1> and <url|label> stay plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(answer: Answer) -> tuple[str, list[dict]]:
    """The plain-text fallback and the blocks for an answer."""
    blocks: list[dict] = []
    for part in answer.parts or [answer]:
        blocks += _body(part)
    if answer.citations:
        lines = [f"[{n}] {place(c['title'], c['section'])} ({c['lang']})" for n, c in enumerate(answer.citations, 1)]
        blocks += _sections(f"*{SOURCES.get(answer.lang, 'Sources')}*\n" + "\n".join(escape(x) for x in lines),
                            raw=True)
    notes = [escape(n)[:2000] for n in answer.notes][:10]
    if notes:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": n} for n in notes]})
    blocks.append(_buttons(answer))
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[:MAX_BLOCKS - 2] + [_context(TRIMMED.get(answer.lang, TRIMMED["en"])), blocks[-1]]
    return escape(answer.text)[:SECTION_CHARS], blocks


def _body(answer: Answer) -> list[dict]:
    """One answer's headline and its table (a breakdown, a list of deals, the sides of a comparison)."""
    head = answer.summary if answer.rows and answer.summary else answer.text
    blocks = _sections(head, bold=answer.kind == "kpi")
    if answer.kind == "deals" and answer.rows:
        blocks += _sections(_aligned(*deal_cells(answer.rows[:MAX_ROWS], answer.lang)), code=True)
    elif answer.kind == "compare" and answer.rows:
        blocks += _sections(_aligned(*compare_cells(answer)), code=True)
    elif answer.rows:
        blocks += _sections(_table(answer, answer.rows[:MAX_ROWS]), code=True)
        if len(answer.rows) > MAX_ROWS:
            lang = answer.lang if answer.lang in ROWS_TRIMMED else "en"
            blocks.append(_context(ROWS_TRIMMED[lang].format(shown=MAX_ROWS, total=len(answer.rows))))
    return blocks


def _sections(text: str, bold: bool = False, code: bool = False, raw: bool = False) -> list[dict]:
    """Section blocks of at most 3,000 characters each (split on lines, never failing)."""
    body = text if raw else escape(text)
    limit = SECTION_CHARS - 10
    chunks, current = [], ""
    for line in body.split("\n"):
        while len(line) > limit:
            chunks.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) + 1 > limit:
            chunks.append(current)
            current = ""
        current += ("\n" if current else "") + line
    if current:
        chunks.append(current)
    wrap = (lambda c: f"```{c}```") if code else ((lambda c: f"*{c}*") if bold and len(chunks) == 1 else (lambda c: c))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": wrap(c)}} for c in chunks]


def _table(answer: Answer, shown: list[dict]) -> str:
    """A breakdown as an aligned text table (every Slack client shows a code block the same way)."""
    heads = [dimension_word(d, answer.lang) for d in answer.group_by] + [answer.metric or ""]
    rows = [row_label(r, answer.group_by, answer.lang).split(" / ")
            + [format_value(r["value"], answer_unit(answer), answer.currency, answer.lang)] for r in shown]
    return _aligned(heads, rows)


def _aligned(heads: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(heads, *rows)]
    fmt = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([fmt(heads)] + [fmt(r) for r in rows])


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(text)}]}


def _buttons(answer: Answer) -> dict:
    """Follow-up questions as buttons, then 👍 / 👎."""
    elements = []
    for i, question in enumerate(answer.followups[:MAX_FOLLOWUPS]):
        label = question if len(question) <= BUTTON_CHARS else question[:BUTTON_CHARS - 1] + "…"
        elements.append({"type": "button", "action_id": f"followup_{i}", "text": {"type": "plain_text", "text": label},
                         "value": question[:2000]})
    meta = json.dumps({"q": answer.question[:1500], "kind": answer.kind})
    elements.append({"type": "button", "action_id": "feedback_up", "text": {"type": "plain_text", "text": "👍"},
                     "value": meta})
    elements.append({"type": "button", "action_id": "feedback_down", "text": {"type": "plain_text", "text": "👎"},
                     "value": meta})
    return {"type": "actions", "block_id": "ccobot_actions", "elements": elements}
