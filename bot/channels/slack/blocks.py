"""Answers as Block Kit, within Slack's limits, with everything escaped.

Which blocks, and why (docs.slack.dev, Block Kit reference):
- Text is `section` mrkdwn, split at 3,000 characters. The `markdown` block takes standard
  Markdown instead, shares one 12,000-character budget across a message, and may turn into
  several blocks once Slack translates it, so the 50-block count could not be kept; Slack's
  escaping rules (&amp; &lt; &gt;) are written for mrkdwn.
- Breakdowns, deal lists and comparisons are a `table` block: a header row, then one row per
  group, deal or side; numbers right-aligned through `column_settings`. Slack allows one table
  per message (100 rows with the header, 20 cells a row, 10,000 characters of cell text), so
  the second table of a multi-part answer is a list of lines instead.
- 👍/👎 are a `context_actions` block with a `feedback_buttons` element whose values are just
  "up" and "down": the listener finds the question by the message (state.posted_answer).
- Follow-up questions and Chart are `actions` buttons.

Slack treats <…> in mrkdwn as links and mentions (<!channel>, <@U…>, <https://x|label>), so every
piece of mrkdwn that comes from a question, a document or the data is escaped before it is posted:
a question or a passage can never make the bot ping a channel or show a fake link. Table cells
are `raw_text`, which Slack shows literally (no links, no mentions), so they carry the data as it is.

Lengths are counted in UTF-16 code units, the stricter count: "👍" is one character in Python and
two in UTF-16, so a limit kept in UTF-16 is kept however Slack counts.
"""

from __future__ import annotations

import re

from bot.channels.slack.charts import chartable
from bot.core.answer import Answer
from bot.core.fmt import answer_unit, deal_cells, format_value, kpi_name
from bot.core.i18n import country_name, dimension_word, t
from bot.metrics.catalog import load_catalog
from bot.playbook.answer import place

MAX_BLOCKS = 50
BLOCKS = MAX_BLOCKS - 1  # one left for the note deliver puts above an answer only the asker sees
SECTION_CHARS = 3000
CONTEXT_ELEMENTS = 10
BUTTON_CHARS = 75
VALUE_CHARS = 2000
FOLLOWUP_VALUE_CHARS = 1000  # a follow-up's value is its question: well under Slack's 2,000
MAX_FOLLOWUPS = 3
TEXT_CHARS = 3000  # the notification text beside the blocks
PLAIN_CHARS = 40_000  # a message's text without blocks (Slack truncates beyond)
MAX_ROWS = 40  # rows a reader takes in on a phone; more are named in a note
TABLE_ROWS = 100  # Slack: rows of a table, the header row included
TABLE_COLUMNS = 20  # Slack: cells in a row
TABLE_CHARS = 10_000  # Slack: cell text of the table in one message
CELL_CHARS = 200
TRIMMED = {"en": "(trimmed to fit Slack)", "da": "(forkortet for at passe i Slack)", "sv": "(förkortat för Slack)"}
ROWS_TRIMMED = {"en": "Showing the first {shown} of {total} rows (trimmed to fit Slack); ask for a top N to narrow it.",
                "da": "Viser de første {shown} af {total} rækker (forkortet for at passe i Slack); spørg efter top N.",
                "sv": "Visar de första {shown} av {total} raderna (förkortat för Slack); fråga efter topp N."}
SOURCES = {"en": "Sources", "da": "Kilder", "sv": "Källor"}


def escape(text: str) -> str:
    """Slack's three control characters, so <!channel>, <@U1> and <url|label> stay plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def units(text: str) -> int:
    """A length as UTF-16 code units (the stricter count: an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, mark: str = "…") -> str:
    """`text` within `limit` units, ending in `mark` when shortened; never half an emoji or an
    entity (&amp;)."""
    if units(text) <= limit:
        return text
    room, out, n = limit - units(mark), [], 0
    for ch in text:
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > room:
            break
        out.append(ch)
    return re.sub(r"&(?:a|am|amp|l|lt|g|gt)?$", "", "".join(out)) + mark


# ---------------------------------------------------------------- Block Kit

def render(answer: Answer) -> tuple[str, list[dict]]:
    """The notification text and the blocks for an answer."""
    body: list[dict] = []
    table_free = True
    for part in answer.parts or [answer]:
        blocks, table_free = _body(part, table_free)
        body += blocks
    if answer.citations:
        body += _sections(f"*{_word(SOURCES, answer.lang)}*\n" + escape("\n".join(_sources(answer))), raw=True)
    notes = [cut(escape(n), SECTION_CHARS) for n in answer.notes][:CONTEXT_ELEMENTS]
    if notes:
        body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": n} for n in notes]})
    tail = _actions(answer) + ([_feedback(answer)] if answer.kind != "error" else [])
    room = BLOCKS - len(tail)
    if len(body) > room:
        body = body[:room - 1] + [_context(_word(TRIMMED, answer.lang))]
    return cut(escape(answer.text), TEXT_CHARS), body + tail


def _body(answer: Answer, table_free: bool) -> tuple[list[dict], bool]:
    """One answer's headline, then its rows: the message's table while it has none, else lines."""
    head = answer.summary if answer.rows and answer.summary else answer.text
    blocks = _sections(head, bold=answer.kind == "kpi")
    grid = _grid(answer)
    if grid is None:
        return blocks, table_free
    heads, rows, labels, right = grid
    if table_free:
        table, shown = _table(heads, rows, right)
        blocks.append(table)
    else:
        lines = [_line(cells, labels) for cells in rows[:MAX_ROWS]]
        blocks += _sections("\n".join(lines), raw=True)
        shown = len(lines)
    if shown < len(rows):
        blocks.append(_context(_word(ROWS_TRIMMED, answer.lang).format(shown=shown, total=len(rows))))
    return blocks, False


def _table(heads: list[str], rows: list[list[str]], right: set[int]) -> tuple[dict, int]:
    """A `table` block: the header row, then as many rows as Slack's limits and a phone allow."""
    width = min(len(heads), TABLE_COLUMNS)
    out = [[_cell(h) for h in heads[:width]]]
    budget = TABLE_CHARS - sum(units(c["text"]) for c in out[0])
    for cells in rows[:min(MAX_ROWS, TABLE_ROWS - 1)]:
        row = [_cell(c) for c in cells[:width]]
        budget -= sum(units(c["text"]) for c in row)
        if budget < 0:
            break
        out.append(row)
    settings = [{"align": "right"} if i in right else {"align": "left", "is_wrapped": True} for i in range(width)]
    return {"type": "table", "block_id": "ccobot_table", "column_settings": settings, "rows": out}, len(out) - 1


def _cell(text: str) -> dict:
    """A raw_text cell (shown literally by Slack; at least one character)."""
    return {"type": "raw_text", "text": cut(str(text).strip() or "–", CELL_CHARS)}


def _line(cells: list[str], labels: int) -> str:
    """A row as one mrkdwn line, for a table a message has no room for: '• *Nordics*: EUR 2,340'."""
    return f"• *{escape(' / '.join(cells[:labels]))}*: " + escape(" · ".join(cells[labels:]))


def _sections(text: str, bold: bool = False, raw: bool = False) -> list[dict]:
    """Section blocks of at most 3,000 characters each (split on lines, never failing)."""
    body = text if raw else escape(text)
    chunks = _chunks(body, SECTION_CHARS - 10)
    wrap = (lambda c: f"*{c}*") if bold and len(chunks) == 1 and "\n" not in chunks[0] else (lambda c: c)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": wrap(c)}} for c in chunks]


def _chunks(text: str, limit: int) -> list[str]:
    chunks, current = [], ""
    for line in text.split("\n"):
        while units(line) > limit:
            head = cut(line, limit, "")
            chunks.append(head)
            line = line[len(head):]
        if current and units(current) + units(line) + 1 > limit:
            chunks.append(current)
            current = ""
        current += ("\n" if current else "") + line
    if current.strip():
        chunks.append(current)
    return chunks or ["–"]


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(escape(text), SECTION_CHARS)}]}


def _actions(answer: Answer) -> list[dict]:
    """Follow-up questions as buttons (the value is the question), and Chart where one can be drawn."""
    elements = []
    for i, question in enumerate(answer.followups[:MAX_FOLLOWUPS]):
        elements.append({"type": "button", "action_id": f"followup_{i}",
                         "text": {"type": "plain_text", "text": cut(question, BUTTON_CHARS - 1)},
                         "value": cut(question, FOLLOWUP_VALUE_CHARS, "")})
    if chartable(answer):
        elements.append({"type": "button", "action_id": "chart",
                         "text": {"type": "plain_text", "text": t("chart_button", answer.lang)},
                         "accessibility_label": t("chart_button_label", answer.lang), "value": "chart"})
    return [{"type": "actions", "block_id": "ccobot_actions", "elements": elements}] if elements else []


def _feedback(answer: Answer) -> dict:
    """👍/👎 (context_actions + feedback_buttons): short values; the question stays server-side."""
    def button(emoji: str, value: str, label: str) -> dict:
        return {"text": {"type": "plain_text", "text": emoji}, "value": value,
                "accessibility_label": t(label, answer.lang)}

    return {"type": "context_actions", "block_id": "ccobot_feedback",
            "elements": [{"type": "feedback_buttons", "action_id": "feedback",
                          "positive_button": button("👍", "up", "feedback_good"),
                          "negative_button": button("👎", "down", "feedback_bad")}]}


# ---------------------------------------------------------------- the rows, in words

def _grid(answer: Answer) -> tuple[list[str], list[list[str]], int, set[int]] | None:
    """An answer's rows as a table: headers in the answer's language (names, never ids), cells,
    how many leading columns label a row, and which columns hold numbers (right-aligned)."""
    if not answer.rows:
        return None
    lang = answer.lang
    if answer.kind == "deals":
        heads, cells = deal_cells(answer.rows, lang)
        return [_capital(h) for h in heads], cells, 1, {heads.index(t("col_amount", lang))}
    value = lambda r: format_value(r["value"], answer_unit(answer), answer.currency, lang)  # noqa: E731
    if answer.kind == "compare":
        return [_side_word(answer), _metric_word(answer)], [[r["label"], value(r)] for r in answer.rows], 1, {1}
    if answer.kind == "kpi" and answer.group_by:
        dims = answer.group_by
        heads = [_capital(dimension_word(d, lang)) for d in dims] + [_metric_word(answer)]
        return heads, [[_label(r, d, lang) for d in dims] + [value(r)] for r in answer.rows], len(dims), {len(dims)}
    return None


def _label(row: dict, dim: str, lang: str) -> str:
    """A row's name for a dimension: the name the store gives (owner_name, account_name), a
    country's name in the answer's language, else the value itself."""
    label = row.get(f"{dim}_name") or row.get(dim)
    if label is None:
        return t("none_label", lang)
    return country_name(str(label), lang) if dim == "country" else str(label)


def _metric_word(answer: Answer) -> str:
    """The KPI's name in the answer's language, as the catalog gives it."""
    kpi = load_catalog().kpis.get(answer.metric or "")
    return kpi_name(kpi, answer.lang) if kpi else _capital((answer.metric or "").replace("_", " ")) or "–"


def _side_word(answer: Answer) -> str:
    """What a comparison's sides differ in: the period, or the dimensions of their filters."""
    lang = answer.lang
    if len({str(r.get("period")) for r in answer.rows}) > 1:
        return _capital(t("col_period", lang))
    dims = {d for r in answer.rows for d in (r.get("filters") or {})}
    differ = [d for d in sorted(dims) if len({str((r.get("filters") or {}).get(d)) for r in answer.rows}) > 1]
    return _capital(" / ".join(dimension_word(d, lang) for d in differ) or t("col_compared", lang))


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:]


def _word(table: dict[str, str], lang: str) -> str:
    return table.get(lang, table["en"])


def _sources(answer: Answer) -> list[str]:
    return [f"[{n}] {place(c['title'], c['section'])} ({c['lang']})" for n, c in enumerate(answer.citations, 1)]


# ---------------------------------------------------------------- without blocks

def plain_text(answer: Answer) -> str:
    """The whole answer as a message's text alone (for when Slack refuses the blocks): headlines,
    each table as aligned text in a code block, sources, notes and follow-ups, escaped for mrkdwn
    and within Slack's 40,000 characters."""
    lang = answer.lang
    out = []
    for part in answer.parts or [answer]:
        grid = _grid(part)
        if grid is None or part.kind == "deals":  # a list's text names every deal, one a line
            out.append(escape(part.text))
            continue
        heads, rows, _, right = grid
        out.append(escape(part.summary or part.text))
        out.append("```" + escape(_aligned(heads, rows[:MAX_ROWS * 5], right)) + "```")
        if len(rows) > MAX_ROWS * 5:
            out.append(escape(_word(ROWS_TRIMMED, lang).format(shown=MAX_ROWS * 5, total=len(rows))))
    if answer.citations:
        out.append(f"*{_word(SOURCES, lang)}*\n" + escape("\n".join(_sources(answer))))
    out += [escape(f"• {n}") for n in answer.notes]
    if answer.followups:
        out.append(escape("→ " + " · ".join(answer.followups[:MAX_FOLLOWUPS])))
    return cut("\n\n".join(x for x in out if x), PLAIN_CHARS)


def _aligned(heads: list[str], rows: list[list[str]], right: set[int]) -> str:
    """Columns padded to a common width (numbers to the right), for a monospace code block."""
    widths = [max(len(str(x)) for x in col) for col in zip(heads, *rows)]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(heads)] + [line(r) for r in rows])
