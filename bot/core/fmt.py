"""KPI results in words, in the asker's language: values, headlines, notes, row labels."""

from __future__ import annotations

from bot.core.i18n import dimension_word, money, number, percent, period_label, t
from bot.metrics.catalog import Catalog, Kpi
from bot.metrics.context import Note
from bot.metrics.engine import KpiResult

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
    if unit == "ratio":
        return percent(value, lang)
    if unit == "count":
        return number(value, lang)
    if unit == "score":
        return ("+" if value > 0 else "") + number(value, lang)
    return f"{number(value, lang, 1)} {UNIT_WORDS.get(unit, {}).get(lang, unit)}"


def kpi_name(kpi: Kpi, lang: str) -> str:
    name = (kpi.names.get(lang) or kpi.names["en"])[0]
    return name[0].upper() + name[1:]


def period_words(result: KpiResult, lang: str = "en") -> str:
    p = result.period
    if p is None:
        return t("all_open" if result.kpi.forward else "all_time", lang)
    span = f"{p.start} {t('to', lang)} {p.end}" if p.start != p.end else f"{p.start}"
    return f"{period_label(p.label, p.unit, p.start, lang)} ({span})"


def scope_words(result: KpiResult, lang: str = "en", names: dict[str, str] | None = None) -> str:
    """' for region Nordics; rep Alice Berg'. `names` maps ids to names, or a dimension to its
    whole description (e.g. "owner" → "your team (7 people)")."""
    parts = []
    for dim, values in result.filters.items():
        if names and dim in names:
            parts.append(names[dim])
            continue
        shown = [names.get(v, v) for v in values] if dim == "owner" and names else values
        if dim == "owner" and len(shown) > 3:
            shown = [*shown[:3], f"+{len(shown) - 3}"]
        parts.append(f"{dimension_word(dim, lang)} {', '.join(shown)}")
    return f" {t('for', lang)} {'; '.join(parts)}" if parts else ""


def headline(result: KpiResult, lang: str = "en", names: dict[str, str] | None = None) -> str:
    """'Win rate, last quarter (2026-07-01 to 2026-09-30), by region': what was computed, over what."""
    by = ""
    if result.group_by:
        dims = f" {t('and', lang)} ".join(dimension_word(d, lang) for d in result.group_by)
        by = f", {t('by', lang)} {dims}"
    return f"{kpi_name(result.kpi, lang)}{scope_words(result, lang, names)}, {period_words(result, lang)}{by}"


def kpi_sentence(result: KpiResult, lang: str = "en", names: dict[str, str] | None = None,
                 with_rows: bool = True) -> str:
    """'Win rate, last quarter (…), by region: 29.8% overall. Nordics 31.2%; …'"""
    kpi = result.kpi
    text = f"{headline(result, lang, names)}: {format_value(result.value, kpi.unit, result.currency, lang)}"
    text += f" {t('overall', lang)}." if result.group_by else "."
    if result.rows and with_rows:
        shown = [f"{row_label(r, result.group_by, lang)} {format_value(r['value'], kpi.unit, result.currency, lang)}"
                 for r in result.rows[:5]]
        more = f" (+{len(result.rows) - 5} {t('more', lang)})" if len(result.rows) > 5 else ""
        text += " " + "; ".join(shown) + more + "."
    return text


def row_label(row: dict, group_by: list[str], lang: str = "en") -> str:
    parts = []
    for dim in group_by:
        label = row.get(f"{dim}_name") or row.get(dim)
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
