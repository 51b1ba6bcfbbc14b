"""The Answer: what every face (CLI, chat, Slack, Teams, digest) renders.

Its JSON form is the contract in contracts/cli.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Callable, Literal

from bot.core.fmt import (change_sentence, compare_sentence, deal_line, deals_headline, kpi_sentence, note_text,
                          period_words, scope_words)
from bot.core.i18n import money, number, t
from bot.metrics.catalog import Catalog, Kpi
from bot.metrics.deals import DealResult
from bot.metrics.engine import KpiResult
from bot.metrics.plan import QueryPlan

Kind = Literal["kpi", "deals", "compare", "playbook", "help", "clarify", "denied", "not_covered", "error"]
ONLY = {"order": "deals", "limit": "deals", "change": "compare"}  # fields that belong to one kind


@dataclass
class Answer:
    question: str
    kind: Kind
    text: str
    lang: str = "en"
    metric: str | None = None
    unit: str | None = None
    currency: str | None = None
    value: float | None = None
    period: dict[str, str] | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    group_by: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Suggested next questions, in the answer's language (faces show them as buttons).
    followups: list[str] = field(default_factory=list)
    elapsed_ms: float | None = None
    # Lists of deals only: the order and how many rows were asked for (contracts/cli.md).
    order: dict[str, Any] | None = None
    limit: int | None = None
    # Attainment answers only (kpis.md, Targets): the period's whole target, what is left, and pace.
    target: float | None = None
    gap: float | None = None
    pace: float | None = None
    # KPI answers whose breakdown keeps rows past a line only: {"op": "lt", "value": 0.5}.
    threshold: dict[str, Any] | None = None
    # KPI answers over deals of a size only: {"min": 100000.0, "max": null, "currency": "EUR"}.
    deal_amount: dict[str, Any] | None = None
    # Comparisons only: the relative change (value is the difference).
    change: float | None = None
    # Content words of the question the answer did not use (named in the text too), and which
    # understanding step read it: the bot's own parser (offline) or a language model (llm).
    unused: list[str] = field(default_factory=list)
    engine: str = "offline"
    # KPI and comparison answers, with CCOBOT_NARRATE: one sentence a language model wrote from the
    # answer's aggregates, every number in it checked against them (bot/llm/narrate.py); "" otherwise.
    narration: str = ""
    # A question with several parts: one complete answer per part, in the question's order.
    parts: list["Answer"] = field(default_factory=list)
    # Not part of the JSON contract: the first sentence alone (for faces that show rows as a
    # table) and the plan that was run (for buttons that re-run it with a change).
    summary: str = field(default="", repr=False)
    plan: QueryPlan | None = field(default=None, repr=False)
    # The KPI answers whose figures a playbook answer quotes ("…, and what is ours?"): a face that
    # posts where others read judges those figures as it would the answers themselves.
    figures: list["Answer"] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("summary", "plan", "parts", "figures")}
        for name, kind in ONLY.items():
            if self.kind != kind:
                out.pop(name)
        if self.metric != "quota_attainment":
            for name in ("target", "gap", "pace"):
                out.pop(name)
        if not self.narration:  # only when a model wrote one: offline answers are unchanged
            out.pop("narration")
        for name in ("threshold", "deal_amount"):  # only when asked: other answers are unchanged
            if out[name] is None:
                out.pop(name)
        if self.parts:
            out["parts"] = [p.to_json() for p in self.parts]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Answer":
        """An Answer again from its JSON form (contracts/cli.md), parts included: a button on a
        posted answer (a chart, say) finds the answer it belongs to in the state database."""
        answer = cls(**{k: v for k, v in data.items() if k in JSON_FIELDS})
        answer.parts = [cls.from_json(p) for p in data.get("parts") or []]
        return answer


def kpi_answer(result: KpiResult, question: str, catalog: Catalog, lang: str = "en",
               names: dict[str, str] | None = None) -> Answer:
    kpi = result.kpi
    parts = result.target or {}
    return Answer(
        target=parts.get("target"), gap=parts.get("gap"), pace=parts.get("pace"),
        question=question, kind="kpi", lang=lang, text=kpi_sentence(result, lang, names),
        summary=kpi_sentence(result, lang, names, with_rows=False),
        # attainment is a ratio whose target and gap are money: their currency is the answer's
        metric=kpi.id, unit=kpi.unit, currency=result.currency or parts.get("currency"), value=result.value,
        period=result.period.as_dict() if result.period else None,
        filters={d: v[0] if len(v) == 1 else v for d, v in result.filters.items()},
        group_by=result.group_by, rows=result.rows,
        threshold=result.threshold.model_dump() if result.threshold is not None else None,
        deal_amount=result.deal_amount,
        notes=[note_text(n, lang, catalog) for n in result.notes],
    )


def change_answer(now: KpiResult, before: KpiResult, question: str, catalog: Catalog, rising: bool,
                  limit: int | None, lang: str = "en", names: dict[str, str] | None = None) -> Answer:
    """A breakdown ranked by change ("which region grew most"): each row's figure now (`value`), in the
    earlier period (`before`) and the change (`change`: a ratio's in points, as a fraction; any other's
    relative to before), the biggest rise (or fall) first; `value` and `change` overall alike."""
    kpi, dims = now.kpi, now.group_by
    then = {tuple(r[d] for d in dims): r["value"] for r in before.rows}
    rows = [{**r, "before": then.get(tuple(r[d] for d in dims)),
             "change": moved(kpi, r["value"], then.get(tuple(r[d] for d in dims)))} for r in now.rows]
    rows.sort(key=lambda r: (r["change"] is None, -(r["change"] or 0.0) if rising else (r["change"] or 0.0)))
    if limit:  # "which region grew most": the one that did, of the groups with a change
        rows = [r for r in rows if r["change"] is not None][:limit]
    notes = list(dict.fromkeys(note_text(n, lang, catalog) for r in (now, before) for n in r.notes))
    changes = [r["change"] for r in rows if r["change"] is not None]
    if changes and (all(c >= 0 for c in changes) if not rising else all(c <= 0 for c in changes)):
        notes.insert(0, t("none_fell" if not rising else "none_rose", lang))  # "which region dropped most?": none did
    return Answer(question=question, kind="kpi", lang=lang, metric=kpi.id, unit=kpi.unit, currency=now.currency,
                  value=now.value, change=moved(kpi, now.value, before.value),
                  period=now.period.as_dict() if now.period else None,
                  filters={d: v[0] if len(v) == 1 else v for d, v in now.filters.items()}, group_by=dims, rows=rows,
                  notes=notes, text=change_sentence(kpi, rows, dims, now, before, rising, lang, names))


def moved(kpi: Kpi, now: float | None, before: float | None) -> float | None:
    """How far a figure moved: a ratio in points (as a fraction), a score (NPS, −100…100) in points,
    anything else relative to before."""
    if now is None or before is None:
        return None
    if kpi.unit in ("ratio", "score"):
        return now - before
    return (now - before) / before if before else None


def deals_answer(result: DealResult, question: str, catalog: Catalog, lang: str = "en",
                 names: dict[str, str] | None = None) -> Answer:
    """A list of deals: the headline (what was listed, how many in all), then one line a deal."""
    head = deals_headline(result, lang, names)
    q = result.query
    return Answer(
        question=question, kind="deals", lang=lang, summary=head,
        text="\n".join([head, *(f"• {deal_line(r, lang, created=q.order_by == 'age')}" for r in result.rows)]),
        unit="count", currency=result.currency, value=float(result.total),
        period=result.period.as_dict() if result.period else None,
        filters={d: v[0] if len(v) == 1 else v for d, v in result.filters.items()},
        rows=result.rows, notes=[note_text(n, lang, catalog) for n in result.notes if n.code != "deals_your_scope"],
        order={"by": q.order_by, "desc": q.desc}, limit=q.limit,
    )


def deals_per_group_answer(result: DealResult, every: list[dict], question: str, catalog: Catalog, lang: str,
                           names: dict[str, str] | None, limit: int | None, by: str = "owner",
                           group_of: Callable[[dict], str | None] | None = None) -> Answer:
    """'stalled deals by rep', 'which team has the most overdue deals', 'stalled deals by stage': how many
    of the deals each rep (or each group, `group_of` a deal: its owner's team, its stage) has and what they
    are worth, the most first (`every`: all the deals the list matched; `limit`: 1 for "which … has the
    most …")."""
    per: dict[str, dict] = {}
    for deal in every:
        if by == "owner":
            key, row = deal["owner_id"], {"owner": deal["owner_id"], "owner_name": deal["owner"]}
        else:
            key = (group_of(deal) if group_of else None) or "—"
            row = {by: key}
        row = per.setdefault(key, {**row, "value": 0, "amount": 0.0})
        row["value"] += 1
        row["amount"] += deal["amount"] or 0.0
    label = (lambda r: r["owner_name"]) if by == "owner" else (lambda r: r[by])  # noqa: E731
    rows = sorted(per.values(), key=lambda r: (-r["value"], -r["amount"], label(r)))
    if limit and len(rows) > limit:  # "which rep has the most …": all who tie for it
        rows = [r for r in rows if r["value"] >= rows[limit - 1]["value"]]
    for row in rows:
        row["amount"] = round(row["amount"], 2)
    head = deals_headline(result, lang, names, per=by)
    lines = [t("deals_rep_line", lang, name=label(r), n=number(r["value"], lang),
               amount=money(r["amount"], result.currency, lang)) for r in rows]
    return Answer(question=question, kind="deals", lang=lang, summary=head, text="\n".join([head, *(f"• {x}" for x in lines)]),
                  unit="count", currency=result.currency, value=float(result.total),
                  period=result.period.as_dict() if result.period else None,
                  filters={d: v[0] if len(v) == 1 else v for d, v in result.filters.items()}, group_by=[by],
                  rows=rows, notes=[note_text(n, lang, catalog) for n in result.notes if n.code != "deals_your_scope"],
                  limit=limit)


def compare_answer(results: list[KpiResult], labels: list[str], by: str, question: str, catalog: Catalog,
                   lang: str = "en", names: dict[str, str] | None = None) -> Answer:
    """One KPI on several sides (contracts/cli.md, kind compare). With two sides, `value` is the
    difference and `change` the relative change: by period, the later minus the earlier (relative
    to the earlier, as growth is read); otherwise the first minus the second."""
    kpi = results[0].kpi
    rows = [{"label": label, "period": r.period.as_dict() if r.period else None,
             "filters": {d: v[0] if len(v) == 1 else v for d, v in r.filters.items()}, "value": r.value}
            for label, r in zip(labels, results)]
    diff = change = None
    if len(results) == 2:
        first, second = results
        if by == "period" and first.period and second.period and first.period.start < second.period.start:
            first, second = second, first  # the later side first
        if first.value is not None and second.value is not None:
            diff = first.value - second.value
            change = diff / second.value if second.value else None
    notes = list(dict.fromkeys(note_text(n, lang, catalog) for r in results for n in r.notes))
    notes += _partial_sides(results, labels, by, lang)
    return Answer(question=question, kind="compare", lang=lang, metric=kpi.id, unit=kpi.unit,
                  currency=results[0].currency, value=diff, change=change, rows=rows, notes=notes,
                  text=compare_sentence(kpi, [(r["label"], r["value"]) for r in rows], diff, change,
                                        results[0].currency, lang, _shared(results, by, lang, names)))


def _partial_sides(results: list[KpiResult], labels: list[str], by: str, lang: str) -> list[str]:
    """A sum or count over a period cut at as_of set against whole periods ("revenue this quarter vs
    last quarter" on day 51 of 92): how much of it has run, so that −51% is not read as a collapse."""
    if by != "period" or results[0].kpi.unit not in ("currency", "count"):
        return []
    cut = [(label, r.period) for label, r in zip(labels, results) if r.period and r.period.end < r.period.nominal_end]
    if not cut or len(cut) == len(results):
        return []
    return [t("partial_side", lang, label=label.split(" (")[0][:1].upper() + label.split(" (")[0][1:], end=p.end.isoformat(),
              gone=(p.end - p.start).days + 1, days=(p.nominal_end - p.start).days + 1) for label, p in cut]


def _shared(results: list[KpiResult], by: str, lang: str, names: dict[str, str] | None) -> str:
    """What every side has in common, said once: the filters but the one compared by (and whose
    figures, when people are), and the period when the sides differ in something else."""
    first = results[0].filters
    common = {d: v for d, v in first.items()
              if d != by and not (by == "owner" and d in ("owner", "team")) and all(r.filters.get(d) == v for r in results)}
    periods = {(r.period.start, r.period.end) if r.period else None for r in results}
    when = f", {period_words(results[0], lang)}" if by != "period" and len(periods) == 1 else ""
    return scope_words(common, lang, names) + when


def with_parts(parts: list[Answer]) -> Answer:
    """A question of several parts: the first part's fields at the top, every part's text and
    sources together (for faces that show one message), and each part whole in `parts`."""
    first = parts[0]
    top = replace(first, parts=parts, text="\n\n".join(p.text for p in parts),
                  citations=[c for p in parts for c in p.citations],
                  notes=list(dict.fromkeys(n for p in parts for n in p.notes)))
    top.summary = ""  # several parts: no single table stands for the answer
    return top


JSON_FIELDS = {f.name for f in fields(Answer)} - {"parts", "summary", "plan", "figures"}
