"""KPI results in words, in the asker's language: values, headlines, notes, row labels."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.core.i18n import country_name, dimension_word, money, number, percent, period_label, t
from bot.metrics.catalog import Catalog, Kpi, load_catalog
from bot.metrics.context import Note
from bot.metrics.deals import STALLED_DAYS, DealQuery, DealResult
from bot.metrics.engine import KpiResult
from bot.metrics.periods import Period

UNIT_WORDS = {
    "days": {"en": "days", "da": "dage", "sv": "dagar"},
    "hours": {"en": "hours", "da": "timer", "sv": "timmar"},
    "months": {"en": "months", "da": "måneder", "sv": "månader"},
}


def format_value(value: float | None, unit: str, currency: str | None = None, lang: str = "en") -> str:
    if value is None:
        return t("no_value_word", lang)
    if unit == "currency":
        return money(value, currency or "EUR", lang)
    if unit == "multiple":
        return f"{number(value, lang, 1)}×"
    if unit == "ratio":
        return percent(value, lang)
    if unit == "count":
        return number(value, lang)
    if unit == "score":
        return ("+" if value > 0 else "") + number(value, lang)
    return f"{number(value, lang, 1)} {UNIT_WORDS.get(unit, {}).get(lang, unit)}"


def shown_unit(kpi: Kpi | None, unit: str) -> str:
    """The unit a value is shown in: a KPI's ratio may read as a multiple (LTV to CAC 29.0×)."""
    return "multiple" if kpi is not None and kpi.display == "multiple" else unit


def answer_unit(answer) -> str:
    return shown_unit(load_catalog().kpis.get(answer.metric or ""), answer.unit or "")


def kpi_name(kpi: Kpi, lang: str) -> str:
    name = (kpi.names.get(lang) or kpi.names["en"])[0]
    return name[0].upper() + name[1:]


def period_words(result: KpiResult, lang: str = "en") -> str:
    if result.period is None:
        return t("all_open" if result.kpi.forward else "all_time", lang)
    if result.kpi.id == "quota":  # a target is set for whole periods: this quarter's runs to its end, not to today
        whole = result.period.label.replace(" to date", "")
        return span_words(replace(result.period, end=result.period.nominal_end,
                                  label=f"this {whole}" if whole != result.period.label else whole), lang)
    return span_words(result.period, lang)


def span_words(p: Period, lang: str) -> str:
    """'last quarter (2026-07-01 to 2026-09-30)', in the asker's language."""
    span = f"{p.start} {t('to', lang)} {p.end}" if p.start != p.end else f"{p.start}"
    if re.match(r"\d{4}-\d{2}-\d{2}", p.label):  # a range given by its dates: say them once
        return span
    return f"{period_label(p.label, p.unit, p.start, lang)} ({span})"


def scope_words(filters: dict[str, list[str]], lang: str = "en", names: dict[str, str] | None = None) -> str:
    """' for region Nordics; Alice Berg'. `names` maps rep and account ids to names, or a
    dimension to its whole description (e.g. "owner" → "your team (7 people)")."""
    parts = []
    for dim, values in filters.items():
        if names and dim in names:
            parts.append(names[dim])
            continue
        shown = [names.get(v, v) for v in values] if dim in ("owner", "account") and names else values
        if dim == "country":  # "SE" reads as Sweden, Sverige, Sverige
            shown = [country_name(v, lang) for v in shown]
        if dim == "owner" and len(shown) > 3:
            shown = [*shown[:3], f"+{len(shown) - 3}"]
        # people by their names alone: an exec or a manager is no "rep"
        parts.append(', '.join(shown) if dim == "owner" else f"{dimension_word(dim, lang)} {', '.join(shown)}")
    return f" {t('for', lang)} {'; '.join(parts)}" if parts else ""


def headline(result: KpiResult, lang: str = "en", names: dict[str, str] | None = None) -> str:
    """'Win rate, last quarter (2026-07-01 to 2026-09-30), by region': what was computed, over what."""
    by = ""
    if result.group_by:
        dims = f" {t('and', lang)} ".join(dimension_word(d, lang) for d in result.group_by)
        by = f", {t('by', lang)} {dims}"
    size = result.deal_amount or {}
    if size.get("min") is not None and size.get("max") is not None:  # "deals between 50k and 100k"
        cur = str(size["currency"])
        by += ", " + t("kpi_deals_between", lang, low=money(size["min"], cur, lang), high=money(size["max"], cur, lang))
    else:
        for bound, code in ((size.get("min"), "kpi_deals_over"), (size.get("max"), "kpi_deals_under")):
            if bound is not None:  # "win rate on deals over 100k"
                by += ", " + t(code, lang, amount=money(bound, str(size["currency"]), lang))
    if result.threshold is not None:
        by += ", " + threshold_words(result, lang)
    return f"{kpi_name(result.kpi, lang)}{scope_words(result.filters, lang, names)}, {period_words(result, lang)}{by}"


def threshold_words(result: KpiResult, lang: str) -> str:
    """'below 50.0%', 'over EUR 1,000,000': the line a breakdown's rows were kept by."""
    kpi, line = result.kpi, result.threshold
    if line.op == "le" and line.value == 0:  # "reps with no pipeline"
        return t("threshold_zero", lang)
    return t(f"threshold_{line.op}", lang, value=format_value(line.value, shown_unit(kpi, kpi.unit), result.currency, lang))


def kpi_sentence(result: KpiResult, lang: str = "en", names: dict[str, str] | None = None,
                 with_rows: bool = True) -> str:
    """'Win rate, last quarter (…), by region: 29.8% overall. Nordics 31.2%; …'"""
    kpi = result.kpi
    text = f"{headline(result, lang, names)}: {format_value(result.value, shown_unit(kpi, kpi.unit), result.currency, lang)}"
    text += f" {t('overall', lang)}." if result.group_by else "."
    if result.target and result.target.get("target"):
        text += " " + target_words(result.target, lang)
    if result.threshold is not None and result.groups is not None:
        text += " " + t("threshold_none" if not result.rows else "threshold_count", lang,
                        n=number(len(result.rows), lang), total=number(result.groups, lang))
    if result.rows and with_rows:
        shown = [f"{row_label(r, result.group_by, lang)} {format_value(r['value'], shown_unit(kpi, kpi.unit), result.currency, lang)}"
                 for r in result.rows[:5]]
        more = f" (+{len(result.rows) - 5} {t('more', lang)})" if len(result.rows) > 5 else ""
        text += " " + "; ".join(shown) + more + "."
    return text


def target_words(parts: dict, lang: str) -> str:
    """'EUR 370,000 booked of a EUR 650,000 target, EUR 280,000 to go; 56% of the period has passed.'"""
    cur = str(parts["currency"])
    revenue = parts["revenue"] or 0.0
    over = revenue - parts["target"] if parts["target"] is not None and revenue > parts["target"] else 0.0
    return t("target_parts_over" if over else "target_parts", lang, revenue=money(revenue, cur, lang),
             target=money(parts["target"], cur, lang), gap=money(over or parts["gap"] or 0.0, cur, lang),
             pace=percent(parts["pace"], lang))


def row_label(row: dict, group_by: list[str], lang: str = "en") -> str:
    parts = []
    for dim in group_by:
        label = row.get(f"{dim}_name") or row.get(dim)
        if label is not None and dim == "country":  # "DE" reads as Germany, Tyskland, Tyskland
            label = country_name(str(label), lang)
        parts.append(str(label) if label is not None else t("none_label", lang))
    return " / ".join(parts)


def note_text(note: Note, lang: str, catalog: Catalog) -> str:
    """An engine note in words."""
    params = dict(note.params)
    if note.code == "missing_amounts":
        params = {"n": number(params["n"], lang), "total": number(params["total"], lang)}
    elif note.code == "converted":
        params["currencies"] = ", ".join(params["currencies"])
    elif note.code == "no_data":
        params["what"] = t(f"what_{params['what']}", lang)
    elif note.code == "no_value":
        params["kpi"] = kpi_name(catalog.kpis[params["kpi"]], lang)
        params["den"] = " + ".join(kpi_name(catalog.kpis[d], lang).lower() for d in params["den"])
    elif note.code == "own_rows_only":
        params = {"whose": t(params["whose"], lang), "whose_short": t(params["whose_short"], lang)}
    return t(note.code, lang, **params)


# ---------------------------------------------------------------- lists of deals

def _risk_words(risk: str, q: DealQuery, lang: str) -> str:
    """A risk reason as the headline says it; a stall the question set says in its days."""
    if risk == "stalled" and q.stalled_days != STALLED_DAYS:
        return t("risk_stalled_days", lang, days=number(q.stalled_days, lang))
    return t(f"risk_{risk}", lang)


def deals_headline(result: DealResult, lang: str = "en", names: dict[str, str] | None = None,
                   per: str | None = None) -> str:
    """'Open deals for rep Freja Karlsson, closing this month (…), over EUR 100,000: 14 in all, showing
    the first 10 by amount, largest first.' `per` (a dimension): '…: 114 in all (together EUR …), by rep:'."""
    q = result.query
    parts = [t(f"deals_status_{q.status}", lang) + scope_words(result.filters, lang, names)]
    narrowed = next((n for n in result.notes if n.code == "deals_your_scope"), None)
    if narrowed is not None:  # a rep's "open deals in team Nordics SMB" counts her own: the headline says so
        parts.append(t("deals_only", lang, whose=t(str(narrowed.get("whose")), lang)))
    if q.risks:
        parts.append(t("deals_at_risk", lang, reasons=", ".join(_risk_words(r, q, lang) for r in q.risks)))
    if result.period is not None:
        code = "deals_created_in" if q.date_field == "created" else (
            "deals_closing" if q.status == "open" else "deals_closed_in")
        parts.append(t(code, lang, period=span_words(result.period, lang)))
    if q.upcoming:
        parts.append(t("deals_upcoming", lang))
    for bound, code in ((q.amount_min, "deals_over"), (q.amount_max, "deals_under")):
        if bound is not None:
            parts.append(t(code, lang, amount=money(bound, result.currency, lang)))
    text = ", ".join(parts) + ": "
    if not result.total:
        return text + t("deals_none", lang)
    text += t("deals_count", lang, n=number(result.total, lang))
    if result.amount:  # what they are worth together ("hvad er de værd?" after a list is answered in it)
        text += " " + t("deals_worth", lang, amount=money(result.amount, result.currency, lang))
    if per:
        return text + f", {t('deals_per_group', lang, dim=dimension_word(per, lang))}:"
    order = t(f"order_{q.order_by}_{'desc' if q.desc else 'asc'}", lang)
    code = "deals_all_shown" if len(result.rows) == result.total else "deals_shown"
    return text + f", {t(code, lang, shown=number(len(result.rows), lang), order=order)}."


def deal_line(row: dict, lang: str, created: bool = False) -> str:
    """One deal in words; `created`: with its created date ("oldest open deals")."""
    amount = money(row["amount"], row["currency"], lang) if row["amount"] is not None else t("no_amount", lang)
    close = row["close_date"] or t("no_close_date", lang)
    code = "deal_line_closed" if row.get("is_closed") else "deal_line" if row["close_date"] else "deal_line_undated"
    line = t(code, lang, name=_deal_name(row), account=row["account"] or "–", owner=row["owner"] or "–",
             stage=row["stage"] or "–", amount=amount, close=close)
    if _names_account(row):  # "Acme A/S – Platform (Acme A/S)" says the account twice
        line = line.replace(f" ({row['account']})", "", 1)
    if created and row.get("created_date"):
        line += ", " + t("created_on", lang, date=row["created_date"])
    if row["reasons"]:
        line += " — " + ", ".join(t(f"risk_{r}", lang) for r in row["reasons"])
    return line


def deal_cells(rows: list[dict], lang: str) -> tuple[list[str], list[list[str]]]:
    """A table of deals for the faces: headers and cells, names not ids, the account column only
    where a deal's name does not already say it, a 'why' column only when deals are flagged."""
    with_account = not all(_names_account(r) for r in rows)
    flagged = any(r["reasons"] for r in rows)
    heads = [t("col_deal", lang), *([dimension_word("account", lang)] if with_account else []),
             dimension_word("owner", lang), dimension_word("stage", lang), t("col_amount", lang),
             t("col_close", lang), *([t("col_flags", lang)] if flagged else [])]
    out = []
    for r in rows:
        amount = money(r["amount"], r["currency"], lang) if r["amount"] is not None else "–"
        cells = [_deal_name(r), *([r["account"] or "–"] if with_account else []), r["owner"] or "–",
                 r["stage"] or "–", amount, r["close_date"] or "–"]
        if flagged:
            cells.append(", ".join(t(f"risk_{x}", lang) for x in r["reasons"]))
        out.append(cells)
    return heads, out


def _deal_name(row: dict) -> str:
    return row["name"] or row["opportunity_id"]


def _names_account(row: dict) -> bool:
    return bool(row["account"]) and bool(row["name"]) and row["account"] in row["name"]


# ---------------------------------------------------------------- comparisons

def compare_sentence(kpi: Kpi, sides: list[tuple[str, float | None]], diff: float | None, change: float | None,
                     currency: str | None, lang: str, heading: str = "") -> str:
    """'Revenue: this quarter (…) EUR 19,109,520 vs last quarter (…) EUR 37,172,808; a difference of
    −EUR 18,063,288 (−48.6%).' `heading`: what all sides share ('Win rate for segment SMB, this year (…): …')."""
    shown = f" {t('versus', lang)} ".join(f"{label} {format_value(v, shown_unit(kpi, kpi.unit), currency, lang)}" for label, v in sides)
    text = f"{kpi_name(kpi, lang)}{heading}: {shown}"
    if diff is None:
        return text + "."
    sign = _sign(diff)
    amount = format_value(abs(diff), shown_unit(kpi, kpi.unit), currency, lang)
    if shown_unit(kpi, kpi.unit) == "ratio":
        amount, sign = t("points", lang, n=number(abs(diff) * 100, lang, 1)), _sign(round(diff * 100, 1))
    if kpi.unit == "score":  # NPS: points apart ("+13", not "++13"), and no share of a score that can be negative
        amount, change, sign = t("score_points", lang, n=number(abs(diff), lang)), None, _sign(round(diff))
    rel = f" ({_sign(change)}{percent(abs(change), lang)})" \
        if change is not None else ""
    return text + "; " + t("difference", lang, diff=f"{sign}{amount}{rel}") + "."


def change_sentence(kpi: Kpi, rows: list[dict], dims: list[str], now: KpiResult, before: KpiResult, rising: bool,
                    lang: str, names: dict[str, str] | None = None) -> str:
    """'Win rate by rep, this quarter (…) against last quarter (…), the biggest rise first: Jonas
    Lindqvist +17.4 pp (27.8% → 45.2%); …'"""
    unit = shown_unit(kpi, kpi.unit)
    parts = dict(kpi=kpi_name(kpi, lang), scope=scope_words(now.filters, lang, names),
                 by=", ".join(dimension_word(d, lang) for d in dims), now=period_words(now, lang),
                 before=period_words(before, lang))
    changes = [r["change"] for r in rows if r["change"] is not None]
    if changes and (all(c > 0 for c in changes) if not rising else all(c < 0 for c in changes)):
        # "which region dropped most?" when every one rose: said so, not "the biggest fall: DACH +1.2%"
        head = t("change_none", lang, **parts, did=t("change_none_fell" if not rising else "change_none_rose", lang),
                 closest=t("change_smallest_rise" if not rising else "change_smallest_fall", lang))
    else:
        head = t("change_head", lang, **parts, way=t("change_rise" if rising else "change_fall", lang))
    if not rows:
        return f"{head}: {t('deals_none', lang)}"
    shown = [f"{row_label(r, dims, lang)} {change_words(kpi, r['change'], lang)} "
             f"({format_value(r['before'], unit, now.currency, lang)} → {format_value(r['value'], unit, now.currency, lang)})"
             for r in rows[:5]]
    more = f" (+{len(rows) - 5} {t('more', lang)})" if len(rows) > 5 else ""
    return f"{head}: " + "; ".join(shown) + more + "."


def change_words(kpi: Kpi, change: float | None, lang: str) -> str:
    """'+17.4 pp' for a ratio, '+5 points' for a score, '+12.3%' for anything else; 'no value' without one."""
    if change is None:
        return t("no_value_word", lang)
    if kpi.unit == "ratio":  # (the sign of the change as it is shown: "±0.0 pp", never "−0.0 pp")
        return f"{_sign(round(change * 100, 1))}{number(abs(change) * 100, lang, 1)} {t('pp', lang)}"
    if kpi.unit == "score":
        return f"{_sign(round(change))}{t('score_points', lang, n=number(abs(change), lang))}"
    return f"{_sign(round(change * 100, 1))}{percent(abs(change), lang)}"


def _sign(value: float) -> str:
    return "+" if value > 0 else ("−" if value < 0 else "±")

