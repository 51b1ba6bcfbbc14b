"""Formula kinds: how each kind of KPI is computed (contracts/kpis.md).

A formula takes the query context, the KPI and the dimensions to group by, and returns
the KPI's value: a float over the whole scope (NaN: no value) when `by` is empty, else a
Series with one value per group. Catalog entries pick a kind and fill its parameters;
kinds that combine other KPIs (ratio, growth, scale) call `compute` on them.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from bot.errors import PlanError
from bot.metrics.catalog import Kpi
from bot.metrics.context import Ctx, Value, stage_probabilities
from bot.metrics.fx import month_index
from bot.metrics.periods import Period
from bot.metrics.store import MetricsStore

Formula = Callable[[Ctx, Kpi, list[str]], Value]
FORMULAS: dict[str, Formula] = {}


def registrar(registry: dict[str, Callable]) -> Callable[[str], Callable[[Callable], Callable]]:
    """A decorator filing a formula kind's function under its name in `registry` (the file store's
    here, the warehouse's SQL kinds in bot/metrics/warehouse.py)."""
    def kind(name: str) -> Callable[[Callable], Callable]:
        def register(fn: Callable) -> Callable:
            registry[name] = fn
            return fn
        return register
    return kind


formula = registrar(FORMULAS)


def compute(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    """The KPI's value (over `by`). A context that computes on its own (the warehouse's, whose
    formula kinds are SQL, bot/metrics/warehouse.py) does: ratio, scale and growth below then
    combine its values with the same arithmetic."""
    if hasattr(ctx, "compute"):
        return ctx.compute(kpi, by)
    return FORMULAS[kpi.kind](ctx, kpi, by)


def compute_id(ctx: Ctx, kpi_id: str, by: list[str]) -> Value:
    return compute(ctx, ctx.catalog.kpis[kpi_id], by)


def _require(ctx: Ctx, table: str, kpi: Kpi) -> None:
    if not ctx.store.has(table):
        raise PlanError(f"{kpi.title} is not available in this store: it needs the {table} table, "
                        "which is missing or empty.")


# ---------------------------------------------------------------- deals

DEAL_DATE = {"won": "close_date", "lost": "close_date", "open": "close_date", "first_win": "close_date",
             "created": "created_date"}
DEAL_MONTH = {"close_date": "close_m", "created_date": "created_m"}


def deal_mask(ctx: Ctx, spec: dict) -> np.ndarray:
    """The deals a formula counts: scope and filters, the deal set, the period, any `where`."""
    key = ("deals", spec["deals"], repr(spec.get("where")), ctx.period)
    return ctx.memo(key, lambda: _deal_mask(ctx, spec))


def _deal_mask(ctx: Ctx, spec: dict) -> np.ndarray:
    which = spec["deals"]
    mask = ctx.base_mask("deals").copy()
    if which == "won":
        mask &= ctx.array("deals", "is_won")
    elif which == "first_win":
        mask &= ctx.array("deals", "first_win")
    elif which == "lost":
        mask &= ctx.array("deals", "is_closed") & ~ctx.array("deals", "is_won")
    elif which == "open":
        mask &= ~ctx.array("deals", "is_closed")
    if which != "open" or ctx.period is not None:
        mask &= ctx.in_period("deals", DEAL_DATE[which])
    where = spec.get("where")
    if where == "partner":
        mask &= ctx.match("deals", "source", ["partner"]) | ctx.array("deals", "has_partner")
    elif isinstance(where, dict):
        for col, value in where.items():
            mask &= ctx.match("deals", col, [value])
    return mask


def _deal_values(ctx: Ctx, spec: dict) -> np.ndarray:
    amount = ctx.array("deals", "amount")
    if spec.get("weight") == "probability":
        return weighted_amounts(ctx, amount)
    return amount


def weighted_amounts(ctx: Ctx, amount: np.ndarray) -> np.ndarray:
    """Each deal's amount times its probability, or its stage's default from the catalog where the
    row has none. Made per question (a few milliseconds), not kept: 8 MB at 1M deals."""
    prob = ctx.array("deals", "probability")
    out = amount * prob
    lacking = np.flatnonzero(np.isnan(prob))
    if len(lacking):
        default = stage_probabilities(ctx.store, ctx.catalog, ctx.catalog.setting("open_probability_default", 0.3))
        out[lacking] = amount[lacking] * default[ctx.array("deals", "stage")[lacking]]
    return out


def _month_col(spec: dict) -> str:
    return DEAL_MONTH[DEAL_DATE[spec["deals"]]]


def _note_amounts(ctx: Ctx, mask: np.ndarray, values: np.ndarray) -> None:
    lacking = int(np.isnan(values).sum())
    if lacking:
        ctx.note("missing_amounts", n=lacking, total=int(mask.sum()))
    codes = ctx.array("deals", "currency")[mask]
    if len(codes):
        cats = ctx.store.deals["currency"].cat.categories
        used = [str(cats[i]) for i in np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(cats)))]
        foreign = [c for c in used if c in ctx.store.fx.rates]  # without fx_rates nothing was converted
        if foreign:
            ctx.note("converted", currencies=tuple(foreign), base=ctx.store.base_currency)


def _note_empty(ctx: Ctx, mask: np.ndarray, what: str) -> None:
    if not mask.any():
        ctx.note("no_data", what=what)


@formula("deal_sum")
def deal_sum(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    spec = kpi.formula
    mask = deal_mask(ctx, spec)
    values = _deal_values(ctx, spec)
    if not by:
        picked = values[mask]
        _note_amounts(ctx, mask, picked)
        _note_empty(ctx, mask, "deals")
        return float(np.nansum(picked))
    return ctx.reduce("deals", mask, by, _month_col(spec), values, "sum")


@formula("deal_count")
def deal_count(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    spec = kpi.formula
    mask = deal_mask(ctx, spec)
    if not by:
        _note_empty(ctx, mask, "deals")
        return float(np.count_nonzero(mask))
    return ctx.reduce("deals", mask, by, _month_col(spec))


@formula("deal_mean")
def deal_mean(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    spec = kpi.formula
    mask = deal_mask(ctx, spec)
    values = ctx.array("deals", "amount")
    if not by:
        picked = values[mask]
        _note_amounts(ctx, mask, picked)
        return float(np.nanmean(picked)) if np.isfinite(picked).any() else np.nan
    return ctx.reduce("deals", mask, by, _month_col(spec), values, "mean")


@formula("deal_cycle")
def deal_cycle(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    spec = kpi.formula
    mask = deal_mask(ctx, spec)
    created, closed = ctx.array("deals", "created_date"), ctx.array("deals", "close_date")
    if not by:
        days = (closed[mask] - created[mask]) / 86400.0
        return float(days.mean()) if len(days) else np.nan
    return ctx.reduce("deals", mask, by, _month_col(spec), (closed - created) / 86400.0, "mean")


def _need_period(ctx: Ctx, what: str) -> Period:
    if ctx.period is None:
        raise PlanError(f"{what} need a period (e.g. 'last quarter'), not all time.")
    return ctx.period


# ---------------------------------------------------------------- combinations

def _divide(num: Value, den: Value) -> Value:
    if isinstance(num, pd.Series) or isinstance(den, pd.Series):
        num, den = _align(num, den)
        out = num / den.where(den != 0)
        return out.replace([np.inf, -np.inf], np.nan)
    return num / den if den and np.isfinite(den) and np.isfinite(num) else np.nan


def _align(a: Value, b: Value) -> tuple[pd.Series, pd.Series]:
    if not isinstance(a, pd.Series):
        a = pd.Series(a, index=b.index)
    if not isinstance(b, pd.Series):
        b = pd.Series(b, index=a.index)
    index = a.index.union(b.index, sort=False)
    return a.reindex(index, fill_value=0.0), b.reindex(index, fill_value=0.0)


def _add(values: list[Value]) -> Value:
    total = values[0]
    for v in values[1:]:
        if isinstance(total, pd.Series) or isinstance(v, pd.Series):
            a, b = _align(total, v)
            total = a + b
        else:
            total = total + v
    return total


@formula("ratio")
def ratio(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    num = compute_id(ctx, kpi.formula["num"], by)
    den = _add([compute_id(ctx, d, by) for d in kpi.formula["den"]])
    if not by and not (den and np.isfinite(den)):
        ctx.note("no_value", kpi=kpi.id, den=tuple(kpi.formula["den"]))
    return _divide(num, den)


@formula("scale")
def scale(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    return compute_id(ctx, kpi.formula["of"], by) * float(kpi.formula["factor"])


@formula("growth")
def growth(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    months = 12 if ctx.plan.compare == "year_ago" else None
    prev_period = _need_period(ctx, "Growth").previous(months)
    current = compute_id(ctx, kpi.formula["of"], by)
    previous = compute_id(ctx.with_period(prev_period), kpi.formula["of"], by)
    if not by:
        ctx.note("compared_with", start=prev_period.start.isoformat(), end=prev_period.end.isoformat())
    return _divide(_add([current, -previous]), previous)


# ---------------------------------------------------------------- other tables

def _simple(ctx: Ctx, fact: str, mask: np.ndarray, by: list[str], month_col: str,
            columns: dict[str, np.ndarray], reduce: Callable[[pd.DataFrame], float],
            greduce: Callable[[object], pd.Series]) -> Value:
    if not by:
        return reduce(pd.DataFrame({k: v[mask] for k, v in columns.items()}))
    return greduce(ctx.grouper(ctx.group(fact, mask, by, month_col, columns), by))


@formula("lead_count")
def lead_count(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "leads", kpi)
    mask = ctx.base_mask("leads") & ctx.in_period("leads", "created_date")
    if kpi.formula.get("converted"):  # leads_converted: those of them that converted
        converted = ctx.array("leads", "converted_date") != np.iinfo(np.int64).min
        _note_empty(ctx, mask, "leads")
        mask = mask & converted
    elif not by:
        _note_empty(ctx, mask, "leads")
    if not by:
        return float(mask.sum())
    return ctx.reduce("leads", mask, by, "m")


@formula("lead_conversion")
def lead_conversion(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "leads", kpi)
    mask = ctx.base_mask("leads") & ctx.in_period("leads", "created_date")
    converted = ctx.array("leads", "converted_date") != np.iinfo(np.int64).min
    _note_empty(ctx, mask, "leads")
    return _simple(ctx, "leads", mask, by, "m", {"c": converted.astype("float64")},
                   lambda f: float(f["c"].mean()) if len(f) else np.nan, lambda g: g["c"].mean())


@formula("spend")
def spend(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "marketing_spend", kpi)
    mask = ctx.base_mask("spend") & ctx.in_period("spend", "month")
    return _simple(ctx, "spend", mask, by, "m", {"v": ctx.array("spend", "amount")},
                   lambda f: float(f["v"].sum()), lambda g: g["v"].sum())


@formula("marketing_roi")
def marketing_roi(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    inbound = {"deals": "won", "where": {"source": "inbound"}}
    mask = deal_mask(ctx, inbound)
    amount = ctx.array("deals", "amount")
    if by:
        won = ctx.reduce("deals", mask, by, "close_m", amount)
    else:
        won = float(np.nansum(amount[mask]))
    cost = compute_id(ctx, "marketing_spend", by)
    if not by and not cost:
        ctx.note("no_spend")
    return _divide(_add([won, -cost]), cost)


@formula("nps")
def nps(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "nps_responses", kpi)
    mask = ctx.base_mask("nps") & ctx.in_period("nps", "response_date")
    score = ctx.array("nps", "score")
    cols = {"p": (score >= 9).astype("float64"), "d": (score <= 6).astype("float64")}
    _note_empty(ctx, mask, "nps")
    return _simple(ctx, "nps", mask, by, "m", cols,
                   lambda f: float((f["p"].mean() - f["d"].mean()) * 100) if len(f) else np.nan,
                   lambda g: (g["p"].mean() - g["d"].mean()) * 100)


@formula("case_resolution")
def case_resolution(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "support_cases", kpi)
    mask = ctx.base_mask("cases") & ctx.in_period("cases", "resolved_at")
    hours = (ctx.array("cases", "resolved_at") - ctx.array("cases", "opened_at")) / 3600.0
    _note_empty(ctx, mask, "cases")
    return _simple(ctx, "cases", mask, by, "rm", {"h": hours},
                   lambda f: float(f["h"].median()) if len(f) else np.nan, lambda g: g["h"].median())


@formula("headcount")
def headcount(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "reps", kpi)
    reps = ctx.store.tables["reps"]
    keep = reps["active"].to_numpy(dtype=bool) & (reps["role"] == "rep").to_numpy()
    column = {"owner": "rep_id"}  # "how many reps are in my team": the team as its people
    for dim, values in ctx.filters.items():
        keep &= reps[column.get(dim, dim)].isin(values).to_numpy()
    picked = reps.loc[keep]
    if not by:
        return float(len(picked))
    keys = [picked[column.get(d, d)].rename(d) for d in by]
    return picked.groupby(keys, observed=True, dropna=False).size().astype("float64")


@formula("target")
def target(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    """Targets set for periods within the named period, at the level the question asks about."""
    _require(ctx, "targets", kpi)
    # Deal rows narrowed to the owners the asker may see (a manager's breakdown by rep) meet those
    # owners' own targets: the company's would make the overall their revenue over everyone's target.
    level = next((d for d in ("owner", "team", "region") if d in by or d in ctx.filters),
                 "owner" if ctx.scope is not None else "company")
    rows = _targets_by_level(ctx).get(level)
    if rows is None:
        return 0.0 if not by else pd.Series(dtype="float64")
    if ctx.period is not None:
        start, end = pd.Timestamp(ctx.period.start), pd.Timestamp(ctx.period.nominal_end)
        within = rows[(rows["period_start"] >= start) & (rows["period_end"] <= end)]
        if not by and ctx.period.end < ctx.period.nominal_end and len(within):
            ctx.note("whole_target", end=ctx.period.nominal_end.isoformat())
        spans = rows[(rows["period_start"] <= start) & (rows["period_end"] >= end)]
        if not by and within.empty and len(spans):  # "quota this month" where targets are set per quarter
            first = spans.sort_values("period_start").iloc[0]
            ctx.note("target_spans", start=first["period_start"].date().isoformat(),
                     end=first["period_end"].date().isoformat())
        rows = within
    for dim, values in ctx.filters.items():
        rows = rows[rows[dim].isin(values)]
    if ctx.scope is not None and level == "owner":
        rows = rows[rows["owner"].isin(ctx.scope)]
    if not by:
        return float(rows["amount"].sum())
    return rows.groupby(by, observed=True, dropna=False)["amount"].sum()


def _targets_by_level(ctx: Ctx) -> dict[str, pd.DataFrame]:
    """Targets split by level (owner, team, region, company), with the owner's team and region."""
    return ctx.store.cached("targets", lambda: _split_targets(ctx.store))


def _split_targets(store: MetricsStore) -> dict[str, pd.DataFrame]:
    t = store.tables["targets"].copy()
    t["owner"] = t["rep_id"].astype("string")
    level = np.where(t["owner"].notna(), "owner",
                     np.where(t["team"].notna(), "team", np.where(t["region"].notna(), "region", "company")))
    reps = store.tables.get("reps")
    if reps is not None:
        by_rep = reps.set_index(reps["rep_id"].astype(str))
        t["team"] = t["team"].astype("string").fillna(t["owner"].map(by_rep["team"].astype("string")))
        t["region"] = t["region"].astype("string").fillna(t["owner"].map(by_rep["region"].astype("string")))
        # a team's own target row is in its reps' region ("quota attainment by team in DACH" found none)
        teams = reps.dropna(subset=["team", "region"]).astype({"team": "string", "region": "string"})
        t["region"] = t["region"].fillna(t["team"].map(teams.groupby("team")["region"].first()))
    t = t.astype({"owner": "category", "team": "category", "region": "category"})
    return {name: t[level == name] for name in ("owner", "team", "region", "company")}


# ---------------------------------------------------------------- recurring revenue

def _months(ctx: Ctx) -> tuple[int, int]:
    """(first, last) month index of the period."""
    p = _need_period(ctx, "Recurring-revenue KPIs")
    first, last = month_index(pd.Series([p.start, p.end], dtype="datetime64[s]"))
    return int(first), int(last)


@formula("mrr")
def mrr(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "revenue", kpi)
    first, last = _months(ctx)
    months = ctx.array("revenue", "m")
    value = ctx.array("revenue", "mrr")
    time_dims = [d for d in by if d in ("month", "quarter")]
    if not time_dims:
        mask = ctx.base_mask("revenue") & (months == last)
        if not by:
            _note_empty(ctx, mask, "mrr")
            return float(np.nansum(value[mask]))
        return ctx.grouper(ctx.group("revenue", mask, by, "m", {"v": value}), by)["v"].sum()
    # Over time: each month's total, and for a quarter the total of its last month in the period.
    mask = ctx.base_mask("revenue") & (months >= first) & (months <= last)
    frame = ctx.group("revenue", mask, by, "m", {"v": value, "_m": months})
    if "quarter" in time_dims:
        last_in_group = ctx.grouper(frame, by)["_m"].transform("max")
        frame = frame[frame["_m"] == last_in_group]
    return ctx.grouper(frame, by)["v"].sum()


@formula("retention")
def retention(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    """Logo churn, revenue churn, NRR and LTV from accounts' MRR before and at the end of the period."""
    _require(ctx, "revenue", kpi)
    return retention_measure(ctx, kpi, by, _retention_parts(ctx, by))


def retention_measure(ctx: Ctx, kpi: Kpi, by: list[str], parts: dict[str, Value]) -> Value:
    """The KPI's measure from the accounts' parts summed (the warehouse sums them in SQL)."""
    measure = kpi.formula["measure"]
    if measure == "logo_churn":
        out = _divide(parts["churned"], parts["base"])
    elif measure == "revenue_churn":
        out = _divide(parts["churned_mrr"], parts["base_mrr"])
    elif measure == "nrr":
        out = _divide(parts["kept_mrr"], parts["base_mrr"])
    else:  # ltv
        first, last = _months(ctx)
        monthly_churn = _divide(parts["churned"], parts["base"])
        monthly_churn = monthly_churn / (last - first + 1)
        arpa = _divide(parts["end_mrr"], parts["paying"])
        out = _divide(arpa * float(ctx.catalog.setting("gross_margin", 1.0)), monthly_churn)
        if not by and not parts["churned"]:
            ctx.note("ltv_unbounded")
    if not by and not parts["base"]:
        ctx.note("no_base_accounts")
    return out


def _retention_parts(ctx: Ctx, by: list[str]) -> dict[str, Value]:
    first, last = _months(ctx)
    rev = ctx.store.tables["revenue"]
    months, value = ctx.array("revenue", "m"), ctx.array("revenue", "mrr")
    acct = ctx.array("revenue", "account_id")
    n = len(rev["account_id"].cat.categories)
    mask = ctx.base_mask("revenue") & (acct >= 0)
    before = np.bincount(acct[mask & (months == first - 1)], weights=value[mask & (months == first - 1)], minlength=n)
    end = np.bincount(acct[mask & (months == last)], weights=value[mask & (months == last)], minlength=n)
    base = before > 0
    cols = {
        "base": base, "churned": base & ~(end > 0), "paying": end > 0,
        "base_mrr": np.where(base, before, 0.0), "churned_mrr": np.where(base & ~(end > 0), before, 0.0),
        "kept_mrr": np.where(base, end, 0.0), "end_mrr": np.where(end > 0, end, 0.0),
    }
    cols = {k: v.astype("float64") for k, v in cols.items()}
    if not by:
        return {k: float(v.sum()) for k, v in cols.items()}
    dims = _account_dims(ctx)
    frame = pd.DataFrame({f"_g{i}": dims[d] for i, d in enumerate(by)} | cols)
    sums = ctx.grouper(frame, by).sum()
    return {k: sums[k] for k in cols}


def _account_dims(ctx: Ctx) -> dict[str, pd.Categorical]:
    """Per account code of the revenue table: its segment, industry, country and region."""
    return ctx.store.cached("account_dims", lambda: _per_account(ctx.store.tables["revenue"]))


def _per_account(rev: pd.DataFrame) -> dict[str, pd.Categorical]:
    first_row = rev.drop_duplicates("account_id")
    order = first_row["account_id"].cat.codes.to_numpy()
    dims = {}
    for dim in ("segment", "industry", "country", "region"):
        col = first_row[dim]
        codes = np.full(len(rev["account_id"].cat.categories), -1, dtype=col.cat.codes.dtype)
        codes[order[order >= 0]] = col.cat.codes.to_numpy()[order >= 0]
        dims[dim] = pd.Categorical.from_codes(codes, dtype=col.dtype)
    return dims


@formula("cac_payback")
def cac_payback(ctx: Ctx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "revenue", kpi)
    cac = compute_id(ctx, "cac", by)
    mask = deal_mask(ctx, {"deals": "first_win"})
    codes = ctx.array("deals", "account_id")[mask]
    mrr0 = np.where(codes >= 0, _first_mrr_by_account(ctx)[codes], np.nan)
    gm = float(ctx.catalog.setting("gross_margin", 1.0))
    if not by:
        mean = float(np.nanmean(mrr0)) if np.isfinite(mrr0).any() else np.nan
        return _divide(cac, gm * mean)
    frame = ctx.group("deals", mask, by, "close_m", {})
    frame["v"] = mrr0
    return _divide(cac, ctx.grouper(frame, by)["v"].mean() * gm)


def _first_mrr_by_account(ctx: Ctx) -> np.ndarray:
    """Each deal account's first MRR (NaN: none), by the code of the deals' account_id. Made once,
    by Arrow's hash look-up: a pandas reindex by the account ids kept a hash table of 105,000
    Python strings (10 MB at 1M deals) for every later question."""
    def make() -> np.ndarray:
        import pyarrow as pa
        import pyarrow.compute as pc

        first = ctx.store.tables["first_mrr"]["first_mrr"]
        accounts = ctx.store.deals["account_id"].cat.categories
        at = pc.index_in(pa.array(accounts.astype(str).to_numpy(dtype=object)),
                         value_set=pa.array(first.index.astype(str).to_numpy(dtype=object)))
        at = at.fill_null(-1).to_numpy()
        return np.where(at >= 0, first.to_numpy(dtype="float64")[at], np.nan)

    return ctx.store.cached("first_mrr_by_account", make)


KIND_TABLES = {
    "deal_sum": {"opportunities"}, "deal_count": {"opportunities"}, "deal_mean": {"opportunities"},
    "deal_cycle": {"opportunities"}, "lead_count": {"leads"}, "lead_conversion": {"leads"},
    "spend": {"marketing_spend"}, "marketing_roi": {"opportunities", "marketing_spend"},
    "nps": {"nps_responses"}, "case_resolution": {"support_cases"}, "headcount": {"reps"},
    "target": {"targets"}, "mrr": {"revenue"}, "retention": {"revenue"},
    "cac_payback": {"opportunities", "marketing_spend", "revenue"},
}


def required_tables(kpi: Kpi, catalog) -> set[str]:
    """The store tables a KPI needs, following the KPIs its formula combines."""
    tables = set(KIND_TABLES.get(kpi.kind, ()))
    for ref in [kpi.formula.get("of"), kpi.formula.get("num"), *kpi.formula.get("den", [])]:
        if ref:
            tables |= required_tables(catalog.kpis[ref], catalog)
    return tables
