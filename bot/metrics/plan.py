"""The query plan: what a question asks of the engine, as validated data.

Whoever fills a plan (the CLI, the offline parser, a language model) produces data of
this shape; `check_plan` holds it against the catalog before anything runs. No plan
field is ever executed as code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import PlanError, UnknownDimension, UnknownMetric
from bot.metrics.catalog import Catalog, Kpi

TIME_DIMENSIONS = ("month", "quarter")


class Threshold(BaseModel):
    """A breakdown's rows kept by their value: ratios as fractions (0.5 is 50%), amounts in the
    base currency."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Literal["gt", "ge", "lt", "le"]
    value: float

    def holds(self, values):  # noqa: ANN001, ANN201 (a number or a pandas Series)
        return {"gt": values > self.value, "ge": values >= self.value, "lt": values < self.value,
                "le": values <= self.value}[self.op]


class QueryPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str = Field(min_length=1, max_length=64)
    # A period expression ("last quarter", "Q3 2025", "2025-01-01..2025-03-31"); None: the KPI's default.
    period: str | None = Field(default=None, max_length=100)
    # revenue_growth compares with the previous period, or the same period a year earlier.
    compare: Literal["previous", "year_ago"] = "previous"
    # dimension -> accepted values (any of them)
    filters: dict[str, list[str]] = Field(default_factory=dict)
    group_by: list[str] = Field(default_factory=list, max_length=2)
    order: Literal["desc", "asc"] | None = None
    limit: int | None = Field(default=None, ge=1, le=1000)
    # Only the breakdown's rows past this line ("reps below 50% attainment"); needs a group_by.
    threshold: Threshold | None = None
    # Only deals over / under these amounts, in the base currency ("win rate on deals over 100k"), as
    # deal lists bound them: deal KPIs only.
    amount_min: float | None = None
    amount_max: float | None = None

    @field_validator("filters", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: ([x] if isinstance(x, str) else x) for k, x in v.items()}
        return v

    @field_validator("group_by")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("group_by names a dimension twice")
        return v


def sized_by_deals(kpi: Kpi, catalog: Catalog) -> bool:
    """Is the KPI made of deals alone (a deal size can bound it)? Not a target, MRR, leads or spend."""
    from bot.metrics.formulas import required_tables  # (formulas imports this module)

    return required_tables(kpi, catalog) == {"opportunities"}


# Formula kinds whose value for a group with no rows is 0 (a sum or a count), and the fact they read.
ZERO_WHEN_EMPTY = {"deal_sum": "deals", "deal_count": "deals", "lead_count": "leads", "spend": "spend",
                   "mrr": "revenue"}


def zero_fact(kpi: Kpi, catalog: Catalog) -> str | None:
    """The fact a KPI sums or counts, whose groups without rows are at 0 ("reps with no pipeline");
    None for a ratio, an average or a target, which has no value there."""
    while kpi.kind == "scale":  # (ARR is 12 × MRR)
        kpi = catalog.kpis[kpi.formula["of"]]
    return ZERO_WHEN_EMPTY.get(kpi.kind)


def check_plan(plan: QueryPlan, catalog: Catalog) -> Kpi:
    """The plan's KPI, once metric, filters and group-by fit the catalog."""
    kpi = catalog.get(plan.metric)
    if kpi is None:
        raise UnknownMetric(plan.metric, catalog.suggest(plan.metric))
    for dim in [*plan.group_by, *plan.filters]:
        if dim not in kpi.dimensions:
            raise UnknownDimension(kpi.id, dim, list(kpi.dimensions))
    if (plan.amount_min is not None or plan.amount_max is not None) and not sized_by_deals(kpi, catalog):
        raise PlanError(f"{kpi.id} is not counted over deals: a deal size applies to deal KPIs only.")
    if plan.threshold is not None and not plan.group_by:
        raise PlanError("A threshold keeps rows of a breakdown: name the group_by it applies to.")
    for dim, values in plan.filters.items():
        if dim in TIME_DIMENSIONS:
            raise PlanError(f"Filter {dim} through the period instead (e.g. period 'March 2025' or 'Q3').")
        if not values:
            raise PlanError(f"The filter on {dim} lists no values.")
    return kpi
