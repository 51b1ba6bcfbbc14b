"""What one query execution needs: the store's arrays, the plan's filters as masks, group keys.

Masks are numpy booleans over a fact table's rows, built once per query and shared by
every formula that asks for them (a ratio's numerator and denominator, the value and
the breakdown). Scope and filters are applied here, before any aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import numpy as np
import pandas as pd

from bot.metrics.catalog import Catalog
from bot.metrics.periods import Calendar, Period
from bot.metrics.plan import QueryPlan
from bot.metrics.store import MetricsStore

# fact -> (table, dimension -> column). Dimensions not listed cannot filter that fact.
FACTS: dict[str, tuple[str, dict[str, str]]] = {
    "deals": ("opportunities", {
        "region": "region", "team": "team", "owner": "owner_id", "account": "account_id", "segment": "segment",
        "industry": "industry",
        "country": "country", "product_line": "product_line", "type": "type", "source": "source", "stage": "stage"}),
    "revenue": ("revenue", {"region": "region", "segment": "segment", "industry": "industry", "country": "country"}),
    "leads": ("leads", {"region": "region", "source": "source"}),
    "spend": ("marketing_spend", {"region": "region", "channel": "channel"}),
    "nps": ("nps_responses", {"region": "region", "segment": "segment", "industry": "industry", "country": "country"}),
    "cases": ("support_cases", {"region": "region", "segment": "segment", "industry": "industry", "country": "country"}),
}

# The month column that dates a fact's first data (Ctx.first_month); "m" where not named.
FIRST_MONTH = {"deals": "created_m"}


@dataclass(frozen=True)
class Note:
    """A caveat for the answer, as a message code and its parameters (worded per language later)."""

    code: str
    params: tuple[tuple[str, object], ...] = ()

    def get(self, name: str) -> object:
        return dict(self.params)[name]


Grouped = pd.Series  # index: group labels; values: the KPI per group
Value = float | Grouped


def day_seconds(d: date) -> int:
    return int(np.datetime64(d, "s").astype("int64"))


@dataclass
class Ctx:
    store: MetricsStore
    catalog: Catalog
    plan: QueryPlan
    period: Period | None
    cal: Calendar
    filters: dict[str, list[str]]  # canonical values, already checked against the store
    scope: frozenset[str] | None = None  # owner ids the asker may see deal-level; None = all
    notes: list[Note] = field(default_factory=list)
    cache: dict = field(default_factory=dict)

    # ---------------------------------------------------------- arrays

    def frame(self, fact: str) -> pd.DataFrame:
        return self.store.tables[FACTS[fact][0]]

    def array(self, fact: str, column: str) -> np.ndarray:
        """A column as a plain numpy array, cached on the store (categoricals as codes)."""
        return store_array(self.store, FACTS[fact][0], column)

    def memo(self, key: tuple, make: Callable[[], object]) -> object:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def with_period(self, period: Period | None) -> "Ctx":
        return Ctx(self.store, self.catalog, self.plan, period, self.cal, self.filters, self.scope, self.notes)

    def note(self, code: str, **params: object) -> None:
        note = Note(code, tuple(sorted(params.items())))
        if note not in self.notes:
            self.notes.append(note)

    # ---------------------------------------------------------- masks

    def base_mask(self, fact: str) -> np.ndarray:
        """Scope and the plan's filters over a fact's rows."""
        return self.memo(("base", fact), lambda: self._base_mask(fact))

    def _base_mask(self, fact: str) -> np.ndarray:
        mask = filter_mask(self.store, fact, self.filters, self.scope)
        if fact == "deals" and self.plan.amount_min is not None:  # ("win rate on deals over 100k"; NaN: no size)
            mask &= self.array("deals", "amount") > self.plan.amount_min
        if fact == "deals" and self.plan.amount_max is not None:
            mask &= self.array("deals", "amount") < self.plan.amount_max
        return mask

    def members(self, fact: str, dim: str) -> set[str]:
        """The values of a dimension among the fact's rows in scope and filters, in any period."""
        column = FACTS[fact][1][dim]
        labels = self.frame(fact)[column].cat.categories
        # counted, not sorted: a breakdown's hot path (a million codes at 1M deals); code -1 (none) is bin 0
        seen = np.bincount(self.array(fact, column)[self.base_mask(fact)] + 1, minlength=len(labels) + 1)
        return {str(labels[c - 1]) for c in np.flatnonzero(seen[1:]) + 1}

    def first_month(self, fact: str) -> int | None:
        """The fact's first month with data (a month number), where a breakdown by month may start."""
        def make() -> int | None:
            months = self.array(fact, FIRST_MONTH.get(fact, "m"))
            known = months[months >= 0]
            return int(known.min()) if len(known) else None

        return self.store.cached(("first_month", fact), make)

    def match(self, fact: str, column: str, values: list[str]) -> np.ndarray:
        return _match(self.store, FACTS[fact][0], column, values)

    def in_period(self, fact: str, column: str, period: Period | None = None) -> np.ndarray:
        """Rows whose date column falls in the period (all rows with a date when there is none)."""
        period = period if period is not None else self.period
        key = ("period", fact, column, period)
        return self.memo(key, lambda: self._in_period(fact, column, period))

    def _in_period(self, fact: str, column: str, period: Period | None) -> np.ndarray:
        secs = self.array(fact, column)
        if period is None:
            return secs != np.iinfo(np.int64).min
        lo, hi = day_seconds(period.start), day_seconds(period.end + timedelta(days=1))
        return (secs >= lo) & (secs < hi)

    # ---------------------------------------------------------- grouping

    def key(self, fact: str, dim: str, month_column: str, mask: np.ndarray) -> pd.Categorical | np.ndarray:
        """Group labels for the masked rows: categoricals for labels, month/quarter numbers for time."""
        if dim in ("month", "quarter"):
            months = self.array(fact, month_column)[mask]
            return months if dim == "month" else (months - (self.cal.fy_start - 1)) // 3
        column = FACTS[fact][1][dim]
        codes = self.array(fact, column)[mask]
        return pd.Categorical.from_codes(codes, dtype=self.frame(fact)[column].dtype)

    def reduce(self, fact: str, mask: np.ndarray, by: list[str], month_column: str,
               values: np.ndarray | None = None, how: str = "sum") -> Grouped:
        """Sum, count or mean of the masked rows per group.

        Group keys are small integers already (category codes, month numbers), so one
        np.bincount over a combined key does what a pandas groupby does, without
        factorising anything: this is the hot path of breakdowns."""
        parts = [self._codes(fact, dim, month_column, mask) for dim in by]
        key = np.zeros(int(mask.sum()), dtype=np.int64)
        for codes, labels in parts:
            key = key * (len(labels) + 1) + (codes + 1)  # +1: code -1 (no value) gets its own group
        size = int(np.prod([len(labels) + 1 for _, labels in parts]))
        count = np.bincount(key, minlength=size)
        if values is None:
            out = count.astype("float64")
        else:
            v = values[mask]
            known = ~np.isnan(v)
            total = np.bincount(key, weights=np.where(known, v, 0.0), minlength=size)
            out = total if how == "sum" else total / np.maximum(np.bincount(key, weights=known, minlength=size), 1)
            if how == "mean":
                out[np.bincount(key, weights=known, minlength=size) == 0] = np.nan
        present = np.flatnonzero(count)
        return pd.Series(out[present], index=self._index(present, parts, by))

    def _codes(self, fact: str, dim: str, month_column: str, mask: np.ndarray) -> tuple[np.ndarray, list]:
        """Integer codes of the masked rows for one dimension (-1: no value) and their labels."""
        if dim in ("month", "quarter"):
            months = self.array(fact, month_column)[mask]
            keys = months if dim == "month" else (months - (self.cal.fy_start - 1)) // 3
            known = keys[months >= 0]
            lo = int(known.min()) if len(known) else 0
            hi = int(known.max()) if len(known) else -1
            return np.where(months >= 0, keys - lo, -1), list(range(lo, hi + 1))
        column = FACTS[fact][1][dim]
        return self.array(fact, column)[mask].astype(np.int64), list(self.frame(fact)[column].cat.categories)

    @staticmethod
    def _index(present: np.ndarray, parts: list[tuple[np.ndarray, list]], by: list[str]) -> pd.Index:
        levels = []
        rest = present
        for _codes, labels in reversed(parts):
            width = len(labels) + 1
            pos = rest % width
            rest = rest // width
            lookup = np.array([None, *labels], dtype=object)
            levels.append(lookup[pos])
        levels.reverse()
        if len(levels) == 1:
            return pd.Index(levels[0], name=by[0])
        return pd.MultiIndex.from_arrays(levels, names=by)

    def group(self, fact: str, mask: np.ndarray, by: list[str], month_column: str,
              columns: dict[str, np.ndarray]) -> pd.DataFrame:
        """A groupby-ready frame of the masked rows: the group keys plus the given value columns."""
        data = {f"_g{i}": self.key(fact, dim, month_column, mask) for i, dim in enumerate(by)}
        data.update({name: values[mask] for name, values in columns.items()})
        return pd.DataFrame(data)

    def grouper(self, frame: pd.DataFrame, by: list[str]):
        return frame.groupby([f"_g{i}" for i in range(len(by))], observed=True, dropna=False, sort=False)


def filter_mask(store: MetricsStore, fact: str, filters: dict[str, list[str]],
                scope: frozenset[str] | None) -> np.ndarray:
    """Scope and filters over a fact's rows: the one place where rows are narrowed before any sum."""
    table, dims = FACTS[fact]
    mask = np.ones(len(store.tables[table]), dtype=bool)
    for dim, values in filters.items():
        mask &= _match(store, table, dims[dim], values)
    if scope is not None and fact == "deals":
        mask &= _match(store, table, "owner_id", sorted(scope))
    return mask


def _match(store: MetricsStore, table: str, column: str, values: list[str]) -> np.ndarray:
    codes = store_array(store, table, column)
    wanted = store.tables[table][column].cat.categories.get_indexer(values)
    wanted = wanted[wanted >= 0]
    return codes == wanted[0] if len(wanted) == 1 else np.isin(codes, wanted)


def store_array(store: MetricsStore, table: str, column: str) -> np.ndarray:
    """A column as a plain, read-only numpy array, made once per store: codes, int64 seconds,
    integers as stored, bools or floats. A view of the column wherever its dtype allows."""
    return store.cached(("array", table, column), lambda: _to_array(store.tables[table][column]))


def _to_array(s: pd.Series) -> np.ndarray:
    # Categorical.codes is a view; Series.cat.codes copies them (pandas 3 copies an ndarray into a
    # new Series), and int32 month numbers widened to int64 were copies too: 77 MB at 1M deals.
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.array.codes
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.to_numpy(dtype="datetime64[s]").view("int64")
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=bool, na_value=False)
    if pd.api.types.is_integer_dtype(s) and not s.hasnans:
        return s.to_numpy(dtype=getattr(s.dtype, "numpy_dtype", s.dtype))  # (a nullable Int64 without gaps: int64)
    return s.to_numpy(dtype="float64", na_value=np.nan)


def stage_probabilities(store: MetricsStore, catalog: Catalog, otherwise: float) -> np.ndarray:
    """The catalog's default probability per stage code of the deals, and `otherwise` for stages it
    does not name; the last entry, which code -1 (no stage) takes, is `otherwise` too."""
    def make() -> np.ndarray:
        defaults = {k.lower(): float(v) for k, v in catalog.setting("stage_probability", {}).items()}
        stages = store.deals["stage"].cat.categories
        return np.array([defaults.get(str(s).lower(), otherwise) for s in stages] + [otherwise])
    return store.cached(("stage_probabilities", otherwise), make)

