"""Slack's Block Kit as Slack checks it: slack_sdk's block models and the documented limits
(docs.slack.dev). The fake Web API checks every payload with it and answers invalid_blocks, as
Slack does, and tests/slack/test_blocks.py checks rendered answers.

Limits checked here that the models do not know: 50 blocks a message, 3,000 characters of
mrkdwn a section or context element, 10 elements a context block, 25 an actions block, 5 a
context_actions block, button and feedback-button text 75 / value 2,000 / accessibility label
75, action_id and block_id 255 (unique in the message), one table a message with at most 100
rows of at most 20 cells and 10,000 characters of cell text, markdown blocks 12,000 characters
in all, the message text 40,000. Lengths are UTF-16 code units, the stricter count ("👍" is one
character in Python, two in UTF-16). slack_sdk 3.48's models know table, markdown,
context_actions and feedback_buttons, but check none of the table's limits.

rich_text: the Rich text block reference names rich_text_section, rich_text_list (style bullet or
ordered, its items rich_text_section), rich_text_quote and rich_text_preformatted, and the rich text
elements inside them; a `text` element's style is a set of booleans. slack_sdk's models parse each
of these but keep an unknown one as nothing, so the types are checked here too. The reference gives
no length for a text element or a block: the checker keeps the renderer's cap, the 3,000 characters
of a section or text object, for each text element and for a block's text in all. Rich text is shown
literally (no mrkdwn parsing), so the "unescaped mrkdwn" check is for mrkdwn text objects only.
"""

from __future__ import annotations

import re

from slack_sdk.models.blocks import (Block, ContextActionsBlock, FeedbackButtonsElement, RawTextObject,
                                     RichTextBlock, TableBlock, TableBlockColumnSettings)

from bot.channels.slack.blocks import units


def problems(text: str, blocks: list[dict], extra_blocks: int = 0) -> list[str]:
    """What Slack would refuse in this message: slack_sdk's models, then the documented limits
    (`extra_blocks`: room to keep for blocks added later)."""
    try:
        _models(blocks)
    except (AssertionError, Exception) as exc:  # noqa: BLE001 (a model's refusal is a finding)
        return [f"block models: {exc}"]
    return _limits(text, blocks, extra_blocks)


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
        elif kind == "rich_text":
            _rich_text(bad, i, block)
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


RICH_PARTS = {"rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted"}
RICH_ELEMENTS = {"text", "link", "emoji", "user", "usergroup", "channel", "broadcast", "date", "color", "team"}
RICH_STYLES = {"bold", "italic", "strike", "code", "underline", "highlight", "client_highlight", "unlink"}
RICH_CHARS = 3000  # a text element, and a block's text in all (the section's limit; the reference gives none)


def _rich_text(bad: list[str], i: int, block: dict) -> None:
    """A rich_text block's structure and text lengths (slack_sdk parsed it; see the module's notes)."""
    parts = block.get("elements") or []
    if not parts:
        bad.append(f"[{i}] rich_text has no elements")
    total = 0
    for part in parts:
        kind = part.get("type")
        if kind not in RICH_PARTS:
            bad.append(f"[{i}] rich_text holds {kind}")
            continue
        if kind == "rich_text_list":
            if part.get("style") not in ("bullet", "ordered"):
                bad.append(f"[{i}] rich_text_list style {part.get('style')!r}")
            if not part.get("elements") or any(e.get("type") != "rich_text_section" for e in part["elements"]):
                bad.append(f"[{i}] rich_text_list items must be rich_text_section (at least one)")
            inline = [e for item in part.get("elements") or [] for e in item.get("elements") or []]
        else:
            inline = part.get("elements") or []
        if not inline:
            bad.append(f"[{i}] an empty {kind}")
        for element in inline:
            if element.get("type") not in RICH_ELEMENTS:
                bad.append(f"[{i}] {kind} holds {element.get('type')}")
                continue
            style = element.get("style") or {}
            if not set(style) <= RICH_STYLES or not all(isinstance(v, bool) for v in style.values()):
                bad.append(f"[{i}] text style {style}")
            if element["type"] == "text":
                n = units(element.get("text") or "")
                total += n
                if not 1 <= n <= RICH_CHARS:
                    bad.append(f"[{i}] rich text element: {n} characters (allowed 1–{RICH_CHARS})")
    if total > RICH_CHARS:
        bad.append(f"[{i}] rich_text holds {total} characters of text > {RICH_CHARS}")


def _escaped(bad: list[str], i: int, text_object: dict) -> None:
    """mrkdwn from a question, a document or the data never carries Slack's markup (<…>, a bare &)."""
    text = text_object["text"]
    if text_object["type"] == "mrkdwn" and (re.search(r"[<>]", text) or re.search(r"&(?!amp;|lt;|gt;)", text)):
        bad.append(f"[{i}] unescaped mrkdwn: {text[:80]!r}")
