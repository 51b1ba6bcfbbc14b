"""The morning digest as Block Kit (contracts/digest.md), and the settings surfaces around it.

The message, in the digest's language, with the words of bot/digest/render.py so that the text
and Slack agree:
- a `header` with the title, a `context` line when the digest comes late;
- with CCOBOT_NARRATE, "Three things to know today": its title as bold rich text and the model's
  three checked lines as rich text bullets (literal, like the deal lines);
- the figures as the message's one `table` block (the quarter and scope in its header row, money
  through bot.core.i18n.money, "–" where a figure has no value);
- a section per kind of entry (what changed, needs attention, closing this week): its title as
  bold rich text, each of the first render.SHOWN entries as a rich text bullet followed by an
  `actions` block with "Ask about this deal" (`digest_ask_<n>`) and "Mute this deal"
  (`digest_mute_<n>`), both with the opportunity id as value, then "… and N more";
- the quiet-day line on a quiet day; a last `actions` block with "Change time" (`digest_time`).

Action ids carry a number because Slack's checker in tests/fakes/block_kit.py (stricter than
Slack, which wants them unique per block) wants every action id unique in the message; the
listeners (listeners/actions.py) take `digest_ask` and `digest_ask_<n>` alike.

Deal names and other data go into rich text and table cells (shown literally, never parsed for
mentions or links) or into escaped mrkdwn, as bot/channels/slack/blocks.py does.

The settings surfaces (the `/ccobot digest` replies, the App Home section, the settings modal)
are rendered here too, from a Subscription and words in the person's language.
"""

from __future__ import annotations

import io


from bot.channels.slack.blocks import BUTTON_CHARS, CELL_CHARS, MAX_BLOCKS, RICH_CHARS, SECTION_CHARS, TEXT_CHARS, \
    cut, escape
from bot.core.i18n import money, number, percent, t
from bot.digest.model import Digest
from bot.digest.render import FIGURE_ROWS, SHOWN, day_name, figure_text, settings_parts, words  # its lines: change_line, risk_line, closing_line, figures_line
from bot.digest.subscriptions import WEEKDAYS, Subscription, SubscriptionError, parse_time
from bot.metrics.periods import Calendar

HEADER_CHARS = 150
VALUE_CHARS = 2000  # a button's value
CALLBACK_ID = "digest_settings"  # the settings modal's view_submission
TIME_BLOCK, TIME_ACTION = "digest_time_block", "digest_pick_time"
DAYS_BLOCK, DAYS_ACTION = "digest_days_block", "digest_pick_days"


# ---------------------------------------------------------------- the digest message

def digest_message(digest: Digest, fiscal_year_start_month: int = 1) -> tuple[str, list[dict]]:
    """(notification text, blocks): the title as the notification, the digest as Block Kit."""
    lang = digest.lang
    w = words(digest, SHOWN, fiscal_year_start_month)
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": cut(w.title, HEADER_CHARS)}}]
    if w.late:
        blocks.append(_context(w.late))
    if w.highlights:  # model-written (checked, bot/llm/narrate.py): literal rich text like every line here
        blocks.append(_rich_line(w.highlights.title, bold=True))
        blocks += [_rich_line(line, bullet=True) for line in w.highlights.lines]
    blocks.append(figures_table(digest, fiscal_year_start_month))
    if w.quiet:
        blocks.append(_rich_line(w.quiet))
    tail = [_time_button(lang)]
    n = 0
    for section in w.sections:
        blocks.append(_rich_line(section.title, bold=True))
        if section.summary:
            blocks.append(_context(section.summary))
        for line, entry in zip(section.lines, section.entries):
            blocks.append(_rich_line(line, bullet=True))
            buttons = _deal_buttons(entry, n, lang)
            if buttons:
                blocks.append(buttons)
            n += 1
        if section.more:
            blocks.append(_context(t("digest_more", lang, n=number(section.more, lang))))
    if len(blocks) + len(tail) > MAX_BLOCKS:  # not with SHOWN = 5; kept should SHOWN grow
        blocks = blocks[:MAX_BLOCKS - len(tail) - 1] + [_context(t("slack_trimmed", lang))]
    return cut(escape(w.title), TEXT_CHARS), blocks + tail


def figures_table(digest: Digest, fiscal_year_start_month: int = 1) -> dict:
    """The figures as a two-column `table` block: the quarter and scope, then one row a figure."""
    lang = digest.lang
    quarter = Calendar(digest.date, fiscal_year_start_month).quarter_label(digest.period[0])
    head = f"{quarter}, {t(f'digest_scope_{digest.scope}', lang)}"
    rows = [[_cell(head), _cell(t("digest_ui_fig_value", lang))]]
    for name in FIGURE_ROWS:
        rows.append([_cell(t(f"digest_ui_fig_{name}", lang)), _cell(figure_text(digest, name))])
    return {"type": "table", "block_id": "digest_figures",
            "column_settings": [{"align": "left", "is_wrapped": True}, {"align": "right"}], "rows": rows}


def _deal_buttons(entry: dict, n: int, lang: str) -> dict | None:
    oid = str(entry.get("opportunity_id") or "")
    if not oid or len(oid) > VALUE_CHARS:
        return None
    return {"type": "actions", "block_id": f"digest_deal_{n}", "elements": [
        _button(t("digest_ui_ask", lang), f"digest_ask_{n}", oid),
        _button(t("digest_ui_mute", lang), f"digest_mute_{n}", oid)]}


def _time_button(lang: str) -> dict:
    return {"type": "actions", "block_id": "digest_settings_actions",
            "elements": [_button(t("digest_ui_change_time", lang), "digest_time", "time")]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    out = {"type": "button", "action_id": action_id, "value": value,
           "text": {"type": "plain_text", "text": cut(text, BUTTON_CHARS - 1)}}
    return out | ({"style": style} if style else {})


def _rich_line(text: str, bold: bool = False, bullet: bool = False) -> dict:
    """One line of literal text as a rich_text block (a bullet item when `bullet`)."""
    element = {"type": "text", "text": cut(text.strip() or "–", RICH_CHARS)}
    if bold:
        element["style"] = {"bold": True}
    section = {"type": "rich_text_section", "elements": [element]}
    if bullet:
        return {"type": "rich_text", "elements": [{"type": "rich_text_list", "style": "bullet", "elements": [section]}]}
    return {"type": "rich_text", "elements": [section]}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(escape(text), SECTION_CHARS)}]}


def _cell(text: str) -> dict:
    return {"type": "raw_text", "text": cut(str(text).strip() or "–", CELL_CHARS)}


# ---------------------------------------------------------------- the chart

def digest_chart(digest: Digest, fiscal_year_start_month: int = 1) -> bytes | None:
    """PNG: bookings this quarter against the quarter's target, with a line where bookings would
    stand had they come in evenly (target × pace). None without a target."""
    f = digest.figures
    target = f.get("target_quarter")
    if target is None or target <= 0:
        return None
    import matplotlib  # here: drawing is needed only when a digest goes out

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    lang, cur = digest.lang, digest.currency
    booked, pace = f.get("bookings_qtd") or 0.0, f.get("pace") or 0.0
    even = target * pace
    quarter = Calendar(digest.date, fiscal_year_start_month).quarter_label(digest.period[0])
    fig, ax = plt.subplots(figsize=(7, 2.4), dpi=110)
    ax.barh([0], [target], height=0.6, color="#d9e2f3", label=f"{t('digest_ui_chart_target', lang)} "
                                                               f"{money(target, cur, lang)}")
    ax.barh([0], [booked], height=0.3, color="#2e6fd8", label=f"{t('digest_ui_chart_bookings', lang)} "
                                                             f"{money(booked, cur, lang)}")
    ax.axvline(even, color="#d8572e", linestyle="--", linewidth=1.5,
               label=f"{t('digest_ui_chart_pace', lang)} {money(even, cur, lang)} ({percent(pace, lang)})")
    ax.set_yticks([])
    ax.set_xlim(0, max(target, booked, even) * 1.05)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, lang)))
    ax.set_xlabel(cur, fontsize=8)
    ax.set_title(t("digest_ui_chart_title", lang, quarter=quarter, scope=t(f"digest_scope_{digest.scope}", lang)),
                 fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3, fontsize=7, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


# ---------------------------------------------------------------- settings, in words and blocks

def settings_mrkdwn(sub: Subscription, zone: str, lang: str) -> str:
    """The settings as a message's mrkdwn text: words escaped, the channel as <#C…>."""
    return "".join(escape(v) if kind == "text" else f"<#{v}>" for kind, v in settings_parts(sub, zone, lang))


def settings_rich(sub: Subscription, zone: str, lang: str) -> dict:
    """The settings as a rich_text block (the channel as a channel element)."""
    elements = [{"type": "text", "text": v} if kind == "text" else {"type": "channel", "channel_id": v}
                for kind, v in settings_parts(sub, zone, lang) if v]
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}


def home_section(sub: Subscription, zone: str, lang: str) -> list[dict]:
    """The App Home's "Morning digest" section: the settings and what can be done about them."""
    toggle = _button(t("digest_ui_unsubscribe", lang), "digest_unsubscribe", "unsubscribe") if sub.active else \
        _button(t("digest_ui_subscribe", lang), "digest_subscribe", "subscribe", style="primary")
    return [{"type": "header", "text": {"type": "plain_text", "text": t("digest_ui_settings_title", lang)}},
            settings_rich(sub, zone, lang),
            {"type": "actions", "block_id": "digest_home_actions", "elements": [
                toggle, _button(t("digest_ui_change_time", lang), "digest_time", "time"),
                _button(t("digest_ui_preview", lang), "digest_preview", "preview")]},
            _context(t("digest_ui_home_hint", lang))]


def _day_option(i: int, lang: str) -> dict:
    return {"text": {"type": "plain_text", "text": day_name(i, lang)}, "value": WEEKDAYS[i]}


def settings_view(sub: Subscription, lang: str, metadata: str = "", error: str | None = None) -> dict:
    """The settings modal: a time picker and the days as checkboxes (callback_id digest_settings).

    They are section accessories, not `input` blocks: the Block Kit checker the tests run every
    payload through (tests/fakes/block_kit.py) knows no input block. Slack puts their values in
    view.state.values all the same, and sends a block_actions for each change (acked)."""
    chosen = [WEEKDAYS.index(d) for d in sub.days.split(",") if d in WEEKDAYS]
    days = {"type": "checkboxes", "action_id": DAYS_ACTION, "options": [_day_option(i, lang) for i in range(7)]}
    if chosen:
        days["initial_options"] = [_day_option(i, lang) for i in chosen]
    picker = {"type": "timepicker", "action_id": TIME_ACTION, "initial_time": sub.local_time,
              "placeholder": {"type": "plain_text", "text": t("digest_ui_pick_time", lang)}}
    blocks = [
        {"type": "section", "block_id": TIME_BLOCK, "accessory": picker,
         "text": {"type": "mrkdwn", "text": escape(t("digest_ui_time_label", lang))}},
        {"type": "section", "block_id": DAYS_BLOCK, "accessory": days,
         "text": {"type": "mrkdwn", "text": escape(t("digest_ui_days_label", lang))}},
        _context(t("digest_ui_modal_hint", lang)),
    ]
    if error:
        blocks.insert(0, _context(error))
    return {"type": "modal", "callback_id": CALLBACK_ID, "private_metadata": metadata[:3000],
            "title": {"type": "plain_text", "text": t("digest_ui_settings_title", lang)[:24]},
            "submit": {"type": "plain_text", "text": t("digest_ui_save", lang)[:24]},
            "close": {"type": "plain_text", "text": t("digest_ui_cancel", lang)[:24]},
            "blocks": blocks}


def settings_from_state(view: dict) -> tuple[str | None, str | None]:
    """(time "HH:MM", days "mon,…") picked in the modal; None where the view does not say; days
    "" when every box was unticked."""
    values = (view.get("state") or {}).get("values") or {}
    picked_time = (values.get(TIME_BLOCK) or {}).get(TIME_ACTION, {}).get("selected_time")
    try:  # what a client sends is input like any other: only a real time of day is kept
        picked_time = parse_time(picked_time) if picked_time else None
    except SubscriptionError:
        picked_time = None
    box = (values.get(DAYS_BLOCK) or {}).get(DAYS_ACTION)
    days = None
    if box is not None:
        chosen = {o.get("value") for o in box.get("selected_options") or []}
        days = ",".join(d for d in WEEKDAYS if d in chosen)
    return picked_time, days
