"""An answer's rows as a table, for every face: headers in the answer's language (names, never
ids), the cells as the answer words them, which leading columns label a row and which hold
numbers; and its sources as lines. Slack draws it as a `table` block, Teams as an Adaptive Card
Table, the terminal and plain text as aligned columns."""

from __future__ import annotations

from bot.core.answer import Answer
from bot.core.fmt import answer_unit, change_words, deal_cells, format_value, kpi_name
from bot.core.i18n import country_name, dimension_word, t
from bot.metrics.catalog import load_catalog
from bot.playbook.answer import place


def grid(answer: Answer) -> tuple[list[str], list[list[str]], int, set[int]] | None:
    """An answer's rows as a table: headers in the answer's language (names, never ids), cells,
    how many leading columns label a row, and which columns hold numbers (right-aligned)."""
    if not answer.rows:
        return None
    lang = answer.lang
    if answer.kind == "deals" and answer.group_by:  # "stalled deals by rep": how many each, and their worth
        by = answer.group_by[0]
        heads = [dimension_word(by, lang), t("col_deals", lang), t("col_amount", lang)]
        cells = [[r["owner_name"] if by == "owner" else r[by], format_value(r["value"], "count", None, lang),
                  format_value(r["amount"], "currency", answer.currency, lang)] for r in answer.rows]
        return [capital(h) for h in heads], cells, 1, {1, 2}
    if answer.kind == "deals":
        heads, cells = deal_cells(answer.rows, lang)
        return [capital(h) for h in heads], cells, 1, {heads.index(t("col_amount", lang))}
    value = lambda r: format_value(r["value"], answer_unit(answer), answer.currency, lang)  # noqa: E731
    if answer.kind == "compare":
        return [_side_word(answer), metric_word(answer)], [[r["label"], value(r)] for r in answer.rows], 1, {1}
    if answer.kind == "kpi" and answer.group_by:
        dims = answer.group_by
        heads = [capital(dimension_word(d, lang)) for d in dims] + [metric_word(answer)]
        if "change" in answer.rows[0]:  # a breakdown ranked by change: before, now and the change
            kpi = load_catalog().kpis[answer.metric]
            before = lambda r: format_value(r["before"], answer_unit(answer), answer.currency, lang)  # noqa: E731
            heads = heads[:-1] + [capital(t("col_before", lang)), heads[-1], capital(t("col_change", lang))]
            cells = [[_label(r, d, lang) for d in dims] + [before(r), value(r), change_words(kpi, r["change"], lang)]
                     for r in answer.rows]
            return heads, cells, len(dims), {len(dims), len(dims) + 1, len(dims) + 2}
        return heads, [[_label(r, d, lang) for d in dims] + [value(r)] for r in answer.rows], len(dims), {len(dims)}
    return None


def _label(row: dict, dim: str, lang: str) -> str:
    """A row's name for a dimension: the name the store gives (owner_name, account_name), a
    country's name in the answer's language, else the value itself."""
    label = row.get(f"{dim}_name") or row.get(dim)
    if label is None:
        return t("none_label", lang)
    return country_name(str(label), lang) if dim == "country" else str(label)


def metric_word(answer: Answer) -> str:
    """The KPI's name in the answer's language, as the catalog gives it."""
    kpi = load_catalog().kpis.get(answer.metric or "")
    return kpi_name(kpi, answer.lang) if kpi else capital((answer.metric or "").replace("_", " ")) or "–"


def _side_word(answer: Answer) -> str:
    """What a comparison's sides differ in: the period, or the dimensions of their filters."""
    lang = answer.lang
    if len({str(r.get("period")) for r in answer.rows}) > 1:
        return capital(t("col_period", lang))
    dims = {d for r in answer.rows for d in (r.get("filters") or {})}
    differ = [d for d in sorted(dims) if len({str((r.get("filters") or {}).get(d)) for r in answer.rows}) > 1]
    return capital(" / ".join(dimension_word(d, lang) for d in differ) or t("col_compared", lang))


def capital(word: str) -> str:
    return word[:1].upper() + word[1:]


def sources(answer: Answer) -> list[str]:
    return [f"[{n}] {place(c['title'], c['section'])} ({c['lang']})" for n, c in enumerate(answer.citations, 1)]
