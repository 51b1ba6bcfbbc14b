"""Deal lists and digests over a warehouse (issue 15, item 5): the file store's own code over a slice.

deals.py (conditions, risk flags, order, rows) and bot/digest/content.py (changes, risks, closing this
week) read a MetricsStore's frames. Over a warehouse, SQL picks the deals they need and their code runs
unchanged over a `DealSlice`: a MetricsStore holding only those deals (the columns that code reads,
amounts converted by the file store's own _convert_money) and, of their history, only the rows it reads.

Deal lists (`list_deals_sql`): scope, filters, status, the period or upcoming, the amount bounds and
the risk reasons asked (contracts/digest.md, in SQL: `_with_risks`) become WHERE; ORDER BY (the last
change: each deal's latest history time, joined), LIMIT and COUNT go down too, and only the rows shown
come back: whatever the number of deals that match, a list fetches at most its limit. When the rows
show reasons or the last change, they come with their history rows, and deals.list_deals works those
out over them as on the file store.

Digests (`digest_deals`): the deals changed since the earliest window of a day's recipients, of the
owners those recipients see, with their history rows; for messages, each owner's first few risky deals
and deals closing this week (a window function ranks them in SQL) and the muted deals, with the risky
deals counted per owner and reason in one GROUP BY; for the preview's JSON, which lists every risk, all
their open deals. And, over the whole table, the share of each stage's deals won and lost
(`DealSlice.stage_outcomes`), by which the digest tells a history row's stage won, lost or open.

History rows kept, per deal: its latest row, its latest row before the day, and its latest row before
each window's first day. That is all that deals.py (the latest change before the day; stalled: a row
in the 30 days before the day, or none before it) and the digest (each window's start and end states) read of it: they take
only the latest row before a date, or the latest of all.

Ties: the file store breaks them by file order (equal amounts or dates in a list or a digest section;
history rows at the same instant). A warehouse table has no order: its `_row` column stands for it
(load_into writes each row's file row number). Without one, opportunity_id in the warehouse's
collation (history: stage, amount, close date): stable, but not any file's order.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import Iterable

import numpy as np
import pandas as pd

from bot.metrics.deals import (CLOSING_SOON_DAYS, EARLY_STAGE, STALLED_DAYS, DealQuery, DealResult, list_deals,
                               list_period)
from bot.metrics.engine import Engine
from bot.metrics.loader import LoadReport, TableReport
from bot.metrics.periods import Calendar, Period
from bot.metrics.schema import TABLES
from bot.metrics.store import MetricsStore, _categorise, _convert_money, _currencies
from bot.metrics.warehouse import ROW, WarehouseEngine, _ibis, _in_period, id_table, scoped, typed

HISTORY = "opportunity_history"
# What deals.py and the digest read of a deal and of a history row; the rest stays in the warehouse.
DEAL_COLUMNS = ("opportunity_id", "name", "account_id", "owner_id", "stage", "is_closed", "is_won", "amount",
                "currency", "created_date", "close_date")
HISTORY_COLUMNS = ("opportunity_id", "changed_at", "stage", "amount", "close_date")
# A list's order_by: the relation's column, and whether `desc` sorts it descending (age: oldest first).
ORDER = {"amount": ("_v", True), "close_date": ("close_date", True), "age": ("created_date", False),
         "last_change": ("_last", False)}


@dataclass
class DealSlice(MetricsStore):
    """Some deals of a warehouse with some of their history, as the file store holds them (see above)."""

    source: WarehouseEngine | None = field(default=None, repr=False)

    def stage_outcomes(self) -> pd.DataFrame:
        """Per stage ('' for none): the share of all the warehouse's deals in it that are won, and lost.
        Kept with the warehouse's store, not the slice: a slice is made per digest day and preview,
        and this is one pass over the whole table."""
        return self.source.store.cached("stage_outcomes", lambda: _stage_outcomes(self.source))

    def names(self, dim: str, ids: Iterable[str]) -> dict[str, str]:
        return self.source.store.names(dim, ids)  # accounts are looked up in the warehouse


# ---------------------------------------------------------------- deal lists

def _cents(value) -> float:
    """A SUM as deals.together rounds it (NULL: no amounts)."""
    return 0.0 if value is None or pd.isna(value) else round(float(value), 2)


def list_deals_sql(wh: WarehouseEngine, query: DealQuery, cal: Calendar, filters: dict[str, list[str]],
                   scope: frozenset[str] | None) -> DealResult:
    """deals.list_deals over a warehouse, with the same result; `filters` are canonical values. Only the
    deals shown are fetched: conditions, risk reasons, order, LIMIT and COUNT are SQL."""
    period = list_period(query, cal)
    t = wh.relations.deals()
    r, flags = _with_risks(wh, cal.as_of, query.stalled_days) if query.risks else (t, {})
    preds = _conditions(r, query, period, cal.as_of, filters, scope)
    if query.risks:  # an open deal's reasons (deals.list_deals)
        preds += [~r.is_closed, reduce(operator.or_, [flags[k] for k in query.risks])]
    column, same = ORDER[query.order_by]
    total = None
    if query.risks or query.order_by == "last_change":  # the rows' reasons and last change read their history
        rel = r.filter(*preds)
        if query.order_by == "last_change":  # over the deals meeting the conditions but the risk reasons
            conditions = _conditions(t, query, period, cal.as_of, filters, scope)
            rel = _with_last_change(wh, rel, t.filter(*conditions) if conditions else t, cal.as_of)
        # Counted in the same pass as the ranking (COUNT(*) OVER ()): which deals are stalled is most of
        # the work, 20 s at 10M deals, and a separate COUNT did it again.
        rel = rel.mutate(_n=rel.count().over(_ibis().window()), _s=rel._v.sum().over(_ibis().window()))
        tie = rel[ROW] if ROW in rel.columns else rel.opportunity_id
        top = rel.order_by([_key(rel[column], query.desc == same), tie]).select("opportunity_id", "_n", "_s")
        got = _execute(wh, top.limit(query.limit))
        total = int(got["_n"].iloc[0]) if len(got) else 0
        amount = _cents(got["_s"].iloc[0]) if len(got) else 0.0
        shown = _slice(wh, [t.opportunity_id.isin(got["opportunity_id"].astype(str).tolist())], cal.as_of)
    else:
        shown = _slice(wh, preds, cal.as_of, order=(column, query.desc == same), limit=query.limit,
                       with_history=False)
    result = list_deals(shown, wh.catalog, query, cal, {}, None)  # its own conditions hold for every row
    if total is None:  # the count and the amounts together, in one query
        rel = r.filter(*preds) if preds else r
        got = _execute(wh, rel.aggregate(_n=rel.count(), _s=rel._v.sum()))
        total, amount = int(got["_n"].iloc[0]), _cents(got["_s"].iloc[0])
    result.total, result.amount = total, amount
    result.filters = filters
    return result


def _with_risks(wh: WarehouseEngine, as_of: date, stalled_days: int = STALLED_DAYS) -> tuple:
    """The deals relation with `_stalled` as of `as_of` (a view: Relations.view), and deals.risk_flags
    (contracts/digest.md) as predicates over it. Date columns are compared as the file store compares its
    dates, at midnight (a timestamp counts as its day)."""
    r = wh.relations.view(("stalled", as_of, stalled_days),
                          lambda: _stalled(wh, wh.relations.deals(), as_of, stalled_days))
    close = r.close_date
    today, soon = _day(close, as_of), _day(close, as_of + timedelta(days=CLOSING_SOON_DAYS))
    defaults = {k.lower(): float(v) for k, v in wh.catalog.setting("stage_probability", {}).items()}
    early = [s for s in wh.store.values("opportunities", "stage") if defaults.get(s.lower(), np.inf) <= EARLY_STAGE]
    return r, {"overdue": close.notnull() & (close < today),
               "stalled": r._stalled,
               "early_stage_closing": close.notnull() & (close >= today) & (close < soon) & r.stage.isin(early or [""]),
               "missing_amount": r._v.isnull(),
               "missing_close_date": close.isnull()}


def _stalled(wh: WarehouseEngine, t, as_of: date, days: int = STALLED_DAYS):
    """`t` with `_stalled`: no history row in the `days` (30) days before `as_of`; without any history,
    created that many days or more before (deals.risk_flags; none without a history table). That is: no recent row, and
    either created that long ago or with some history. Both are LEFT JOINs on small sets of ids, the deals
    changed in those 30 days and, of the deals created since, those with history. An IN (subquery) inside
    a CASE or an OR is no join to PostgreSQL: it rescans the history for every deal (a 1M-deal "stalled
    deals" ran for more than ten minutes that way)."""
    ibis = _ibis()
    if not _has_history(wh):
        return t.mutate(_stalled=ibis.literal(False))
    start = as_of - timedelta(days=days)

    def old(r):  # created `days` days or more before as_of
        return r.created_date.notnull() & (r.created_date < _day(r.created_date, start + timedelta(days=1)))

    h = wh.store.table(HISTORY)  # each use filters it in one step (_history_of)
    recent = _history_of(h, h.changed_at >= _day(h.changed_at, start), h.changed_at < _day(h.changed_at, as_of))
    recent = recent.select(_recent=recent.opportunity_id).distinct()
    known = _history_of(h, h.opportunity_id.isin(t.filter(~old(t)).opportunity_id), h.changed_at < _day(h.changed_at, as_of))
    known = known.select(_known=known.opportunity_id).distinct()
    r = t.left_join(recent, t.opportunity_id == recent._recent).left_join(known, t.opportunity_id == known._known)
    return r.mutate(_stalled=r._recent.isnull() & (old(r) | r._known.notnull())).drop("_recent", "_known")


def _with_last_change(wh: WarehouseEngine, rel, among, as_of: date):
    """The relation with `_last`: each deal's latest history time before as_of (null: none), grouped over
    the history of `among`'s deals only, a superset of `rel`'s read without its risk reasons: filtered
    by "stalled deals" itself, the history was read after computing which deals are stalled a second
    time (14 s against 6 s for the exec at 10M deals)."""
    if not _has_history(wh):
        return rel.mutate(_last=_ibis().null("timestamp"))
    h = wh.store.table(HISTORY)
    h = _history_of(h, h.opportunity_id.isin(among.opportunity_id), h.changed_at < _day(h.changed_at, as_of))
    last = h.group_by(_lc_id=h.opportunity_id).aggregate(_last=h.changed_at.max())
    return rel.left_join(last, rel.opportunity_id == last._lc_id).drop("_lc_id")


def _key(col, descending: bool):
    """An ORDER BY key, missing values last either way (deals._sort)."""
    return (_ibis().desc if descending else _ibis().asc)(col, nulls_first=False)


def _conditions(t, query: DealQuery, period: Period | None, as_of: date, filters: dict[str, list[str]],
                scope: frozenset[str] | None) -> list:
    """deals.list_deals' conditions but the risks, as predicates over the deals relation."""
    preds = scoped(t, "deals", filters, scope)
    status = {"open": ~t.is_closed, "won": t.is_won, "lost": t.is_closed & ~t.is_won, "closed": t.is_closed}
    if query.status in status:  # "any": none
        preds.append(status[query.status])
    if query.status in ("won", "lost", "closed"):  # done by as_of (deals._dates)
        preds.append(t.close_date < _day(t.close_date, as_of + timedelta(days=1)))
    if period is not None:
        preds.append(_in_period(t, "close_date" if query.date_field == "close" else "created_date", period))
    if query.upcoming:
        preds.append(t.close_date >= _day(t.close_date, as_of))
    if query.amount_min is not None:  # a deal without an amount is neither over nor under (deals._amounts)
        preds.append(t._v > query.amount_min)
    if query.amount_max is not None:
        preds.append(t._v < query.amount_max)
    return preds


# ---------------------------------------------------------------- digests and a digest's deal buttons

@dataclass
class DigestDeals:
    """What a day's digests read of deals: a store holding them and, when the store holds only each
    owner's first risks (a warehouse's slice), every owner's count of risky deals per reason."""

    store: MetricsStore
    risk_tally: pd.DataFrame | None = None  # index owner_id; columns "all" and each reason


def digest_deals(engine: Engine, day: date, starts: Iterable[date], owners: frozenset[str] | None,
                 per_owner: int | None = None, muted: frozenset[str] = frozenset()) -> DigestDeals:
    """What a day's digests read of deals (bot/digest/content.py), for windows starting on `starts` and
    ending the day before `day`, for recipients seeing `owners` (None: everyone): the file store itself.
    From a warehouse: the owners' deals changed in a window, with their history, and their open deals;
    with `per_owner`, only each owner's first that many risky deals and deals closing this week (largest
    amount first) and the `muted` deals, with the risky deals counted in SQL instead."""
    if not isinstance(engine, WarehouseEngine):
        return DigestDeals(engine.store)
    starts = sorted(set(starts))
    t = engine.relations.deals()
    scope = scoped(t, "deals", {}, owners)
    # The ids of each owner's first deals are fetched first and the slice is read by them, UNION the deals
    # changed in a window: an OR of IN (subquery) is no join to PostgreSQL, which then ran each subquery
    # per deal, and the changed deals' ids (160k a day at 10M deals) are not worth a round trip.
    ids, tally, moved = set(), None, None
    if per_owner is not None:
        r, flags = _with_risks(engine, day)
        risky = r.filter(~r.is_closed, reduce(operator.or_, flags.values()), *scoped(r, "deals", {}, owners))
        monday = day - timedelta(days=day.weekday())
        week = t.filter(~t.is_closed, t.close_date >= _day(t.close_date, monday),
                        t.close_date < _day(t.close_date, monday + timedelta(days=7)), *scope)
        firsts, tally = _risky_firsts(engine, risky, flags, per_owner)
        ids |= {*firsts, *_ids(engine, _firsts(week, per_owner)), *muted}
    if starts and starts[0] < day and _has_history(engine):
        h = engine.store.table(HISTORY)
        changed = _history_of(h, h.changed_at >= _day(h.changed_at, starts[0]), h.changed_at < _day(h.changed_at, day))
        moved = [t.opportunity_id.isin(changed.opportunity_id), *scope]
    wanted = ~t.is_closed if per_owner is None else t.opportunity_id.isin(id_table(ids)._id)
    return DigestDeals(_slice(engine, [wanted, *scope], day, starts, also=moved), tally)


def _firsts(rel, n: int, **counts):
    """Each owner's first `n` deals of `rel` (their ids), largest amount first (the digest's order:
    missing amounts last, ties in file order); with `counts` (name: a flag over `rel`), each row also
    carries its owner's count of deals with each flag, over all of the owner's deals."""
    ibis = _ibis()
    keep = [c for c in ("opportunity_id", "owner_id", "_v", ROW) if c in rel.columns]
    rel = rel.select(*keep, **{k: ibis.ifelse(flag, 1, 0) for k, flag in counts.items()})  # a narrow sort
    tie = rel[ROW] if ROW in rel.columns else rel.opportunity_id
    rank = ibis.row_number().over(group_by=rel.owner_id, order_by=[_key(rel._v, True), tie])
    owner = ibis.window(group_by=rel.owner_id)
    rel = rel.mutate(_rank=rank, **{k: rel[k].sum().over(owner) for k in counts})
    return rel.filter(lambda x: x._rank < n).select("opportunity_id", *(["owner_id", *counts] if counts else []))


def _ids(wh: WarehouseEngine, rel) -> list[str]:
    """The opportunity ids of `rel`, fetched."""
    return _execute(wh, rel)["opportunity_id"].astype(str).tolist()


def _risky_firsts(wh: WarehouseEngine, risky, flags: dict, n: int) -> tuple[list[str], pd.DataFrame]:
    """Each owner's first `n` risky deals (ids), and per owner the risky deals in all and with each reason
    (`flags`, over the relation `risky` was filtered from), in one query: the counts are window sums over
    each owner's deals, read off their first row. Ranking and counting apart read the deals twice, and
    computing which are stalled is most of each read (15 s for a manager at 10M deals)."""
    got = _execute(wh, _firsts(risky, n, all=_ibis().literal(True), **flags))
    firsts = got["opportunity_id"].astype(str).tolist()
    got = got.drop_duplicates("owner_id")
    counts = got.drop(columns=["opportunity_id", "owner_id"]).astype("int64")
    counts.index = pd.Index(got["owner_id"].astype(object).where(got["owner_id"].notna(), None), name="owner_id")
    return firsts, counts


def deal_store(engine: Engine, opportunity_id: str, day: date) -> MetricsStore:
    """A store holding the deal, as of `day` (a digest's deal buttons): the file store itself; from a
    warehouse, a slice of that deal with its history."""
    if not isinstance(engine, WarehouseEngine):
        return engine.store
    t = engine.relations.deals()
    return _slice(engine, [t.opportunity_id == opportunity_id], day)


# ---------------------------------------------------------------- the slice

def _slice(wh: WarehouseEngine, preds: list, day: date, starts: Iterable[date] = (),
           order: tuple[str, bool] | None = None, limit: int | None = None, with_history: bool = True,
           also: list | None = None) -> DealSlice:
    """The deals matching `preds` (over wh.relations.deals()), or `also` when given: first by `order`
    (column, descending; missing values last) when given, then in file order; at most `limit`; with their
    history rows for `day` and windows starting on `starts`."""
    t = wh.relations.deals()
    columns = [c for c in (*DEAL_COLUMNS, "_v", ROW) if c in t.columns]
    picked = (t.filter(*preds) if preds else t).select(*columns)
    if also is not None:
        picked = picked.union(t.filter(*also).select(*columns), distinct=True)
    keys = [] if order is None else [_key(picked[order[0]], order[1])]
    picked = picked.order_by([*keys, picked[ROW] if ROW in picked.columns else picked.opportunity_id])
    deals = _deal_frame(_execute(wh, picked.limit(limit) if limit else picked), wh.store)
    history = None
    if with_history and _has_history(wh):
        history = _history_frame(wh, deals, [day, *starts])
    return _as_slice(wh, deals, history)


def _deal_frame(raw: pd.DataFrame, store: MetricsStore) -> pd.DataFrame:
    """Fetched deals as the file store loads them (store.load_store): typed, amounts converted by the
    same code, labels as categories; in the order fetched, which stands for the file's."""
    frame = typed(raw, [c for c in TABLES["opportunities"].columns if c.name in DEAL_COLUMNS])
    frame["is_won"] = frame["is_won"].astype(bool)  # the relation's: never null, won deals closed
    frame["is_closed"] = frame["is_closed"].astype(bool)
    currency = _currencies(frame, store.base_currency)
    _convert_money("opportunities", frame, currency, store.fx, _report("opportunities", len(frame)))
    return _categorise("opportunities", frame)


def _history_frame(wh: WarehouseEngine, deals: pd.DataFrame, cuts: list[date]) -> pd.DataFrame:
    """The deals' history rows that deals.py and the digest read (see the module's docstring), typed as
    read (the slice keeps them as MetricsStore.history does: _as_slice)."""
    h = wh.store.table(HISTORY)
    ids = id_table(deals["opportunity_id"].astype(str))
    h = _history_of(h, h.opportunity_id.isin(ids._id))
    h = h.select(*[c for c in (*HISTORY_COLUMNS, ROW) if c in h.columns])
    parts = [_latest(h, None), *(_latest(h, cut) for cut in sorted(set(cuts)))]
    return typed(_execute(wh, _ibis().union(*parts, distinct=True)), TABLES[HISTORY].columns)


def _latest(h, before: date | None):
    """Each deal's latest history row (before the day `before`, when given); ties as the file's order."""
    ibis = _ibis()
    part = h if before is None else h.filter(h.changed_at < _day(h.changed_at, before))
    ties = [part[ROW]] if ROW in part.columns else [part[c] for c in ("stage", "amount", "close_date") if c in part.columns]
    rank = ibis.row_number().over(group_by=part.opportunity_id,
                                  order_by=[ibis.desc(part.changed_at), *(ibis.desc(c) for c in ties)])
    return part.mutate(_rank=rank).filter(lambda x: x._rank == 0).drop("_rank")


def _as_slice(wh: WarehouseEngine, deals: pd.DataFrame, history: pd.DataFrame | None) -> DealSlice:
    """The slice as a store: its deals and history, and the reps (the accounts' names of the rows shown
    are asked of the warehouse: DealSlice.names)."""
    store = wh.store
    tables = {"opportunities": deals}
    if "reps" in store.tables:
        tables["reps"] = store.tables["reps"]
    out = DealSlice(store.config, LoadReport(), tables, store.fx, signature=store.signature, source=wh)
    if history is not None:
        out.keep_history(history, _report(HISTORY, len(history)))
    return out


def _stage_outcomes(wh: WarehouseEngine) -> pd.DataFrame:
    """Over every deal: per stage ('' for none), the share won and the share lost (content._stage_tables)."""
    ibis = _ibis()
    t = wh.relations.deals(money=False)
    got = _execute(wh, t.group_by(stage=ibis.coalesce(t.stage.cast("string"), ibis.literal(""))).aggregate(
        n=t.count(), won=_count_if(t.is_won), lost=_count_if(t.is_closed & ~t.is_won)))
    n = got["n"].astype("float64").to_numpy()
    return pd.DataFrame({"won": got["won"].astype("float64").to_numpy() / n,
                         "lost": got["lost"].astype("float64").to_numpy() / n},
                        index=pd.Index(got["stage"].astype(str), name="stage"))


# ---------------------------------------------------------------- helpers

def _has_history(wh: WarehouseEngine) -> bool:
    store = wh.store

    def present() -> bool:
        with store.sql_lock:
            return HISTORY in set(store.con.list_tables())

    return store.cached(("warehouse_has", HISTORY), present)


def _history_of(h, *preds):
    """History rows with a time (as the loader keeps them) matching `preds`, in one filter: a filtered
    table used twice in a query becomes a common table expression, which PostgreSQL materialises whole
    instead of pushing each use's conditions into it and using the indexes."""
    return h.filter(h.changed_at.notnull(), *preds)


def _count_if(cond):
    """The number of rows where `cond` holds (PostgreSQL sums no boolean)."""
    return _ibis().ifelse(cond, 1, 0).sum()


def _day(col, day: date):
    """The start of `day` as a literal of the column's type (a DATE, or a TIMESTAMP at midnight UTC)."""
    return _ibis().literal(datetime.combine(day, time()) if col.type().is_timestamp() else day)


def _report(name: str, rows: int) -> LoadReport:
    """A report for _convert_money to write to (a slice's rows were checked when they were loaded)."""
    return LoadReport(tables={name: TableReport(name, f"warehouse:{name}", rows, rows)})


def _execute(wh: WarehouseEngine, expr) -> pd.DataFrame:
    return wh.store.fetch(expr)  # one connection for the engine's questions and its scheduler's digests
