"""Answers as Block Kit, within Slack's limits, with no way for a question, a document or the data
to ping anyone or show a fake link.

Which blocks, and why (docs.slack.dev, Block Kit reference):
- Text is `rich_text` (Rich text block): each paragraph a `rich_text_section` of `text` elements,
  lines starting "• " or "- " a `rich_text_list` (style bullet) with one item a line, a KPI's
  headline `text` with style bold. Slack's reference says rich_text "is strongly preferred" to
  mrkdwn for formatted text. The `markdown` block takes standard Markdown instead, shares one
  12,000-character budget across a message, and may turn into several blocks once Slack
  translates it, so the 50-block count could not be kept.
- Breakdowns, deal lists and comparisons are a `table` block: a header row, then one row per
  group, deal or side; numbers right-aligned through `column_settings`. Slack allows one table
  per message (100 rows with the header, 20 cells a row, 10,000 characters of cell text), so
  the second table of a multi-part answer is a bullet list instead (the label bold).
- Notes are `context` mrkdwn (a context block holds text objects, not rich text).
- 👍/👎 are a `context_actions` block with a `feedback_buttons` element whose values are just
  "up" and "down": the listener finds the question by the message (state.posted_answer).
- Follow-up questions and Chart are `actions` buttons.

Literal and escaped text. Slack uses &, < and > as control characters "for special parsing in text
objects" (Formatting message text) — mrkdwn text objects, where <!channel>, <@U…> and
<https://x|label> are a broadcast, a mention and a link. A rich_text `text` element is not a text
object: its `text` is "the text shown to the user" and its style a set of booleans, while mentions
and links are elements of their own (`broadcast`, `user`, `channel`, `link`) that this module never
emits. So text elements, like a table's `raw_text` cells, carry the question, the passage and the
data as they are (escaping them would show "&amp;"), and every piece of mrkdwn (context notes, the
notification `text`, plain_text()) is escaped.

Lengths. The Rich text block reference gives no length for a `text` element or a block (only
block_id's 255), so each rich_text block holds at most SECTION_CHARS (3,000) characters of text, what
a section or text object may hold: a payload is never bigger than the section version was. Longer
text goes on in the next block, split at a line break or a space (inside a word only when a word
alone is longer than a block). Lengths are counted in UTF-16 code units, the stricter count: "👍" is
one character in Python and two in UTF-16, so a limit kept in UTF-16 is kept however Slack counts.
"""

from __future__ import annotations

import re

from bot.core.charts import chartable
from bot.core import table
from bot.core.answer import Answer
from bot.core.i18n import t

MAX_BLOCKS = 50
BLOCKS = MAX_BLOCKS - 1  # one left for the note deliver puts above an answer only the asker sees
SECTION_CHARS = 3000
CONTEXT_ELEMENTS = 10
BUTTON_CHARS = 75
FOLLOWUP_VALUE_CHARS = 1000  # a follow-up's value is its question: well under Slack's 2,000
MAX_FOLLOWUPS = 3
TEXT_CHARS = 3000  # the notification text beside the blocks
PLAIN_CHARS = 40_000  # a message's text without blocks (Slack truncates beyond)
MAX_ROWS = 40  # rows a reader takes in on a phone; more are named in a note
TABLE_ROWS = 100  # Slack: rows of a table, the header row included
TABLE_COLUMNS = 20  # Slack: cells in a row
TABLE_CHARS = 10_000  # Slack: cell text of the table in one message
CELL_CHARS = 200
RICH_CHARS = SECTION_CHARS  # text in one rich_text block (and so in one text element); see above
BULLETS = ("• ", "- ")  # a line starting so is a list item
BOLD = {"bold": True}


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

def render(answer: Answer, with_text: bool = True) -> tuple[str, list[dict]]:
    """The notification text and the blocks for an answer. Without `with_text`, only the blocks
    that follow the text: what chat.stopStream adds below an answer streamed as text (stream.py)."""
    body: list[dict] = []
    table_free = True
    for part in (answer.parts or [answer]) if with_text else []:
        blocks, table_free = _body(part, table_free)
        body += blocks
    if answer.citations:
        cited = [(t("slack_sources", answer.lang), BOLD), ("\n" + "\n".join(table.sources(answer)), None)]
        body += _rich([("section", [cited])])
    notes = [cut(escape(n), SECTION_CHARS) for n in answer.notes][:CONTEXT_ELEMENTS]
    if notes:
        body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": n} for n in notes]})
    tail = _actions(answer) + ([_feedback(answer)] if answer.kind != "error" else [])
    room = BLOCKS - len(tail)
    if len(body) > room:
        body = body[:room - 1] + [_context(t("slack_trimmed", answer.lang))]
    return cut(escape(answer.text), TEXT_CHARS), body + tail


def _body(answer: Answer, table_free: bool) -> tuple[list[dict], bool]:
    """One answer's headline, then its rows: the message's table while it has none, else a list."""
    head = answer.summary if answer.rows and answer.summary else answer.text
    blocks = _rich(_paragraphs(head, BOLD if answer.kind == "kpi" else None))
    if answer.narration:  # model-written, numbers checked (bot/llm/narrate.py): literal, in italics
        blocks += _rich([("section", [[(answer.narration, {"italic": True})]])])
    grid = table.grid(answer)
    if grid is None:
        return blocks, table_free
    heads, rows, labels, right = grid
    if table_free:
        block, shown = _table(heads, rows, right)
        blocks.append(block)
    else:
        items = [_item(cells, labels) for cells in rows[:MAX_ROWS]]
        blocks += _rich([("list", items)])
        shown = len(items)
    if shown < len(rows):
        blocks.append(_context(t("slack_rows_trimmed", answer.lang, shown=shown, total=len(rows))))
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


def _item(cells: list[str], labels: int) -> list[tuple[str, dict | None]]:
    """A row as one list item, for a table a message has no room for: '*Nordics*: EUR 2,340'."""
    return [(" / ".join(cells[:labels]) or "–", BOLD), (": " + " · ".join(cells[labels:]), None)]


# ---------------------------------------------------------------- rich text

Runs = list[tuple[str, dict | None]]  # the pieces of one paragraph or list item: text and style


def _paragraphs(text: str, style: dict | None = None) -> list[tuple[str, list[Runs]]]:
    """Text as rich text's parts: ("section", [runs]) for a paragraph (its lines kept, "\n" between
    them), ("list", [runs per item]) for a run of lines starting "• " or "- ". Nothing is escaped."""
    parts: list[tuple[str, list]] = []
    for line in text.split("\n"):
        if line.startswith(BULLETS):
            item = line[len(BULLETS[0]):].strip()
            if not item:
                continue
            if parts and parts[-1][0] == "list":
                parts[-1][1].append([(item, style)])
            else:
                parts.append(("list", [[(item, style)]]))
        elif parts and parts[-1][0] == "lines":
            parts[-1][1].append(line)
        else:
            parts.append(("lines", [line]))
    out: list[tuple[str, list[Runs]]] = []
    for kind, items in parts:
        if kind == "list":
            out.append((kind, items))
        elif "\n".join(items).strip():
            out.append(("section", [[("\n".join(items).strip("\n"), style)]]))
    return out or [("section", [[("–", style)]])]


def _rich(parts: list[tuple[str, list[Runs]]]) -> list[dict]:
    """`rich_text` blocks holding the parts in order, each block at most RICH_CHARS of text. A
    paragraph or list item that fits in a block is never split: it starts the next block when this
    one has no room for it (a list goes on there in a new rich_text_list). One longer than a block
    fills this block and goes on in the next as a rich_text_section (never a bullet the text did not
    have), split at a line break or space."""
    blocks: list[dict] = []
    elements: list[dict] = []
    room = RICH_CHARS

    def close() -> None:
        nonlocal elements, room
        if elements:
            blocks.append({"type": "rich_text", "elements": elements})
        elements, room = [], RICH_CHARS

    for kind, items in parts:
        list_open = False  # this part's rich_text_list is the last element of the block
        for runs in items:
            need = sum(units(text) for text, _ in runs)
            if elements and room < need <= RICH_CHARS:  # a paragraph or item a block can hold stays whole
                close()
                list_open = False
            target: list[dict] | None = None  # the text elements of the section being written
            started = False
            for text, style in runs:
                while text:
                    head, text = _take(text, room, whole_words=bool(elements))
                    if not head:  # not one word fits in what is left of this block
                        close()
                        list_open, target = False, None
                        continue
                    if target is None:
                        if kind == "list" and not started:
                            if not list_open:
                                elements.append({"type": "rich_text_list", "style": "bullet", "elements": []})
                                list_open = True
                            elements[-1]["elements"].append({"type": "rich_text_section", "elements": []})
                            target = elements[-1]["elements"][-1]["elements"]
                        else:
                            elements.append({"type": "rich_text_section", "elements": []})
                            target = elements[-1]["elements"]
                            list_open = False
                        started = True
                    target.append({"type": "text", "text": head} | ({"style": dict(style)} if style else {}))
                    room -= units(head)
                    if text:  # the rest goes on in the next block
                        close()
                        list_open, target = False, None
    close()
    return blocks


def _take(text: str, limit: int, whole_words: bool) -> tuple[str, str]:
    """The longest head of `text` within `limit` UTF-16 units, and the rest. When `text` is longer,
    the head ends before the last line break or space that fits (the separator dropped); without
    one, the head is "" if `whole_words`, else cut at the limit (a word longer than a block)."""
    if units(text) <= limit:
        return text, ""
    n, end = 0, 0
    for i, ch in enumerate(text):
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > limit:
            end = i
            break
    fits = text[:end + 1]  # a separator just past the limit may end the head too
    line, space = fits.rfind("\n"), max(fits.rfind(" "), fits.rfind("\t"))
    cut_at = line if line > end // 2 else max(line, space)
    if cut_at > 0 and text[:cut_at].strip():
        return text[:cut_at].rstrip(), text[cut_at + 1:].lstrip()
    return ("", text) if whole_words else (text[:end], text[end:])


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


# ---------------------------------------------------------------- without blocks

def plain_text(answer: Answer) -> str:
    """The whole answer as a message's text alone (for when Slack refuses the blocks): headlines,
    each table as aligned text in a code block, sources, notes and follow-ups, escaped for mrkdwn
    and within Slack's 40,000 characters."""
    lang = answer.lang
    out = []
    for part in answer.parts or [answer]:
        grid = table.grid(part)
        if grid is None or part.kind == "deals":  # a list's text names every deal, one a line
            out += [escape(part.text), escape(part.narration)]
            continue
        heads, rows, _, right = grid
        out += [escape(part.summary or part.text), escape(part.narration)]  # "" (no narration) is dropped below
        out.append("```" + escape(_aligned(heads, rows[:MAX_ROWS * 5], right)) + "```")
        if len(rows) > MAX_ROWS * 5:
            out.append(escape(t("slack_rows_trimmed", lang, shown=MAX_ROWS * 5, total=len(rows))))
    if answer.citations:
        out.append(f"*{t('slack_sources', lang)}*\n" + escape("\n".join(table.sources(answer))))
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
