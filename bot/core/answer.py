"""The Answer: what every face (CLI, chat, Slack, Teams, digest) renders.

Its JSON form is the contract in contracts/cli.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot.core.fmt import deal_line, deals_headline, kpi_sentence, note_text
from bot.metrics.catalog import Catalog
from bot.metrics.deals import DealResult
from bot.metrics.engine import KpiResult
from bot.metrics.plan import QueryPlan

Kind = Literal["kpi", "deals", "playbook", "help", "clarify", "denied", "error"]


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
    # Not part of the JSON contract: the first sentence alone (for faces that show rows as a
    # table) and the plan that was run (for buttons that re-run it with a change).
    summary: str = field(default="", repr=False)
    plan: QueryPlan | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("summary")
        out.pop("plan")
        if self.kind != "deals":
            out.pop("order")
            out.pop("limit")
        if self.metric != "quota_attainment":
            for name in ("target", "gap", "pace"):
                out.pop(name)
        return out


def kpi_answer(result: KpiResult, question: str, catalog: Catalog, lang: str = "en",
               names: dict[str, str] | None = None) -> Answer:
    kpi = result.kpi
    parts = result.target or {}
    return Answer(
        target=parts.get("target"), gap=parts.get("gap"), pace=parts.get("pace"),
        question=question, kind="kpi", lang=lang, text=kpi_sentence(result, lang, names),
        summary=kpi_sentence(result, lang, names, with_rows=False),
        metric=kpi.id, unit=kpi.unit, currency=result.currency, value=result.value,
        period=result.period.as_dict() if result.period else None,
        filters={d: v[0] if len(v) == 1 else v for d, v in result.filters.items()},
        group_by=result.group_by, rows=result.rows,
        notes=[note_text(n, lang, catalog) for n in result.notes],
    )


def deals_answer(result: DealResult, question: str, catalog: Catalog, lang: str = "en",
                 names: dict[str, str] | None = None) -> Answer:
    """A list of deals: the headline (what was listed, how many in all), then one line a deal."""
    head = deals_headline(result, lang, names)
    q = result.query
    return Answer(
        question=question, kind="deals", lang=lang, summary=head,
        text="\n".join([head, *(f"• {deal_line(r, lang)}" for r in result.rows)]),
        unit="count", currency=result.currency, value=float(result.total),
        period=result.period.as_dict() if result.period else None,
        filters={d: v[0] if len(v) == 1 else v for d, v in result.filters.items()},
        rows=result.rows, notes=[note_text(n, lang, catalog) for n in result.notes],
        order={"by": q.order_by, "desc": q.desc}, limit=q.limit,
    )
