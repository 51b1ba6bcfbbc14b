"""Numbers and sentences for KPI results (English; other languages come with the parser)."""

from __future__ import annotations

from bot.metrics.engine import KpiResult

NO_VALUE = "no value"


def format_value(value: float | None, unit: str, currency: str | None = None) -> str:
    if value is None:
        return NO_VALUE
    if unit == "currency":
        return f"{currency or ''} {value:,.0f}".strip()
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "score":
        return f"{value:+.0f}"
    suffix = {"days": "days", "hours": "hours", "months": "months"}.get(unit, "")
    return f"{value:,.1f} {suffix}".strip()


def period_words(result: KpiResult) -> str:
    p = result.period
    if p is None:
        return "all open deals" if result.kpi.forward else "all time"
    span = f"{p.start} to {p.end}" if p.start != p.end else f"{p.start}"
    return f"{p.label} ({span})"


def scope_words(result: KpiResult) -> str:
    parts = [f"{dim.replace('_', ' ')} {', '.join(values)}" for dim, values in result.filters.items()]
    return f" for {'; '.join(parts)}" if parts else ""


def headline(result: KpiResult) -> str:
    """'Win rate, last quarter (2026-07-01 to 2026-09-30), by region': what was computed, over what."""
    by = f", by {' and '.join(d.replace('_', ' ') for d in result.group_by)}" if result.group_by else ""
    return f"{result.kpi.title}{scope_words(result)}, {period_words(result)}{by}"


def kpi_sentence(result: KpiResult) -> str:
    """'Win rate, last quarter (2026-07-01 to 2026-09-30), by region: 29.8% overall. Nordics 31.2%; …'"""
    kpi = result.kpi
    head = f"{headline(result)}: {format_value(result.value, kpi.unit, result.currency)}"
    head += " overall." if result.group_by else "."
    if result.rows:
        shown = [f"{row_label(r, result.group_by)} {format_value(r['value'], kpi.unit, result.currency)}"
                 for r in result.rows[:5]]
        more = f" (+{len(result.rows) - 5} more)" if len(result.rows) > 5 else ""
        head += " " + "; ".join(shown) + more + "."
    return head


def row_label(row: dict, group_by: list[str]) -> str:
    parts = []
    for dim in group_by:
        label = row.get("owner_name") if dim == "owner" and row.get("owner_name") else row.get(dim)
        parts.append(str(label) if label is not None else "(none)")
    return " / ".join(parts)
