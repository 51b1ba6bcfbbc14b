"""The metrics store in a warehouse: the KPI engine over SQL through Ibis (issue 15, item 5).

`WarehouseEngine` answers the same query plans as `Engine` (bot/metrics/engine.py) and returns the
same `KpiResult`, but the fact tables stay in the warehouse: each formula kind builds one Ibis
expression (scope and filters, the period on the right date column, fx conversion, the group keys)
and only the aggregated result is fetched. Connect by URL: duckdb://path, postgres://user@host/db,
bigquery://project/dataset, snowflake://…, trino://… (`ibis.connect`).

The warehouse holds the canonical tables of bot/metrics/schema.py under their canonical names, with
the canonical column names the loader produces (bot/metrics/loader.py `read_table`): ids, labels and
text as strings, dates as DATE (or TIMESTAMP), money and numbers as floating point, flags as BOOLEAN,
amounts in the row's own currency. `opportunities` is required; `reps`, `accounts`, `fx_rates`,
`targets`, `leads`, `marketing_spend` are used when present. An optional table `ccobot_settings`
(key, value) holds what store.yml holds (base_currency, fiscal_year_start_month, as_of); `load_into`
writes it. What the file store derives at load is derived in SQL at query time: the owner's region
and team (join on reps), the account's segment, industry, country and partner (join on accounts),
is_closed or is_won, fx conversion, month keys, each account's first win (a window; ties on the same
close date are broken by opportunity_id, where the file store takes the earlier file row).

Small tables are read into pandas once, as the file store has them: reps (names, roles, the manager
tree), targets (converted with the same FxTable), fx_rates and partners. Fact tables (opportunities,
leads, marketing_spend, …) and accounts are never fetched whole, so the bot's memory does not grow
with them: accounts give filter values by SELECT DISTINCT, names by id for the rows shown
(`WarehouseStore.names`), and the parser's account names are streamed once into an index kept on
disk (bot/nlu/values.py `AccountNames.streamed`).

Formula kinds computed in the warehouse: deal_sum, deal_count, deal_mean, deal_cycle, lead_count,
lead_conversion, spend, marketing_roi, mrr, retention, nps, case_resolution, cac_payback; combined:
ratio, scale, growth (and retention's measures) with the file store's own code; from the small tables
with the file store's own code: target, headcount. revenue, nps_responses and support_cases take the
account's dimensions (join on accounts) and month keys in SQL as the loader gives them; revenue's MRR
is converted as amounts are, and each account's first paying month's MRR (the file store's first_mrr)
is a view over it (ties within one month, two dates, go to the earlier date where the file store takes
the earlier file row). Deal lists, digests and a digest's deal buttons: bot/metrics/warehouse_deals.py.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd

from bot.errors import PlanError, StoreError, WarehouseTimeout
from bot.metrics.catalog import Catalog, Kpi, load_catalog
from bot.metrics.context import FACTS, FIRST_MONTH, Note
from bot.metrics.deals import DealQuery, DealResult
from bot.metrics.engine import Engine, KpiResult
from bot.metrics.formulas import FORMULAS as FILE_FORMULAS
from bot.metrics.formulas import compute_id, registrar  # compute_id: through WCtx.compute
from bot.metrics.formulas import _add, _divide, _months, retention_measure  # the file store's arithmetic
from bot.metrics.fx import FxTable, month_index
from bot.metrics.loader import LoadReport, StoreConfig, TableReport, derive_outcome, read_config, read_table
from bot.metrics.periods import Calendar, Period
from bot.metrics.plan import QueryPlan, check_plan
from bot.metrics.schema import TABLES
from bot.metrics.store import (CATEGORIES, MetricsStore, _categorise, _check_targets, _convert_money, _currencies,
                               _prepare_reps)

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger("ccobot.warehouse")
SMALL_TABLES = ("reps", "targets", "fx_rates", "partners")
FACT_TABLES = ("opportunities", "leads", "marketing_spend", "revenue", "nps_responses", "support_cases")
LEFT_THERE = (*FACT_TABLES, "accounts")  # tables queried where they are, never read whole
SETTINGS_TABLE = "ccobot_settings"
IDS = ("owner_id", "account_id")  # category columns that are keys, not labels a question names
COMBINATIONS = 50_000  # label combinations fetched in one pass at most (WarehouseStore._distinct)
# Dimensions of a deal that come from another table: column -> (table, column there).
JOINED = {"region": ("reps", "region"), "team": ("reps", "team"), "segment": ("accounts", "segment"),
          "industry": ("accounts", "industry"), "country": ("accounts", "country")}
# Facts about an account, with the account's dimensions (store._prepare_monthly), and their month keys.
ACCOUNT_DIMS = ("segment", "industry", "country", "region")
ACCOUNT_FACT_MONTHS = {"revenue": {"m": "month"}, "nps_responses": {"m": "response_date"},
                       "support_cases": {"m": "opened_at", "rm": "resolved_at"}}


def _ibis():
    import ibis

    return ibis


# The bot's PostgreSQL session. Measured on a 10M-deal database (2 cores): JIT compiling made the month
# of history's DISTINCT 21 s instead of 4 s, and with the default 4 MB of work_mem that DISTINCT spilled
# to disk and ran for minutes; a manager's risk counts took over 6 minutes, 13 s with these. A URL's own
# `?options=-c …` comes after them, so it wins.
PG_SESSION = ("-c jit=off", "-c work_mem=64MB")


def connect(url: str, timeout: float | None = None):
    """An Ibis backend for a warehouse URL (a SQLAlchemy-style postgresql+psycopg:// URL is accepted too).
    On PostgreSQL, a statement running longer than `timeout` seconds is cancelled by the server, so
    that a question cannot run on after its answer was given up (or its process is gone)."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgres://" + url[len(prefix):]
    if not url.startswith("postgres://"):
        return _ibis().connect(url)
    options = [*PG_SESSION, *([f"-c statement_timeout={round(timeout * 1000)}"] if timeout else []),
               dict(parse_qsl(urlsplit(url).query)).get("options", "")]
    return _ibis().connect(url, options=" ".join(o for o in options if o))


# ---------------------------------------------------------------- the small tables, as the file store has them

@dataclass
class WarehouseStore(MetricsStore):
    """What the assistant reads of a store besides KPIs (people, accounts, values to match), with the
    fact tables left in the warehouse: `values` and `has` ask it."""

    con: object = None
    present: dict[str, bool] = field(default_factory=dict)  # tables left there -> whether they have rows
    sql_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    timeout: float | None = None  # seconds a statement may run (PostgreSQL cancels it: connect)

    # Deals and their history are never read whole from a warehouse: deal lists, digests and a digest's
    # deal buttons read a slice of them (bot/metrics/warehouse_deals.py). Code that asks for them all
    # here is a path not built for the warehouse: it says so rather than fetching every row.
    @property
    def deals(self) -> pd.DataFrame:
        raise PlanError("This answer needs every deal in memory, which the warehouse backend does not load; "
                        "ask for a KPI or a list of deals instead.")

    def history(self) -> pd.DataFrame | None:
        raise PlanError("This answer needs the whole deal history in memory, which the warehouse backend "
                        "does not load; ask for a KPI or a list of deals instead.")

    def has(self, table: str) -> bool:
        if table in self.tables:
            return len(self.tables[table]) > 0
        return self.present.get(table, False)

    def names(self, dim: str, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if dim != "account" or not wanted or "name" not in self.columns("accounts"):
            return super().names(dim, wanted)
        # By a table of ids: a digest's changes name 30k accounts at 10M deals, 3.7 s as a list of literals.
        a = self.table("accounts")
        got = self.fetch(a.filter(a.account_id.isin(id_table(wanted)._id)).select("account_id", "name"))
        return {str(i): str(n).strip() for i, n in zip(got["account_id"], got["name"])
                if isinstance(n, str) and n.strip()}

    def columns(self, table: str) -> tuple[str, ...]:
        """A table's columns in the warehouse (none: no such table)."""
        return tuple(self.table(table).columns) if table in self.present else ()

    def account_key(self) -> tuple:
        """What the accounts' name index is kept on disk by (AccountNames.streamed): the warehouse and
        the accounts' number, first and last id and total name length; a change to any builds a new
        one. A rename that keeps all four is caught where a name is found: it is checked against the
        warehouse's name for that id."""
        a = self.table("accounts")
        got = self.fetch(a.aggregate(n=a.count(), lo=a.account_id.min(), hi=a.account_id.max(),
                                     chars=a.name.length().sum()))
        return (self.signature, *(None if pd.isna(v) else str(v) for v in got.iloc[0]))

    def account_batches(self, size: int = 100_000) -> Iterator[pd.DataFrame]:
        """Every account's id and name, a batch at a time (the index is built without holding them all)."""
        a = self.table("accounts")
        with self.sql_lock:
            for batch in self.con.to_pyarrow_batches(a.select("account_id", "name"), chunk_size=size):
                yield batch.to_pandas(types_mapper={_pa().string(): pd.StringDtype()}.get)

    def fetch(self, expr) -> pd.DataFrame:
        with self.sql_lock, _cancelled_as(self.timeout):  # one Ibis connection; DuckDB and psycopg
            return self.con.execute(expr)                  # connections are not shared safely

    def values(self, table: str, column: str) -> list[str]:
        if table in self.tables:
            return super().values(table, column)
        if table == "opportunities" and column in JOINED:
            return self.values(*JOINED[column])
        if table in ACCOUNT_FACT_MONTHS and column in ACCOUNT_DIMS:
            return self.values("accounts", column)
        if not self.present.get(table) or column not in self.columns(table):
            return []
        return self.cached(("values", table, column), lambda: self._distinct(table, column))

    def _distinct(self, table: str, column: str) -> list[str]:
        """A column's labels. With the table's other label columns in one pass (SELECT DISTINCT over them
        together: one scan of ten million deals instead of four), kept for them too; a table whose label
        combinations are too many for that is read a column at a time."""
        together = [c for c in CATEGORIES.get(table, ()) if c not in IDS and c in self.columns(table)]
        if column not in together:
            together = [column]
        t = self.table(table)
        found = self.fetch(t.select(*together).distinct().limit(COMBINATIONS + 1))
        if len(found) > COMBINATIONS and len(together) > 1:
            found = self.fetch(t.select(column).distinct())
        labels = {c: sorted({str(v).strip() for v in found[c] if v is not None and not pd.isna(v) and str(v).strip()})
                  for c in found.columns}
        for c, values in labels.items():
            self.derived.setdefault(("values", table, c), values)
        return labels[column]

    def table(self, name: str):
        return self.cached(("ibis_table", name), lambda: self.con.table(name))

    def latest_date(self) -> date | None:
        # Each as the latest row of its date's order (ORDER BY … DESC LIMIT 1): an index on the date
        # answers it at once, where MAX(… ) WHERE closed read all ten million deals.
        t = self.table("opportunities")
        closed = t.filter(t.close_date.notnull(), _flag(t.is_closed) | _flag(t.is_won))
        made = t.filter(t.created_date.notnull())
        found = [pd.Timestamp(v) for rel, col in ((closed, "close_date"), (made, "created_date"))
                 for v in self.fetch(rel.order_by(_ibis().desc(rel[col])).limit(1).select(col))[col]]
        return max(found).date() if found else None


def id_table(ids: Iterable[str]):
    """Ids sent to the warehouse as a table (`_id`): joined as any table, where a long IN list would take
    seconds to compile and a query for them would be run again."""
    frame = pd.DataFrame({"_id": pd.Series(sorted(ids), dtype=object)})
    return _ibis().memtable(frame, schema={"_id": "string"})


@contextmanager
def _cancelled_as(timeout: float | None) -> Iterator[None]:
    """A statement the server cancelled at the timeout, raised as WarehouseTimeout (told to the asker)."""
    try:
        yield
    except Exception as exc:
        from psycopg.errors import QueryCanceled  # ibis[postgres]'s driver; imported when a statement fails

        if isinstance(exc, QueryCanceled):
            raise WarehouseTimeout(timeout or 0) from exc
        raise


def _flag(col):
    return col.fill_null(False)


def _read_small(con, names: set[str]) -> dict[str, pd.DataFrame]:
    """The small canonical tables, typed as the loader types them."""
    return {name: typed(con.table(name).to_pandas(), TABLES[name].columns)
            for name in SMALL_TABLES if name in names}


def typed(frame: pd.DataFrame, columns) -> pd.DataFrame:  # noqa: ANN001 (schema Columns)
    """Rows fetched from the warehouse typed as the loader types them, in `columns`' order (an absent
    column empty, of its kind); also for the slices of deals and history (bot/metrics/warehouse_deals.py)."""
    for col in columns:
        s = frame[col.name] if col.name in frame.columns else pd.Series(None, index=frame.index, dtype="object")
        if col.kind in ("date", "timestamp"):
            s = pd.to_datetime(s).astype("datetime64[s]")
            frame[col.name] = s.dt.normalize() if col.kind == "date" else s
        elif col.kind in ("money", "number"):
            frame[col.name] = pd.to_numeric(s).astype("float64")
        elif col.kind == "bool":
            frame[col.name] = s.astype("boolean")
        elif col.kind == "int":
            frame[col.name] = pd.to_numeric(s).astype("Int64")
        else:
            frame[col.name] = s.astype("string").str.strip().replace("", pd.NA)
    return frame[[c.name for c in columns]].reset_index(drop=True)


def _settings(con, names: set[str]) -> dict[str, object]:
    if SETTINGS_TABLE not in names:
        return {}
    rows = con.table(SETTINGS_TABLE).to_pandas()
    raw = {str(k): v for k, v in zip(rows["key"], rows["value"]) if v is not None and not pd.isna(v)}
    out: dict[str, object] = {}
    if raw.get("base_currency"):
        out["base_currency"] = str(raw["base_currency"]).strip().upper()
    if raw.get("fiscal_year_start_month"):
        out["fiscal_year_start_month"] = int(raw["fiscal_year_start_month"])
    if raw.get("as_of"):
        out["as_of"] = pd.Timestamp(str(raw["as_of"])).date()
    return out


def open_warehouse_store(url: str, base_currency: str | None = None, fiscal_year_start_month: int | None = None,
                         as_of: date | None = None, timeout: float | None = None) -> WarehouseStore:
    con = connect(url, timeout)
    names = set(con.list_tables())
    if "opportunities" not in names:
        raise StoreError(f"The warehouse at {_safe(url)} has no opportunities table; it is the one table a store needs.")
    settings = _settings(con, names)
    settings.update({k: v for k, v in (("base_currency", base_currency), ("as_of", as_of),
                                       ("fiscal_year_start_month", fiscal_year_start_month)) if v is not None})
    cfg = StoreConfig(root=Path("."), sources={}, **settings)
    report = LoadReport()
    tables = _read_small(con, names)
    for name, frame in tables.items():
        report.tables[name] = TableReport(name, f"warehouse:{name}", len(frame), len(frame))
    fx = FxTable.from_frame(cfg.base_currency, tables.get("fx_rates"))
    if "targets" in tables:
        _convert_money("targets", tables["targets"], _currencies(tables["targets"], cfg.base_currency), fx, report)
    _check_targets(tables, report)
    tables = {name: _categorise(name, frame) for name, frame in tables.items()}
    _prepare_reps(tables)
    # Whether each has rows, not how many: counting ten million deals is a scan (`data check` counts).
    present = {name: bool(int(con.table(name).limit(1).count().to_pandas()))
               for name in LEFT_THERE if name in names}
    return WarehouseStore(cfg, report, tables, fx, signature=("warehouse", _safe(url)), con=con, present=present,
                          timeout=timeout)


def _safe(url: str) -> str:
    """The URL without a password."""
    head, sep, tail = url.rpartition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':')[0]}@{tail}"


# ---------------------------------------------------------------- query context

@dataclass
class WCtx:
    """What one query needs: the plan's period, filters and scope, and the notes (as Ctx has them)."""

    wh: "WarehouseEngine"
    store: WarehouseStore
    catalog: Catalog
    plan: QueryPlan
    period: Period | None
    cal: Calendar
    filters: dict[str, list[str]]
    scope: frozenset[str] | None = None
    notes: list[Note] = field(default_factory=list)
    cache: dict = field(default_factory=dict)

    def memo(self, key: tuple, make: Callable[[], object]) -> object:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def with_period(self, period: Period | None) -> "WCtx":
        return WCtx(self.wh, self.store, self.catalog, self.plan, period, self.cal, self.filters, self.scope,
                    self.notes)

    def compute(self, kpi: Kpi, by: list[str]) -> Value:
        """The KPI in the warehouse: formulas.compute hands a warehouse context here."""
        return compute(self, kpi, by)

    def note(self, code: str, **params: object) -> None:
        note = Note(code, tuple(sorted(params.items())))
        if note not in self.notes:
            self.notes.append(note)

    def execute(self, expr) -> pd.DataFrame:
        return self.store.fetch(expr)

    def members(self, fact: str, dim: str) -> set[str]:
        """Ctx.members in SQL: the dimension's distinct values among the fact's rows in scope and filters,
        kept on the store for the same filters, scope and deal size (a query over every row)."""
        column = FACTS[fact][1][dim]
        key = ("members", fact, dim, tuple(sorted((d, tuple(v)) for d, v in self.filters.items())), self.scope,
               self.plan.amount_min, self.plan.amount_max)

        def make() -> frozenset[str]:
            t = self._fact(fact)
            preds = _base(self, fact, t)
            t = t.filter(*preds) if preds else t
            return frozenset(str(v) for v in self.execute(t.select(column).distinct())[column]
                             if _py(v, False) is not None)

        return set(self.store.cached(key, make))

    def first_month(self, fact: str) -> int | None:
        """Ctx.first_month in SQL, read once."""
        def make() -> int | None:
            t = self._fact(fact)
            return _py(self.execute(t.aggregate(m=t[FIRST_MONTH.get(fact, "m")].min()))["m"].iloc[0], True)

        return self.store.cached(("first_month", fact), make)

    def _fact(self, fact: str):
        rel = self.wh.relations
        return {"deals": lambda: rel.deals(money=_sized(self)), "leads": rel.leads, "spend": rel.spend}.get(
            fact, lambda: rel.account_fact(FACTS[fact][0]))()


Value = float | pd.Series
SqlFormula = Callable[[WCtx, Kpi, list[str]], Value]
SQL_FORMULAS: dict[str, SqlFormula] = {}


sql_formula = registrar(SQL_FORMULAS)


def compute(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    fn = SQL_FORMULAS.get(kpi.kind)
    if fn is None:
        raise PlanError(f"{kpi.title} cannot be answered from the warehouse yet: its formula kind "
                        f"'{kpi.kind}' is not supported on the warehouse backend (only on the file store).")
    return fn(ctx, kpi, by)


def unsupported_kinds(kpi: Kpi, catalog: Catalog) -> set[str]:
    """The formula kinds a KPI needs (following ratio, scale and growth) that the warehouse lacks."""
    out = set() if kpi.kind in SQL_FORMULAS else {kpi.kind}
    for ref in [kpi.formula.get("of"), kpi.formula.get("num"), *kpi.formula.get("den", [])]:
        if ref:
            out |= unsupported_kinds(catalog.kpis[ref], catalog)
    return out


# ---------------------------------------------------------------- relations

DEAL_DATE = {"won": "close_date", "lost": "close_date", "open": "close_date", "first_win": "close_date",
             "created": "created_date"}
DEAL_MONTH = {"close_date": "close_m", "created_date": "created_m"}


def _month(col):
    # Integers: PostgreSQL's EXTRACT is numeric, and numeric arithmetic on every row of a period (the
    # month key the amounts' exchange rate is joined on) cost a third of a query.
    return col.year().cast("int32") * 12 + col.month().cast("int32") - 1


def _null_string():
    return _ibis().null().cast("string")


def _currency(t, base: str):
    if "currency" not in t.columns:
        return _ibis().literal(base)
    cur = t.currency.cast("string").strip().upper()
    return _ibis().coalesce(cur.nullif(""), _ibis().literal(base))


def _fx_frame(fx: FxTable) -> pd.DataFrame | None:
    """Every month from the first to the last rate of any currency, with each currency's rate as
    FxTable.convert picks it: the month's, else the latest earlier month's, else the earliest."""
    if not fx.rates:
        return None
    lo = min(int(m[0]) for m, _ in fx.rates.values())
    hi = max(int(m[-1]) for m, _ in fx.rates.values())
    months = np.arange(lo, hi + 1)
    parts = []
    for cur, (mon, rate) in fx.rates.items():
        pos = np.clip(np.searchsorted(mon, months, side="right") - 1, 0, len(rate) - 1)
        parts.append(pd.DataFrame({"_fx_cur": cur, "_fx_m": months.astype("int64"), "_fx_rate": rate[pos]}))
    return pd.concat(parts, ignore_index=True)


def _converted(t, ctx_store: WarehouseStore, amount: str, money_month, fx_table):
    """Add `_cur` and `_v` (the amount in the base currency) to a relation."""
    ibis = _ibis()
    base = ctx_store.base_currency
    t = t.mutate(_cur=_currency(t, base), _mm=money_month(t))
    if fx_table is None:  # without fx_rates every amount is taken as base currency (FxTable.convert)
        return t.mutate(_v=t[amount].cast("float64"))
    lo, hi = int(fx_table["_fx_m"].min()), int(fx_table["_fx_m"].max())
    t = t.mutate(_fxm=ibis.greatest(ibis.least(t._mm, hi), lo))
    rates = ctx_store.cached("fx_memtable", lambda: ibis.memtable(fx_table))
    j = t.left_join(rates, [t._cur == rates._fx_cur, t._fxm == rates._fx_m])
    v = ibis.cases((j._cur == base, j[amount].cast("float64")),
                   else_=j[amount].cast("float64") * j._fx_rate)
    return j.mutate(_v=v).drop("_fx_cur", "_fx_m", "_fx_rate", "_fxm")


class Relations:
    """The Ibis expressions of the fact tables with what the file store derives at load."""

    def __init__(self, store: WarehouseStore, catalog: Catalog) -> None:
        self.store, self.catalog = store, catalog
        self.fx = _fx_frame(store.fx)
        self._lock = threading.RLock()  # a view's make() may ask for another relation
        self._cache: dict = {}
        self._views = 0
        self._no_views = False  # the warehouse refused a temporary view: expressions are used as they are

    def _memo(self, key, make):
        with self._lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def deals(self, first_win: bool = False, money: bool = True):
        """The deals with their dimensions; with `money`, also `_v` (the amount in the base currency) and
        `_p` (the probability). Counts take the view without them: the exchange rate's join is on a
        computed month, which PostgreSQL cannot drop when unused, and was most of a count's time."""
        return self._memo(("deals", first_win, money), lambda: self._as_sql(self._deals(first_win, money)))

    def view(self, key, make):
        """A relation derived from these (`make()`), made once per `key` as _as_sql makes it. Used twice in
        one query, a view is read twice by name; an expression would become a common table expression,
        which PostgreSQL computes whole before filtering it."""
        return self._memo(("view", key), lambda: self._as_sql(make()))

    def _as_sql(self, expr):
        """The derived relation as a TEMP VIEW of this session (no write to the warehouse's schemas):
        Ibis then compiles only each question's filters and GROUP BY over it (compiling the joins every
        time costs ~0.2 s); the fx months travel inline as VALUES. A warehouse without temporary views
        (BigQuery, Trino) gets the expression itself: the same answers, the joins compiled each time."""
        if self._no_views:
            return expr
        con = self.store.con
        sql = con.compile(expr)
        rates = self.store.derived.get("fx_memtable")
        if rates is not None and self.fx is not None:
            name = rates.op().name
            rows = ", ".join(f"({_quote(c)}, CAST({int(m)} AS BIGINT), CAST({float(r)!r} AS DOUBLE PRECISION))"
                             for c, m, r in zip(self.fx["_fx_cur"], self.fx["_fx_m"], self.fx["_fx_rate"]))
            values = f"(SELECT * FROM (VALUES {rows}) AS _fx(_fx_cur, _fx_m, _fx_rate))"
            for quoted in (f'"{name}"', f"`{name}`", name):
                if quoted in sql:
                    sql = sql.replace(quoted, values)
                    break
        self._views += 1
        view = f"ccobot_{id(self):x}_{self._views}"
        try:
            with self.store.sql_lock:
                con.raw_sql(f"CREATE TEMP VIEW {view} AS {sql}")
        except Exception as exc:  # noqa: BLE001 (BigQuery and Trino have no temporary views)
            log.info("no temporary views in this warehouse (%s): each question compiles the joins itself",
                     type(exc).__name__)
            self._no_views = True
            return expr
        return _ibis().table(expr.schema(), name=view)  # unbound: executed by con.execute

    def _deals(self, first_win: bool, money: bool):
        ibis = _ibis()
        store = self.store
        o = store.table("opportunities")
        is_won = _flag(o.is_won)
        t = o.mutate(is_won=is_won, is_closed=_flag(o.is_closed) | is_won,
                     close_m=_month(o.close_date), created_m=_month(o.created_date))
        names = set(store.con.list_tables())
        if "reps" in names:
            r = store.table("reps").select(_rep_id="rep_id", region="region", team="team")
            t = t.left_join(r, t.owner_id == r._rep_id).drop("_rep_id")
        else:
            t = t.mutate(region=_null_string(), team=_null_string())
        t = self._with_accounts(t, ("segment", "industry", "country", "partner_id"))
        if money:
            t = _converted(t, store, "amount", lambda x: _month(ibis.coalesce(x.close_date, x.created_date)), self.fx)
            t = t.mutate(_p=ibis.coalesce(t.probability.cast("float64"), self._stage_probability(t.stage)))
        if first_win:
            eligible = t.is_won & t.account_id.notnull() & t.close_date.notnull()
            t = t.mutate(_elig=eligible)
            rank = ibis.row_number().over(group_by=[t.account_id, t._elig], order_by=[t.close_date, t.opportunity_id])
            t = t.mutate(first_win=t._elig & (rank == 0))
        return t

    def _with_accounts(self, t, columns: tuple[str, ...]):
        """The account's columns joined on (store._join): empty where the account is unknown or the
        store has no accounts table (or no such column)."""
        if "accounts" not in self.store.present:
            return t.mutate(**{c: _null_string() for c in columns})
        a = self.store.table("accounts")
        a = a.select(_acc_id=a.account_id, **{c: a[c] if c in a.columns else _null_string() for c in columns})
        return t.left_join(a, t.account_id == a._acc_id).drop("_acc_id")

    def account_fact(self, table: str):
        """revenue, nps_responses or support_cases with their month keys and the account's dimensions
        (store._prepare_monthly); revenue's MRR also in the base currency (`_v`, as _convert_money)."""
        def make():
            t = self.store.table(table)
            t = t.mutate(**{key: _month(t[col]) for key, col in ACCOUNT_FACT_MONTHS[table].items()})
            t = self._with_accounts(t, ACCOUNT_DIMS)
            if table == "revenue":
                t = _converted(t, self.store, "mrr", lambda x: x.m, self.fx)
            return self._as_sql(t)
        return self._memo(("account_fact", table), make)

    def first_mrr(self):
        """Each account's MRR in its first month with MRR above zero (the file store's first_mrr table),
        as a view over revenue: `_fm_account`, `_fm_mrr` (an aggregate, half the cost of a window)."""
        r = self.account_fact("revenue")  # outside _memo: its lock is not reentrant

        def make():
            paying = r.filter(r._v > 0, r.account_id.notnull())
            return self._as_sql(paying.group_by(_fm_account=paying.account_id)
                                .aggregate(_fm_mrr=paying._v.argmin(paying.month)))
        return self._memo("first_mrr", make)

    def _stage_probability(self, stage):
        ibis = _ibis()
        defaults = {k.lower(): v for k, v in self.catalog.setting("stage_probability", {}).items()}
        fallback = float(self.catalog.setting("open_probability_default", 0.3))
        branches = [(stage == s, float(defaults[s.lower()])) for s in self.store.values("opportunities", "stage")
                    if s.lower() in defaults]
        if not branches:
            return ibis.literal(fallback)
        return ibis.cases(*branches, else_=fallback)

    def leads(self):
        return self._memo("leads", lambda: self._as_sql(
            (lambda t: t.mutate(m=_month(t.created_date)))(self.store.table("leads"))))

    def spend(self):
        def make():
            t = self.store.table("marketing_spend")
            t = t.mutate(m=_month(t.month))
            return self._as_sql(_converted(t, self.store, "amount", lambda x: x.m, self.fx))
        return self._memo("spend", make)


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _isin(col, values: list[str]):
    return col.isin(values) if values else _ibis().literal(False)


def _in_period(t, column: str, period: Period | None):
    col = t[column]
    if period is None:
        return col.notnull()
    lo, hi = period.start, period.end + timedelta(days=1)
    if col.type().is_timestamp():
        lo, hi = datetime.combine(lo, datetime.min.time()), datetime.combine(hi, datetime.min.time())
    return (col >= _ibis().literal(lo)) & (col < _ibis().literal(hi))


def _base(ctx: WCtx, fact: str, t):
    """Scope, the plan's filters (context.filter_mask) and a deal size: before any aggregation (a deal
    size reads `_v`: the relation is Relations.deals with money, _sized)."""
    preds = scoped(t, fact, ctx.filters, ctx.scope)
    if fact == "deals" and ctx.plan.amount_min is not None:
        preds.append(t._v > ctx.plan.amount_min)
    if fact == "deals" and ctx.plan.amount_max is not None:
        preds.append(t._v < ctx.plan.amount_max)
    return preds


def _sized(ctx: WCtx) -> bool:
    return ctx.plan.amount_min is not None or ctx.plan.amount_max is not None


def scoped(t, fact: str, filters: dict[str, list[str]], scope: frozenset[str] | None) -> list:
    """The predicates of scope and filters over a fact's relation (also a deal list's, warehouse_deals)."""
    dims = FACTS[fact][1]
    preds = [_isin(t[dims[dim]], values) for dim, values in filters.items()]
    if scope is not None and fact == "deals":
        preds.append(_isin(t.owner_id, sorted(scope)))
    return preds


def deal_rel(ctx: WCtx, spec: dict, money: bool = True):
    """The deals a formula counts (formulas.deal_mask), as a filtered relation (`money`: Relations.deals)."""
    which = spec["deals"]
    t = ctx.wh.relations.deals(first_win=which == "first_win", money=money or _sized(ctx))
    preds = _base(ctx, "deals", t)
    if which == "won":
        preds.append(t.is_won)
    elif which == "first_win":
        preds.append(t.first_win)
    elif which == "lost":
        preds.append(t.is_closed & ~t.is_won)
    elif which == "open":
        preds.append(~t.is_closed)
    if which != "open" or ctx.period is not None:
        preds.append(_in_period(t, DEAL_DATE[which], ctx.period))
    where = spec.get("where")
    if where == "partner":
        preds.append((t.source == "partner").fill_null(False) | t.partner_id.notnull())
    elif isinstance(where, dict):
        for col, value in where.items():
            preds.append(t[col] == value)
    return t.filter(*preds)


def _deal_value(t, spec: dict):
    return t._v * t._p if spec.get("weight") == "probability" else t._v


def _month_col(spec: dict) -> str:
    return DEAL_MONTH[DEAL_DATE[spec["deals"]]]


# ---------------------------------------------------------------- grouping

def _key(ctx: WCtx, fact: str, t, dim: str, month_col: str):
    if dim in ("month", "quarter"):
        m = t[month_col]
        return m if dim == "month" else (m - (ctx.cal.fy_start - 1)) // 3
    return t[FACTS[fact][1][dim]]


def _py(v: object, time: bool) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return int(v) if time else str(v)


def grouped(ctx: WCtx, fact: str, t, by: list[str], month_col: str, metrics: dict, finish: Callable) -> pd.Series:
    """One GROUP BY in the warehouse; a Series of finish(the metrics per group), indexed as grouped_frame."""
    frame = grouped_frame(ctx, fact, t, by, month_col, metrics)
    return pd.Series(finish(frame).to_numpy(dtype="float64"), index=frame.index)


def grouped_frame(ctx: WCtx, fact: str, t, by: list[str], month_col: str, metrics: dict) -> pd.DataFrame:
    """One GROUP BY in the warehouse: the metrics per group, indexed as Ctx.reduce indexes them (no
    value first, then the labels in order), so ties sort as they do on the file store."""
    keys = {f"_g{i}": _key(ctx, fact, t, dim, month_col) for i, dim in enumerate(by)}
    frame = ctx.execute(t.group_by(**keys).aggregate(**metrics))
    time = [dim in ("month", "quarter") for dim in by]
    labels = [[_py(v, tm) for v in frame[f"_g{i}"]] for i, tm in enumerate(time)]
    order = sorted(range(len(frame)), key=lambda r: tuple((0, "") if lab[r] is None else (1, lab[r]) for lab in labels))
    levels = [np.array([lab[r] for r in order], dtype=object) for lab in labels]
    if len(by) == 1:
        index = pd.Index(levels[0], name=by[0])
    else:
        index = pd.MultiIndex.from_arrays(levels, names=by)
    return frame.iloc[order][list(metrics)].set_axis(index)


def _sum0(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame[col].astype("float64").fillna(0.0)


# ---------------------------------------------------------------- deals

def _note_amounts(ctx: WCtx, per_cur: pd.DataFrame) -> None:
    lacking = int(per_cur["missing"].sum())
    if lacking:
        ctx.note("missing_amounts", n=lacking, total=int(per_cur["n"].sum()))
    used = sorted(str(c) for c in per_cur["_cur"])
    foreign = [c for c in used if c in ctx.store.fx.rates]
    if foreign:
        ctx.note("converted", currencies=tuple(foreign), base=ctx.store.base_currency)


def _note_empty(ctx: WCtx, n: int, what: str) -> None:
    if not n:
        ctx.note("no_data", what=what)


def _per_currency(ctx: WCtx, t, value) -> pd.DataFrame:
    t = t.mutate(_x=value)
    return ctx.execute(t.group_by("_cur").aggregate(n=t.count(), missing=t._x.isnull().sum(), s=t._x.sum(),
                                                    k=t._x.count()))


@sql_formula("deal_sum")
def deal_sum(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    spec = kpi.formula
    t = deal_rel(ctx, spec)
    value = _deal_value(t, spec)
    if not by:
        per = _per_currency(ctx, t, value)
        _note_amounts(ctx, per)
        _note_empty(ctx, int(per["n"].sum()), "deals")
        return float(_sum0(per, "s").sum())
    t = t.mutate(_x=value)
    return grouped(ctx, "deals", t, by, _month_col(spec), {"s": t._x.sum()}, lambda f: _sum0(f, "s"))


@sql_formula("deal_count")
def deal_count(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    spec = kpi.formula
    if spec["deals"] in CLOSED and not spec.get("where"):
        return _closed_count(ctx, spec["deals"], by)
    t = deal_rel(ctx, spec, money=False)
    if not by:
        n = int(ctx.execute(t.aggregate(n=t.count()))["n"].iloc[0])
        _note_empty(ctx, n, "deals")
        return float(n)
    return grouped(ctx, "deals", t, by, _month_col(spec), {"n": t.count()}, lambda f: f["n"].astype("float64"))


CLOSED = ("won", "lost")  # deal_count's outcomes counted together: one pass for win rate's three counts


def _closed_count(ctx: WCtx, which: str, by: list[str]) -> Value:
    """The deals won or lost in the period, from one query that counts both (per group: the groups with
    such deals, as Ctx.reduce keeps them). Win rate by region was six queries; it is two."""
    def count_both() -> pd.DataFrame:
        t = ctx.wh.relations.deals(money=_sized(ctx))
        t = t.filter(*_base(ctx, "deals", t), t.is_closed, _in_period(t, "close_date", ctx.period))
        one = lambda cond: _ibis().ifelse(cond, 1, 0)  # noqa: E731 (PostgreSQL sums no boolean)
        both = {"won": one(t.is_won).sum(), "lost": one(~t.is_won).sum()}
        if by:
            return grouped_frame(ctx, "deals", t, by, "close_m", both)
        return ctx.execute(t.aggregate(**both)).fillna(0)

    counts = ctx.memo(("closed_counts", tuple(by)), count_both)[which].astype("float64")
    if by:
        return counts[counts > 0]
    _note_empty(ctx, int(counts.iloc[0]), "deals")
    return float(counts.iloc[0])


@sql_formula("deal_mean")
def deal_mean(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    spec = kpi.formula
    t = deal_rel(ctx, spec)
    if not by:
        per = _per_currency(ctx, t, t._v)
        _note_amounts(ctx, per)
        known = int(per["k"].sum())
        return float(_sum0(per, "s").sum()) / known if known else np.nan
    return grouped(ctx, "deals", t, by, _month_col(spec), {"s": t._v.sum(), "k": t._v.count()},
                   lambda f: _sum0(f, "s") / f["k"].where(f["k"] > 0))


def _seconds(col):
    """Whole seconds since the epoch, as the loader keeps dates and timestamps (to the second)."""
    return col.cast("timestamp").epoch_seconds().floor()


def _days(t):
    return (_seconds(t.close_date) - _seconds(t.created_date)).cast("float64") / 86400.0


@sql_formula("deal_cycle")
def deal_cycle(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    spec = kpi.formula
    t = deal_rel(ctx, spec, money=False)
    t = t.mutate(_d=_days(t))
    if not by:
        got = ctx.execute(t.aggregate(s=t._d.sum(), n=t.count())).iloc[0]
        return float(got["s"]) / int(got["n"]) if int(got["n"]) else np.nan
    return grouped(ctx, "deals", t, by, _month_col(spec), {"s": t._d.sum(), "n": t.count()},
                   lambda f: f["s"].astype("float64") / f["n"])


# ratio, scale and growth are formulas.py's own: they combine the values this context computes
# (WCtx.compute) with the file store's arithmetic.
for _kind in ("ratio", "scale", "growth"):
    SQL_FORMULAS[_kind] = FILE_FORMULAS[_kind]


# ---------------------------------------------------------------- leads and spend

def _require(ctx: WCtx, table: str, kpi: Kpi) -> None:
    if not ctx.store.has(table):
        raise PlanError(f"{kpi.title} is not available in this store: it needs the {table} table, "
                        "which is missing or empty.")


def _leads(ctx: WCtx):
    t = ctx.wh.relations.leads()
    return t.filter(*_base(ctx, "leads", t), _in_period(t, "created_date", ctx.period))


@sql_formula("lead_count")
def lead_count(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "leads", kpi)
    t = _leads(ctx)
    if kpi.formula.get("converted"):  # leads_converted: those of them that converted
        _note_empty(ctx, int(ctx.execute(t.aggregate(n=t.count()))["n"].iloc[0]), "leads")
        t = t.filter(t.converted_date.notnull())
    elif not by:
        n = int(ctx.execute(t.aggregate(n=t.count()))["n"].iloc[0])
        _note_empty(ctx, n, "leads")
        return float(n)
    if not by:
        return float(ctx.execute(t.aggregate(n=t.count()))["n"].iloc[0])
    return grouped(ctx, "leads", t, by, "m", {"n": t.count()}, lambda f: f["n"].astype("float64"))


@sql_formula("lead_conversion")
def lead_conversion(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "leads", kpi)
    t = _leads(ctx)
    t = t.mutate(_c=_ibis().ifelse(t.converted_date.notnull(), 1, 0))  # PostgreSQL casts no boolean to bigint
    got = ctx.execute(t.aggregate(c=t._c.sum(), n=t.count())).iloc[0]
    _note_empty(ctx, int(got["n"]), "leads")
    if not by:
        return float(got["c"]) / int(got["n"]) if int(got["n"]) else np.nan
    return grouped(ctx, "leads", t, by, "m", {"c": t._c.sum(), "n": t.count()},
                   lambda f: f["c"].astype("float64") / f["n"])


def _spend(ctx: WCtx, by: list[str]) -> Value:
    t = ctx.wh.relations.spend()
    t = t.filter(*_base(ctx, "spend", t), _in_period(t, "month", ctx.period))
    if not by:
        return float(_sum0(ctx.execute(t.aggregate(s=t._v.sum())), "s").iloc[0])
    return grouped(ctx, "spend", t, by, "m", {"s": t._v.sum()}, lambda f: _sum0(f, "s"))


@sql_formula("spend")
def spend(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "marketing_spend", kpi)
    return _spend(ctx, by)


@sql_formula("marketing_roi")
def marketing_roi(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    t = deal_rel(ctx, {"deals": "won", "where": {"source": "inbound"}})
    if by:
        won = grouped(ctx, "deals", t, by, "close_m", {"s": t._v.sum()}, lambda f: _sum0(f, "s"))
    else:
        won = float(_sum0(ctx.execute(t.aggregate(s=t._v.sum())), "s").iloc[0])
    cost = compute_id(ctx, "marketing_spend", by)
    if not by and not cost:
        ctx.note("no_spend")
    return _divide(_add([won, -cost]), cost)


# ---------------------------------------------------------------- recurring revenue, NPS and support cases

def _account_rel(ctx: WCtx, fact: str):
    """A fact about accounts (revenue, nps, cases) narrowed by the plan's filters; scope narrows deals only
    (context.filter_mask)."""
    t = ctx.wh.relations.account_fact(FACTS[fact][0])
    preds = _base(ctx, fact, t)
    return t.filter(*preds) if preds else t


def _simple(ctx: WCtx, fact: str, t, by: list[str], month_col: str, metrics: dict, value: Callable,
            what: str) -> Value:
    """formulas._simple in SQL: `value` of the aggregated metrics (one of them `n`, the rows), over the
    whole relation or per group; no_data when there are no rows."""
    if not by:
        got = ctx.execute(t.aggregate(**metrics))
        n = int(got["n"].iloc[0])
        _note_empty(ctx, n, what)
        return float(value(got).iloc[0]) if n else np.nan
    frame = grouped_frame(ctx, fact, t, by, month_col, metrics)
    _note_empty(ctx, int(frame["n"].sum()), what)
    return value(frame).astype("float64")


@sql_formula("mrr")
def mrr(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "revenue", kpi)
    first, last = _months(ctx)
    t = _account_rel(ctx, "revenue")
    if not any(d in ("month", "quarter") for d in by):  # the period's last month
        t = t.filter(_in_months(t.month, last, last))
        if not by:
            got = ctx.execute(t.aggregate(s=t._v.sum(), n=t.count()))
            _note_empty(ctx, int(got["n"].iloc[0]), "mrr")
            return float(_sum0(got, "s").iloc[0])
        return grouped(ctx, "revenue", t, by, "m", {"s": t._v.sum()}, lambda f: _sum0(f, "s"))
    t = t.filter(_in_months(t.month, first, last))
    if "quarter" in by:  # a quarter's MRR is its group's last month in the period
        keys = [_key(ctx, "revenue", t, dim, "m") for dim in by]
        t = t.mutate(_last=t.m.max().over(group_by=keys))
        t = t.filter(t.m == t._last)
    return grouped(ctx, "revenue", t, by, "m", {"s": t._v.sum()}, lambda f: _sum0(f, "s"))


def _in_months(col, first: int, last: int):
    """A date column within months first…last (month indexes) as a range on the column itself, which the
    warehouse can prune or index (the month key m is computed)."""
    start = lambda m: date(m // 12, m % 12 + 1, 1)  # noqa: E731
    return (col >= _ibis().literal(start(first))) & (col < _ibis().literal(start(last + 1)))


RETENTION_PARTS = ("base", "churned", "paying", "base_mrr", "churned_mrr", "kept_mrr", "end_mrr")


@sql_formula("retention")
def retention(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "revenue", kpi)
    return retention_measure(ctx, kpi, by, _retention_parts(ctx, by))


def _retention_parts(ctx: WCtx, by: list[str]) -> dict[str, Value]:
    """formulas._retention_parts in SQL: the accounts' parts summed, per group of every account in
    revenue (accounts the filters leave out are groups with nothing in them, as on the file store)."""
    first, last = _months(ctx)
    t = _account_rel(ctx, "revenue")
    t = t.filter(t.account_id.notnull(), _in_months(t.month, first - 1, last), t.m.isin([first - 1, last]))
    parts = _account_parts(t, first - 1, last)
    if not by:
        totals = _summed(ctx.execute(parts.aggregate(**_sums(parts))), nan_kept=True)
        return {k: float(v.iloc[0]) for k, v in totals.items()}
    rev = ctx.wh.relations.account_fact("revenue")
    accounts = rev.filter(rev.account_id.notnull()).select("account_id", *ACCOUNT_DIMS).distinct()
    j = accounts.left_join(parts, accounts.account_id == parts._acct)
    j = j.mutate(**{k: j[k].fill_null(0.0) for k in (*RETENTION_PARTS, "kept_nan")})
    return _summed(grouped_frame(ctx, "revenue", j, by, "m", _sums(j)), nan_kept=False)


def _account_parts(t, before: int, last: int):
    """Per account with MRR in either month: its parts (1.0/0.0 flags, MRR amounts). An MRR without an
    exchange rate is NaN on the file store: it makes the account no base or no payer, and its kept MRR
    NaN (`kept_nan`)."""
    ibis = _ibis()
    a = t.group_by(_acct=t.account_id).aggregate(
        _b=t._v.sum(where=t.m == before), _bn=t.count(where=(t.m == before) & t._v.isnull()),
        _e=t._v.sum(where=t.m == last), _en=t.count(where=(t.m == last) & t._v.isnull()))
    b, e = a._b.fill_null(0.0), a._e.fill_null(0.0)
    base = (a._bn == 0) & (b > 0)
    paying = (a._en == 0) & (e > 0)
    churned = base & ~paying
    flag = lambda c: ibis.ifelse(c, 1.0, 0.0)  # noqa: E731
    return a.select("_acct", base=flag(base), churned=flag(churned), paying=flag(paying),
                    base_mrr=ibis.ifelse(base, b, 0.0), churned_mrr=ibis.ifelse(churned, b, 0.0),
                    kept_mrr=ibis.ifelse(base & (a._en == 0), e, 0.0), kept_nan=flag(base & (a._en > 0)),
                    end_mrr=ibis.ifelse(paying, e, 0.0))


def _sums(t) -> dict:
    return {k: t[k].sum() for k in (*RETENTION_PARTS, "kept_nan")}


def _summed(frame: pd.DataFrame, nan_kept: bool) -> dict[str, pd.Series]:
    """The parts' sums; with nan_kept an unknown kept MRR makes the sum unknown, as the file store's total
    (a numpy sum) has it, where its groups (a pandas sum) skip it."""
    out = {k: _sum0(frame, k) for k in RETENTION_PARTS}
    if nan_kept:
        out["kept_mrr"] = out["kept_mrr"].where(_sum0(frame, "kept_nan") == 0)
    return out


@sql_formula("nps")
def nps(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "nps_responses", kpi)
    t = _account_rel(ctx, "nps")
    t = t.filter(_in_period(t, "response_date", ctx.period))
    metrics = {"p": t.count(where=t.score >= 9), "d": t.count(where=t.score <= 6), "n": t.count()}
    return _simple(ctx, "nps", t, by, "m", metrics, lambda f: (f["p"] / f["n"] - f["d"] / f["n"]) * 100, "nps")


@sql_formula("case_resolution")
def case_resolution(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    _require(ctx, "support_cases", kpi)
    t = _account_rel(ctx, "cases")
    t = t.filter(_in_period(t, "resolved_at", ctx.period))
    hours = (_seconds(t.resolved_at) - _seconds(t.opened_at)).cast("float64") / 3600.0
    return _simple(ctx, "cases", t, by, "rm", {"h": hours.median(), "n": t.count()}, lambda f: f["h"], "cases")


@sql_formula("cac_payback")
def cac_payback(ctx: WCtx, kpi: Kpi, by: list[str]) -> Value:
    """CAC / (gross margin × the mean first-month MRR of the period's new customers)."""
    _require(ctx, "revenue", kpi)
    cac = compute_id(ctx, "cac", by)
    t = deal_rel(ctx, {"deals": "first_win"})
    f = ctx.wh.relations.first_mrr()
    t = t.left_join(f, t.account_id == f._fm_account)
    gm = float(ctx.catalog.setting("gross_margin", 1.0))
    if not by:
        got = ctx.execute(t.aggregate(a=t._fm_mrr.mean()))["a"].astype("float64").iloc[0]
        return _divide(cac, float(got) * gm)
    mean = grouped(ctx, "deals", t, by, "close_m", {"a": t._fm_mrr.mean()}, lambda f: f["a"].astype("float64"))
    return _divide(cac, mean * gm)


# ---------------------------------------------------------------- from the small tables, with the file store's code

SQL_FORMULAS["target"] = FILE_FORMULAS["target"]  # targets and reps are read into memory (small)
SQL_FORMULAS["headcount"] = FILE_FORMULAS["headcount"]


# ---------------------------------------------------------------- the engine

class WarehouseEngine(Engine):
    """Engine's KPI surface (run, as_of, resolve_period, canonical_values, store, catalog) over a warehouse."""

    def __init__(self, url: str, catalog: Catalog | None = None, *, base_currency: str | None = None,
                 fiscal_year_start_month: int | None = None, as_of: date | None = None,
                 timeout: float | None = None) -> None:
        store = open_warehouse_store(url, base_currency, fiscal_year_start_month, as_of, timeout)
        super().__init__(store, catalog or load_catalog())
        self.url = _safe(url)
        self.relations = Relations(store, self.catalog)

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseEngine:
        """The engine the bot's questions and digests use: CCOBOT_WAREHOUSE_URL with its timeout."""
        return cls(settings.ccobot_warehouse_url, timeout=settings.ccobot_warehouse_timeout_seconds or None)

    def run(self, plan: QueryPlan, as_of: date | None = None, scope: frozenset[str] | None = None) -> KpiResult:
        """Engine.run, its formulas computed in the warehouse (WCtx); a KPI of a kind not built here
        yet says so rather than being answered some other way."""
        kpi = check_plan(plan, self.catalog)
        missing = unsupported_kinds(kpi, self.catalog)
        if missing:
            raise PlanError(f"{kpi.title} cannot be answered from the warehouse yet: formula kind(s) "
                            f"{', '.join(sorted(missing))} are not supported on the warehouse backend.")
        return super().run(plan, as_of, scope)

    def _context(self, store: WarehouseStore, plan: QueryPlan, period: Period | None, cal: Calendar,
                 filters: dict[str, list[str]], scope: frozenset[str] | None) -> WCtx:
        return WCtx(self, store, self.catalog, plan, period, cal, filters, scope)

    def _latest_month(self, cal: Calendar, store: MetricsStore) -> Period:
        this_month = int(month_index(pd.Series([cal.as_of], dtype="datetime64[s]"))[0])
        latest = this_month
        if "revenue" in set(store.con.list_tables()):
            t = store.table("revenue")
            m = _month(t.month)
            got = store.fetch(t.aggregate(x=m.max(where=m <= this_month)))["x"].iloc[0]
            latest = int(got) if got is not None and not pd.isna(got) else this_month
        start = date(latest // 12, latest % 12 + 1, 1)
        return cal.unit(start, "month", f"{start:%B %Y}", forward=False)

    def _list_deals(self, store: MetricsStore, query: DealQuery, cal: Calendar, filters: dict[str, list[str]],
                    scope: frozenset[str] | None) -> DealResult:
        """Engine.deals over the warehouse: SQL picks the rows, deals.py's code lists them."""
        from bot.metrics.warehouse_deals import list_deals_sql

        return list_deals_sql(self, query, cal, filters, scope)

    # ------------------------------------------------------------ data check

    def check(self) -> LoadReport:
        """`data check` for a warehouse: the tables' rows, required columns missing, currencies without
        a rate, deals naming unknown owners or accounts (the report the file store's load gives)."""
        store = self.store
        report = store.report
        names = set(store.con.list_tables())
        for name in (*LEFT_THERE, *SMALL_TABLES):
            if name not in names:
                continue
            if name in LEFT_THERE:  # the small tables' rows were counted as they were read
                rows = int(store.fetch(store.table(name).count()))
                report.tables[name] = TableReport(name, f"warehouse:{name}", rows, rows)
            cols = set(store.table(name).columns)
            missing = [c.name for c in TABLES[name].columns if c.required and c.name not in cols
                       and not (name == "opportunities" and c.name in ("is_won", "is_closed"))]
            if missing:
                report.add(f"warehouse:{name}", ", ".join(missing), "required column(s) missing", "table not loaded")
        o = store.table("opportunities")
        cur = _currency(o, store.base_currency)
        known = sorted(store.fx.known)
        if store.fx.rates:
            bad = o.filter(~cur.isin(known), o.amount.notnull())
            got = store.con.execute(bad.group_by(c=_currency(bad, store.base_currency)).aggregate(n=bad.count()))
            for c, n in zip(got["c"], got["n"]):
                report.add("warehouse:opportunities", "amount", f"no exchange rate in fx_rates for {c}",
                           "amount ignored", count=int(n))
        for key, table, other_key in (("owner_id", "reps", "rep_id"), ("account_id", "accounts", "account_id")):
            if table not in names:
                continue
            other = store.table(table).select(_k=other_key)
            j = o.filter(o[key].notnull()).left_join(other, o[key] == other._k)
            n = int(store.con.execute(j.filter(j._k.isnull()).count()))
            if n:
                report.add("warehouse:opportunities", key, f"{n} deal(s) name a {key} that is not in {other_key}s; "
                           "their dimensions from that table are empty", "note", count=n)
        return report


# ---------------------------------------------------------------- loading a file store into a warehouse

# Tables whose rows keep their file order in a column: the file store breaks ties by that order.
ROW, ROW_ORDERED = "_row", ("opportunities", "opportunity_history")


def _canonical(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A loaded table with plain column types a warehouse takes (strings, floats, booleans, dates)."""
    out = {}
    for col in TABLES[name].columns:
        if col.name not in frame.columns:
            continue
        s = frame[col.name].reset_index(drop=True)
        if col.kind in ("date", "timestamp"):
            out[col.name] = s.astype("datetime64[us]")
        elif col.kind in ("money", "number"):
            out[col.name] = s.astype("float64")
        elif col.kind == "bool":
            out[col.name] = s.astype("boolean")
        elif col.kind == "int":
            out[col.name] = s.astype("Int64")
        else:
            out[col.name] = s.astype("string")
    if name in ROW_ORDERED:  # the file's row number: ties in deal lists and digests follow it (warehouse_deals)
        out[ROW] = pd.Series(frame.index.to_numpy(dtype="int64"))
    return pd.DataFrame(out)


def load_into(url: str, store_dir: Path | str, tables: list[str] | None = None) -> dict[str, int]:
    """Copy a file store's canonical tables (as the loader reads them: typed, bad rows set aside,
    is_won/is_closed derived) and its settings into a warehouse; returns rows per table. PostgreSQL is
    written with COPY, in date order and indexed for the warehouse's queries (_pg_write); any other
    warehouse through Ibis."""
    cfg = read_config(Path(store_dir))
    dsn = _pg_dsn(url)
    target = _PgTarget(dsn) if dsn else _IbisTarget(connect(url))
    report = LoadReport()
    written = {}
    try:
        for name, src in cfg.sources.items():
            if tables is not None and name not in tables:
                continue
            frame = read_table(src, cfg, report)
            if frame is None:
                continue
            if name == "opportunities":
                frame = derive_outcome(frame, src.stages, report.tables[name].file, report)
            frame = _canonical(frame, name)
            written[name] = len(frame)
            target.write(name, frame, [c.name for c in TABLES[name].columns
                                       if c.kind == "date" and c.name in frame.columns])
            del frame  # the next table is read only after this one is freed (10M rows are ~2 GB)
        settings = pd.DataFrame({"key": ["base_currency", "fiscal_year_start_month", "as_of"],
                                 "value": [cfg.base_currency, str(cfg.fiscal_year_start_month),
                                           cfg.as_of.isoformat() if cfg.as_of else None]}).astype("string")
        target.write(SETTINGS_TABLE, settings, [])
    finally:
        target.close()
    return written


class _IbisTarget:
    """Any warehouse Ibis connects to: each table through a memtable (rows sent as Ibis sends them)."""

    def __init__(self, con) -> None:
        self.con = con

    def write(self, name: str, frame: pd.DataFrame, dates: list[str]) -> None:
        ibis = _ibis()
        self.con.create_table(name, ibis.memtable(frame).mutate(**{c: ibis._[c].cast("date") for c in dates}),
                              overwrite=True)

    def close(self) -> None:
        if hasattr(self.con, "disconnect"):
            self.con.disconnect()


# PostgreSQL: the fact tables are written sorted on the date their questions' periods filter on, so
# a period reads a contiguous run of pages through that date's index rather than every page (the
# rows of a quarter are spread over the whole table in the file's order); owner_id serves a rep's
# own numbers. The tables the deals' view joins for a dimension get a unique index on their key (the
# loader keeps one row per key): PostgreSQL then drops the joins a question does not use, rather than
# hashing every account for each query ("my revenue this year" as a rep: 638 ms -> 9 ms at 10M deals).
PG_ORDER = {"opportunities": "close_date", "leads": "created_date", "marketing_spend": "month"}
PG_UNIQUE = ("reps", "accounts")
PG_INDEXES = {"opportunities": ("close_date", "created_date", "owner_id"), "leads": ("created_date",),
              # a slice's history rows; the deals changed in a digest's window or in the 30 days
              # before a day ("stalled"): warehouse_deals
              "opportunity_history": ("opportunity_id", "changed_at")}
PG_TYPES = {"string": "TEXT", "large_string": "TEXT", "double": "DOUBLE PRECISION", "bool": "BOOLEAN",
            "int64": "BIGINT", "date32[day]": "DATE"}
PG_COPY_ROWS = 200_000  # rows per CSV chunk sent: a bounded buffer whatever the table's size


def _pg_dsn(url: str) -> str | None:
    """A libpq URL for a PostgreSQL warehouse URL (the forms `connect` takes), else None."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        return "postgresql://" + rest
    return None


class _PgTarget:
    """PostgreSQL through psycopg: CREATE TABLE, COPY … FREEZE (rows written frozen and visible, so
    the first queries do not rewrite every page to set hint bits), the indexes, ANALYZE. Ibis's own
    path sends rows as INSERT parameters, hours for 10M deals."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.conn = psycopg.connect(dsn)

    def write(self, name: str, frame: pd.DataFrame, dates: list[str]) -> None:
        table = _arrow(frame, dates, PG_ORDER.get(name))
        with self.conn.transaction():  # COPY FREEZE needs the table created in the same transaction
            self.conn.execute(_pg_sql("DROP TABLE IF EXISTS {}", name))
            self.conn.execute(_pg_sql("CREATE TABLE {} ({})", name, _pg_columns(table)))
            self._copy(name, table)
            self.conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for col in PG_INDEXES.get(name, ()):
                if col in table.column_names:
                    self.conn.execute(_pg_sql("CREATE INDEX {} ON {} ({})", f"{name}_{col}_idx", name, col))
            if name in PG_UNIQUE:
                from psycopg import sql

                key = sql.SQL(", ").join(map(sql.Identifier, TABLES[name].key))
                self.conn.execute(_pg_sql("CREATE UNIQUE INDEX {} ON {} ({})", f"{name}_key", name, key))
        self.conn.execute(_pg_sql("ANALYZE {}", name))
        self.conn.commit()

    def _copy(self, name: str, table) -> None:
        import pyarrow.csv as pa_csv

        sql = _pg_sql("COPY {} FROM STDIN WITH (FORMAT csv, FREEZE)", name)
        # Arrow quotes every string (an empty one as ""), never a null: PostgreSQL reads NULL for a null.
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        with self.conn.cursor().copy(sql) as copy:
            for batch in table.to_batches(max_chunksize=PG_COPY_ROWS):
                sink = _pa().BufferOutputStream()
                pa_csv.write_csv(batch, sink, options)
                copy.write(sink.getvalue())

    def close(self) -> None:
        self.conn.close()


def _pa():
    import pyarrow

    return pyarrow


def _arrow(frame: pd.DataFrame, dates: list[str], order: str | None):
    """The frame as an Arrow table (NaN as null, as Ibis's memtable has it), date columns as dates,
    sorted on `order` when given (missing dates last)."""
    pa = _pa()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for col in dates:
        i = table.column_names.index(col)
        table = table.set_column(i, col, table[col].cast(pa.date32()))
    if order in table.column_names:
        table = table.sort_by(order)  # Arrow puts nulls last
    return table


def _pg_columns(table):
    from psycopg import sql

    def pg_type(t) -> str:
        if _pa().types.is_timestamp(t):
            return "TIMESTAMP"
        return PG_TYPES[str(t)]

    return sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(pg_type(f.type)))
                              for f in table.schema)


def _pg_sql(template: str, *parts):
    """SQL with identifiers quoted (strings) or SQL fragments (already composed) in its {} places."""
    from psycopg import sql

    return sql.SQL(template).format(*[sql.Identifier(p) if isinstance(p, str) else p for p in parts])
