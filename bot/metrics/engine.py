"""The KPI engine: a checked query plan in, a result with value, rows, period and notes out.

It knows nothing of chat: faces turn a KpiResult into an Answer and render that.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bot.errors import UnknownValue
from bot.metrics.catalog import Catalog, Kpi, load_catalog
from bot.metrics.context import FACTS, Ctx
from bot.metrics.deals import DealQuery, DealResult, list_deals
from bot.metrics.formulas import compute
from bot.metrics.fx import month_index
from bot.metrics.periods import NAMED_NO_YEAR, Calendar, Period, parse_period
from bot.metrics.plan import QueryPlan, Threshold, check_plan, zero_fact
from bot.metrics.store import MetricsStore, StoreHolder

# The table a KPI's filters are checked against, by formula kind.
KIND_FACT = {"lead_count": "leads", "lead_conversion": "leads", "spend": "spend", "nps": "nps",
             "case_resolution": "cases", "mrr": "revenue", "retention": "revenue"}
ALL_TIME = {"all", "all time", "ever", "alltime"}


TIES_SHOWN = 4  # who else ties for first beside "the one" a ranking asks for (more: the first alone)


@dataclass
class KpiResult:
    kpi: Kpi
    value: float | None
    period: Period | None
    filters: dict[str, list[str]]
    group_by: list[str]
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    currency: str | None = None
    as_of: date | None = None
    # Attainment against a target (kpis.md, Targets): revenue, target, gap and pace beside the ratio.
    target: dict[str, object] | None = None
    # A threshold's breakdown: the line rows were kept by, and how many rows there were before.
    threshold: Threshold | None = None
    groups: int | None = None
    # Only deals over / under these amounts (QueryPlan): {"min": …, "max": …, "currency": the base}.
    deal_amount: dict[str, object] | None = None
    per_rep: int | None = None  # the value is per rep of this many ("… vs the team average")


class Engine:
    """Answers query plans over a store that is kept hot (and reloaded when its files change)."""

    def __init__(self, store: MetricsStore | StoreHolder, catalog: Catalog | None = None) -> None:
        self._holder = store if isinstance(store, StoreHolder) else None
        self._store = store if isinstance(store, MetricsStore) else None
        self.catalog = catalog or load_catalog()

    @property
    def store(self) -> MetricsStore:
        return self._holder.get() if self._holder else self._store

    def as_of(self, override: date | None = None) -> date:
        return override or self.store.config.as_of or date.today()

    def run(self, plan: QueryPlan, as_of: date | None = None, scope: frozenset[str] | None = None) -> KpiResult:
        store = self.store
        kpi = check_plan(plan, self.catalog)
        cal = Calendar(self.as_of(as_of), store.fiscal_year_start_month)
        period = self.resolve_period(kpi, plan.period, cal, store)
        filters = {dim: self.canonical_values(store, kpi, dim, values) for dim, values in plan.filters.items()}
        ctx = self._context(store, plan, period, cal, filters, scope)
        result = KpiResult(kpi, None, period, filters, list(plan.group_by), as_of=cal.as_of,
                           currency=store.base_currency if kpi.unit == "currency" else None,
                           threshold=plan.threshold,
                           deal_amount={"min": plan.amount_min, "max": plan.amount_max, "currency": store.base_currency}
                           if plan.amount_min is not None or plan.amount_max is not None else None)
        if period is not None and period.start > cal.as_of and not kpi.forward and kpi.kind != "target":
            # (a target is set ahead: "my target for Q1 2027" is known before Q1 starts)
            ctx.note("not_started", as_of=cal.as_of.isoformat())
        else:
            result.value = _clean(compute(ctx, kpi, []))
            if plan.group_by:
                result.rows, result.groups = self._rows(ctx, kpi, plan)
            if kpi.id == "quota_attainment" and period is not None:
                result.target = self._target_parts(ctx, period, cal)
        self._freshness_note(ctx, period, store, cal)
        if kpi.forward and period is not None and period.nominal_end < cal.as_of and NAMED_NO_YEAR.match(plan.period or ""):
            # "pipeline closing in December" on 2026-11-20 is December 2025 (kpis.md): say how to ask for the coming one
            ctx.note("named_past", period=f"{plan.period.strip().capitalize()} {period.start.year + 1}")
        elif kpi.forward and period is not None and period.nominal_end < cal.as_of:
            # "pipeline yoy", "my pipeline TTM": open deals due then are today's overdue ones, not the pipeline as
            # it stood (the store keeps no snapshot of it): said, so that +3,000% is not read as growth
            ctx.note("open_past")
        result.notes = ctx.notes
        return result

    def _target_parts(self, ctx: Ctx, period: Period, cal: Calendar) -> dict[str, object]:
        """Revenue to date, the whole period's target, the gap, and pace: the share of the period's
        days gone by as_of (what attainment would be if bookings came in evenly)."""
        revenue = _clean(compute(ctx, self.catalog.kpis["revenue"], []))
        target = _clean(compute(ctx, self.catalog.kpis["quota"], []))
        days = (period.nominal_end - period.start).days + 1
        gone = (min(cal.as_of, period.nominal_end) - period.start).days + 1
        gap = None if revenue is None or target is None else max(target - revenue, 0.0)
        return {"revenue": revenue, "target": target, "gap": gap, "pace": round(max(gone, 0) / days, 4),
                "currency": ctx.store.base_currency}

    # ------------------------------------------------------------ periods

    def resolve_period(self, kpi: Kpi, text: str | None, cal: Calendar, store: MetricsStore) -> Period | None:
        if text is not None and text.strip().lower() in ALL_TIME:
            return None
        if text:
            return parse_period(text, cal, forward=kpi.forward)
        default = kpi.default_period
        if default == "open":
            return None
        if default == "qtd":  # (a KPI that looks forward takes the whole quarter: its deals close ahead)
            return parse_period("this quarter" if kpi.forward else "quarter to date", cal, forward=kpi.forward)
        if default == "last_full_month":
            return parse_period("last month", cal)
        return self._latest_month(cal, store)

    def _latest_month(self, cal: Calendar, store: MetricsStore) -> Period:
        """The latest month with recurring revenue up to as_of (else the current month)."""
        this_month = int(month_index(pd.Series([cal.as_of], dtype="datetime64[s]"))[0])
        latest = this_month
        if store.has("revenue"):
            months = store.tables["revenue"]["m"].to_numpy()
            months = months[months <= this_month]
            latest = int(months.max()) if len(months) else this_month
        start = date(latest // 12, latest % 12 + 1, 1)
        return cal.unit(start, "month", f"{start:%B %Y}", forward=False)

    # ------------------------------------------------------------ filters

    def deals(self, query: DealQuery, as_of: date | None = None, scope: frozenset[str] | None = None) -> DealResult:
        """A list of deals (contracts/cli.md, kind deals), within the asker's scope."""
        store = self.store
        cal = Calendar(self.as_of(as_of), store.fiscal_year_start_month)
        filters = {dim: self.source_values(store, "deals", dim, values) for dim, values in query.filters.items()}
        return self._list_deals(store, query, cal, filters, scope)

    def _list_deals(self, store: MetricsStore, query: DealQuery, cal: Calendar, filters: dict[str, list[str]],
                    scope: frozenset[str] | None) -> DealResult:
        """The list over the store's frames (the warehouse's picks its rows in SQL first)."""
        return list_deals(store, self.catalog, query, cal, filters, scope)

    def canonical_values(self, store: MetricsStore, kpi: Kpi, dim: str, values: list[str]) -> list[str]:
        """Filter values as the store spells them; an unknown value is a user error with suggestions."""
        source = "targets" if kpi.kind in ("target", "headcount") else KIND_FACT.get(kpi.kind, "deals")
        return self.source_values(store, source, dim, values)

    def source_values(self, store: MetricsStore, source: str, dim: str, values: list[str]) -> list[str]:
        lookup = store.cached(("lookup", source, dim), lambda: self._lookup(store, source, dim))
        out = []
        for value in values:
            hit = lookup.get(str(value).strip().casefold())
            if hit is None:
                close = difflib.get_close_matches(str(value).casefold(), list(lookup)[:20_000], n=3, cutoff=0.6)
                raise UnknownValue(dim, value, [lookup[c] for c in close])
            out.append(hit)
        return out

    @staticmethod
    def _lookup(store: MetricsStore, source: str, dim: str) -> dict[str, str]:
        """casefolded value or alias → the value as stored, for one dimension of one fact."""
        if dim == "owner":  # anyone who owns deals, has targets or is in the org; by id, name, email, Slack id
            known = {*store.values("reps", "rep_id"), *store.values("opportunities", "owner_id"),
                     *store.values("targets", "rep_id")}
            lookup = {k.casefold(): k for k in known}
            reps = store.tables.get("reps")
            if reps is not None:
                for col in ("name", "email", "slack_user_id"):
                    for alias, rep in zip(reps[col].astype("string"), reps["rep_id"].astype(str)):
                        if isinstance(alias, str):
                            lookup.setdefault(alias.casefold(), rep)
            return lookup
        if source == "targets":
            known = {*store.values("reps", dim), *store.values("targets", dim)}
        else:
            table, dims = FACTS[source]
            known = store.values(table, dims[dim])
        return {k.casefold(): k for k in known}

    # ------------------------------------------------------------ rows

    def _context(self, store: MetricsStore, plan: QueryPlan, period: Period | None, cal: Calendar,
                 filters: dict[str, list[str]], scope: frozenset[str] | None) -> Ctx:
        """What one query's formulas read (the warehouse backend's computes in SQL)."""
        return Ctx(store, self.catalog, plan, period, cal, filters, scope)

    def _rows(self, ctx: Ctx, kpi: Kpi, plan: QueryPlan) -> tuple[list[dict], int]:
        """The breakdown's rows in the order asked, and how many rows it has (before a threshold)."""
        grouped = compute(ctx, kpi, list(plan.group_by))
        grouped = self._with_empty_groups(ctx, kpi, plan, grouped.replace([np.inf, -np.inf], np.nan))
        groups = int(grouped.notna().sum())
        if plan.threshold is not None:  # a row without a value is on neither side of the line
            grouped = grouped[plan.threshold.holds(grouped).fillna(False).astype(bool)]
        time_dims = [d for d in plan.group_by if d in ("month", "quarter")]
        if time_dims and plan.limit is None:
            grouped = grouped.sort_index()
        else:  # ties and rows without a value in the labels' order, whatever order the backend gave them
            grouped = grouped.sort_index(na_position="last").sort_values(
                ascending=plan.order == "asc", na_position="last", kind="stable")
        if plan.limit:  # a ranking ranks the groups with a value ("top 3 regions by CAC payback"); "who won
            valued = grouped.dropna()  # the most" keeps the few who tie for first (both, at 48)
            grouped = valued.head(plan.limit)
            tied = valued.iloc[plan.limit:][valued.iloc[plan.limit:] == grouped.iloc[-1]] if len(grouped) else valued[:0]
            if plan.limit == 1 and 0 < len(tied) <= TIES_SHOWN:
                grouped = pd.concat([grouped, tied])
        keys = [key if isinstance(key, tuple) else (key,) for key in grouped.index]
        rows = [{dim: self._label(ctx, dim, k) for dim, k in zip(plan.group_by, key)} for key in keys]
        for dim in ("owner", "account"):
            if dim in plan.group_by:  # the names of the rows shown, looked up together
                names = ctx.store.names(dim, [r[dim] for r in rows if r[dim] is not None])
                for row in rows:
                    row[f"{dim}_name"] = names.get(row[dim])
        for row, value in zip(rows, grouped.to_numpy()):
            row["value"] = _clean(value)
        return rows, groups

    def _with_empty_groups(self, ctx: Ctx, kpi: Kpi, plan: QueryPlan, grouped: pd.Series) -> pd.Series:
        """The groups with no rows, at 0, beside the others when the KPI sums or counts: a rep who won
        nothing this month has won 0 deals, and is the first of "the bottom 3". One dimension only;
        not stages (a closed stage has no pipeline by definition), nor accounts (thousands) unless
        the question asks for those at 0 ("customers with no revenue this year")."""
        fact = zero_fact(kpi, self.catalog)
        dim = plan.group_by[0]
        zero_asked = plan.threshold is not None and bool(plan.threshold.holds(0.0))
        if fact is None or len(plan.group_by) != 1 or dim == "stage" or dim == "account" and not zero_asked:
            return grouped
        if dim in ("month", "quarter"):
            members = self._times(ctx, dim, ctx.first_month(fact))
        else:
            members = ctx.members(fact, dim)
            if dim == "owner":  # not those who have left (their old deals are in the data), and the new hires
                members = members - self._left(ctx) | self._sellers(ctx)
        missing = sorted(members.difference(grouped.index))
        if not missing:
            return grouped
        return pd.concat([grouped, pd.Series(0.0, index=pd.Index(missing, dtype=object, name=dim))])

    @staticmethod
    def _times(ctx: Ctx, dim: str, since: int | None) -> set[int]:
        """The months (or quarters) of the period asked, as the breakdown keys them, from the fact's first
        data on (a month before the data began has no figure, not 0); none without a period."""
        if ctx.period is None or since is None:
            return set()
        first = max(ctx.period.start.year * 12 + ctx.period.start.month - 1, since)
        last = ctx.period.end.year * 12 + ctx.period.end.month - 1
        months = range(first, last + 1)
        return set(months) if dim == "month" else {(m - (ctx.cal.fy_start - 1)) // 3 for m in months}

    @staticmethod
    def _sellers(ctx: Ctx) -> set[str]:
        """The active reps within scope and filters (a new hire owns no deals yet)."""
        ids = active_reps(ctx.store, ctx.filters)
        return ids if ctx.scope is None else ids & ctx.scope

    @staticmethod
    def _left(ctx: Ctx) -> set[str]:
        """The reps the reps table marks inactive."""
        reps = ctx.store.tables.get("reps")
        if reps is None or "active" not in reps.columns:
            return set()
        return {str(r) for r in reps["rep_id"][~reps["active"].fillna(True).to_numpy(dtype=bool)]}

    @staticmethod
    def _label(ctx: Ctx, dim: str, key: object) -> str | None:
        if key is None or (isinstance(key, float) and np.isnan(key)) or key is pd.NA:
            return None
        if dim == "month":
            m = int(key)
            return f"{m // 12}-{m % 12 + 1:02d}"
        if dim == "quarter":
            first = int(key) * 3 + ctx.cal.fy_start - 1
            return ctx.cal.quarter_label(date(first // 12, first % 12 + 1, 1))
        return str(key)

    # ------------------------------------------------------------ notes

    def _freshness_note(self, ctx: Ctx, period: Period | None, store: MetricsStore, cal: Calendar) -> None:
        latest = store.cached("latest_date", store.latest_date) or cal.as_of
        end = period.end if period is not None else cal.as_of
        if latest < min(end, cal.as_of) - timedelta(days=1):
            ctx.note("latest_data", date=latest.isoformat())


# The reps table's columns for the filters it can answer.
REP_COLUMNS = {"owner": "rep_id", "region": "region", "team": "team"}


def active_reps(store: MetricsStore, filters: dict[str, list[str]], strict: bool = True) -> set[str]:
    """The active reps (role rep) of the reps table within filters on owner, region or team. A filter on
    another dimension makes it none when `strict` (who sells what product is in the deals), else is
    passed over (the team's reps, for its average per rep)."""
    reps = store.tables.get("reps")
    if reps is None or "role" not in reps.columns or strict and any(d not in REP_COLUMNS for d in filters):
        return set()
    keep = (reps["role"].astype("string") == "rep").fillna(False).to_numpy(dtype=bool)
    if "active" in reps.columns:
        keep &= reps["active"].fillna(True).to_numpy(dtype=bool)
    for dim, values in filters.items():
        column = REP_COLUMNS.get(dim)
        if column is not None and column in reps.columns:
            keep &= reps[column].astype("string").isin(values).fillna(False).to_numpy(dtype=bool)
        elif strict:
            return set()
    return {str(r) for r in reps["rep_id"][keep]}


def _clean(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return value if np.isfinite(value) else None
