"""The digest in words, in the recipient's language: the lines every face shows.

`lines` gives the pieces (title, figures, one line per entry) that the Slack blocks and the
plain text share; `digest_text` joins them for the CLI, notifications and Teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date, get_day_names

from bot.core.i18n import LOCALE, money, number, percent, t
from bot.digest.model import Digest
from bot.digest.subscriptions import WEEKDAYS, Subscription
from bot.metrics.periods import Calendar

SHOWN = 5  # entries shown per section before "… and N more"
# The model-written highlights' title (CCOBOT_NARRATE; bot/llm/narrate.py); kept here with the
# section it names rather than in bot/core/i18n.py's shared messages.
HIGHLIGHTS_TITLE = {"en": "Three things to know today", "da": "Tre ting at vide i dag",
                    "sv": "Tre saker att veta i dag"}
# What a manager reads first among the changes: money won and lost, then what slipped (out of the
# quarter first), what went backwards; new deals last (many a day, each small news).
PRIORITY = ("won", "lost", "pushed", "stage_back", "amount_down", "pulled", "amount_up", "stage_forward", "new")


@dataclass
class Section:
    title: str
    lines: list[str]
    more: int = 0  # entries not shown
    entries: list[dict] = field(default_factory=list)  # those shown, in the order of `lines`
    summary: str | None = None  # how many of each kind, when there are more than are shown


@dataclass
class DigestWords:
    title: str
    figures: str
    late: str | None
    sections: list[Section] = field(default_factory=list)
    quiet: str | None = None
    highlights: Section | None = None  # three things to know today, when the model wrote them


def day(d, lang: str) -> str:
    return format_date(d, "d MMM y" if lang == "en" else "d. MMM y" if lang == "da" else "d MMM y",
                       locale=LOCALE[lang])


def words(d: Digest, shown: int = SHOWN, fiscal_year_start_month: int = 1) -> DigestWords:
    lang = d.lang
    out = DigestWords(title=t("digest_title", lang, name=d.name, date=day(d.date, lang)),
                      figures=figures_line(d, fiscal_year_start_month),
                      late=t("digest_late", lang) if d.late else None)
    if d.highlights:
        out.highlights = Section(HIGHLIGHTS_TITLE.get(lang, HIGHLIGHTS_TITLE["en"]), list(d.highlights))
    if d.quiet:
        out.quiet = t("digest_quiet", lang)
    else:
        window = day(d.window[0], lang) if d.window[0] == d.window[1] else \
            f"{day(d.window[0], lang)} – {day(d.window[1], lang)}"
        if d.changes:
            section = _section(t("digest_changes", lang, window=window), by_priority(d.changes), change_line, lang,
                               shown)
            section.summary = change_summary(d.changes, lang) if section.more else None
            out.sections.append(section)
        if d.risk_total:
            out.sections.append(_section(t("digest_risks", lang), d.risks, risk_line, lang, shown, d.risk_total))
    closing = _section(t("digest_closing", lang), d.closing_this_week, closing_line, lang, shown)
    if closing.lines:
        out.sections.append(closing)
    return out


def _section(title: str, entries: list[dict], line, lang: str, shown: int, total: int | None = None) -> Section:
    """The first `shown` entries, and how many of `total` (default: all the entries) are not shown."""
    return Section(title, [line(e, lang) for e in entries[:shown]],
                   max((len(entries) if total is None else total) - shown, 0), entries[:shown])


def by_priority(changes: list[dict]) -> list[dict]:
    """Changes in reading order (PRIORITY; pushes out of the quarter first); the content's order
    (largest amount first) within a kind is kept."""
    return sorted(changes, key=lambda e: (PRIORITY.index(e["change"]), not e.get("out_of_quarter")))


def change_summary(changes: list[dict], lang: str) -> str:
    """"Won 2 · Lost 3 · Close date pushed 5 (2 out of the quarter) · New 64"."""
    counts = {kind: 0 for kind in PRIORITY}
    out_of_quarter = 0
    for e in changes:
        counts[e["change"]] += 1
        out_of_quarter += bool(e.get("out_of_quarter"))
    parts = []
    for kind, n in counts.items():
        if n:
            extra = f" ({number(out_of_quarter, lang)} {t('change_out_of_quarter', lang)})" \
                if kind == "pushed" and out_of_quarter else ""
            parts.append(f"{t('change_' + kind, lang)} {number(n, lang)}{extra}")
    return " · ".join(parts)


def figures_line(d: Digest, fiscal_year_start_month: int = 1) -> str:
    lang, f, cur = d.lang, d.figures, d.currency
    quarter = Calendar(d.date, fiscal_year_start_month).quarter_label(d.period[0])
    text = t("digest_figures", lang, quarter=quarter, scope=t(f"digest_scope_{d.scope}", lang),
             pipeline=money(f["pipeline"], cur, lang), weighted=money(f["weighted_pipeline"], cur, lang),
             bookings=money(f["bookings_qtd"], cur, lang))
    if f["target_quarter"] is None:
        return text + t("digest_no_target", lang) + "."
    text += t("digest_against", lang, target=money(f["target_quarter"], cur, lang),
              attainment=percent(f["attainment"], lang) if f["attainment"] is not None else "–",
              pace=percent(f["pace"], lang))
    if f["coverage"] is not None:
        text += t("digest_coverage", lang, coverage=number(f["coverage"], lang, 1))
    return text + "."


def _deal(e: dict) -> str:
    name = e.get("name") or e["opportunity_id"]
    return f"{name} ({e['owner']})" if e.get("owner") else name


def change_line(e: dict, lang: str) -> str:
    kind = e["change"]
    head = f"{t('change_' + kind, lang)}: {_deal(e)}"
    if kind in ("new", "won", "lost"):
        amount = money(e["amount"], e["currency"], lang) if e.get("amount") is not None else t("no_amount", lang)
        return f"{head}, {amount}" + (f", {day_iso(e['close_date'], lang)}" if e.get("close_date") else "")
    if kind.startswith("stage"):
        return f"{head}, {e['from']} → {e['to']}"
    if kind in ("pushed", "pulled"):
        crossed = " (" + t("change_out_of_quarter", lang) + ")" if e["out_of_quarter"] else \
            " (" + t("change_into_quarter", lang) + ")" if e["into_quarter"] else ""
        return f"{head}, {day_iso(e['from'], lang)} → {day_iso(e['to'], lang)}{crossed}"
    return f"{head}, {money(e['from'], e['currency'], lang)} → {money(e['to'], e['currency'], lang)}"


def risk_line(e: dict, lang: str) -> str:
    reasons = ", ".join(t(f"risk_{r}", lang) for r in e["reasons"])
    return f"{_deal(e)}: {reasons}" + _amount_close(e, lang)


def closing_line(e: dict, lang: str) -> str:
    return f"{_deal(e)}, {e['stage'] or '–'}" + _amount_close(e, lang)


def _amount_close(e: dict, lang: str) -> str:
    amount = money(e["amount"], e["currency"], lang) if e.get("amount") is not None else t("no_amount", lang)
    close = day_iso(e["close_date"], lang) if e.get("close_date") else t("no_close_date", lang)
    return f" — {amount}, {close}"


def day_iso(text: str, lang: str) -> str:
    return day(date.fromisoformat(text), lang)


def digest_text(d: Digest, fiscal_year_start_month: int = 1) -> str:
    w = words(d, fiscal_year_start_month=fiscal_year_start_month)
    parts = [w.title, *([w.late] if w.late else [])]
    if w.highlights:  # near the top: what to read first, before the figures they speak of
        parts.append("\n".join([w.highlights.title + ":"] + [f"• {line}" for line in w.highlights.lines]))
    parts.append(w.figures)
    if w.quiet:
        parts.append(w.quiet)
    for s in w.sections:
        block = [s.title + ":"] + ([s.summary] if s.summary else []) + [f"• {line}" for line in s.lines]
        if s.more:
            block.append(t("digest_more", d.lang, n=number(s.more, d.lang)))
        parts.append("\n".join(block))
    return "\n\n".join(parts)


FIGURE_ROWS = ("pipeline", "weighted_pipeline", "bookings_qtd", "target_quarter", "attainment", "pace", "coverage")


def figure_text(digest: Digest, name: str) -> str:
    """One figure as the digest shows it: money, a percentage, coverage as "3.2×"; "–" for none."""
    value = digest.figures.get(name)
    if value is None:
        return "–"
    lang = digest.lang
    if name in ("attainment", "pace"):
        return percent(value, lang)
    if name == "coverage":
        return number(value, lang, 1) + "×"
    return money(value, digest.currency, lang)


def days_text(days: str, lang: str) -> str:
    """"mon,tue,wed,thu,fri" → "Monday–Friday"; "mon,wed,fri" → "Monday, Wednesday, Friday"."""
    names = get_day_names("wide", locale=LOCALE[lang])
    picked = sorted(WEEKDAYS.index(d) for d in days.split(",") if d in WEEKDAYS)
    if not picked:
        return "–"
    runs: list[list[int]] = []
    for i in picked:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}–{names[run[-1]]}")
        else:
            parts += [names[i] for i in run]
    return ", ".join(parts)


def day_name(i: int, lang: str) -> str:
    """The weekday's name, capitalised ("Monday", "Mandag", "Måndag"): a settings choice."""
    name = get_day_names("wide", locale=LOCALE[lang])[i]
    return name[:1].upper() + name[1:]


def settings_parts(sub: Subscription, zone: str, lang: str) -> list[tuple[str, str]]:
    """The person's settings as pieces: ("text", words) and ("channel", id), so that each face
    shows the channel its own way (Slack's command reply and Home tab as a link)."""
    state = t("digest_ui_on" if sub.active else "digest_ui_off", lang)
    head = t("digest_ui_status", lang, state=state, time=sub.local_time, zone=zone, days=days_text(sub.days, lang))
    quiet = t("digest_ui_quiet_sent" if sub.quiet_days else "digest_ui_quiet_skipped", lang)
    tail = t("digest_ui_status_tail", lang, quiet=quiet)
    if sub.muted:
        tail += t("digest_ui_muted_count", lang, n=number(len(sub.muted), lang))
    if sub.channel:
        before, _, after = t("digest_ui_where_channel", lang, channel="\x00").partition("\x00")
        return [("text", f"{head} {before}"), ("channel", sub.channel), ("text", f"{after}. {tail}")]
    return [("text", f"{head} {t('digest_ui_where_dm', lang)}. {tail}")]
