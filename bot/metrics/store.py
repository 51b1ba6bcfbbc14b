"""The metrics store kept hot in memory: typed frames, base-currency amounts, joined dimensions.

Loading does the expensive work once (parsing, fx conversion, owner → region/team and
account → segment joins, month keys), so a question costs a filter and a group-by.
`StoreHolder` reloads the store when its files change.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bot.errors import StoreError
from bot.memory import give_back
from bot.metrics.fx import FxTable, month_index
from bot.metrics.loader import LoadReport, StoreConfig, TableSource, arrow_text, derive_outcome, read_config, read_table
from bot.metrics.schema import TABLES
from bot.observability import observe_store

T = TypeVar("T")

# Label columns that become categoricals, per table.
CATEGORIES = {
    "reps": ["team", "region", "timezone", "role"],
    "accounts": ["segment", "industry", "country", "region"],
    "opportunities": ["owner_id", "account_id", "product_line", "type", "source", "stage", "currency"],
    "leads": ["source", "region"],
    "revenue": ["account_id", "currency"],
    "targets": ["rep_id", "team", "region", "currency"],
    "marketing_spend": ["channel", "region", "currency"],
    "nps_responses": ["account_id"],
    "support_cases": ["account_id"],
    "fx_rates": ["currency"],
    "opportunity_history": ["stage"],
}


# Rows from which repeated free text is kept as categories (_share_repeated_text): below, a text
# column's few MB are not worth encoding.
REPEATED_TEXT_FROM = 100_000
# Columns the load reads for its own checks and joins that no KPI (context.FACTS, formulas), deal
# list (deals.py), digest (bot/digest) or identity look-up (access.py) reads afterwards: keys checked
# for duplicates, the dates month keys are made from, the account's partner behind has_partner, the
# deal's own-currency amount (digests read the history's), revenue's currency (its amounts are in
# the base currency once loaded). Dropped once loaded: about 80 MB at 1M deals. Code that starts
# reading one takes it off these lists.
LOAD_ONLY = {
    "opportunities": ("partner_id", "amount_local"),
    "revenue": ("month", "currency"),
}
# Of those, the ones no step after read_table reads: dropped as each table is read, not at the end.
CHECKED_ONLY = {
    "leads": ("lead_id", "opportunity_id"),
    "support_cases": ("case_id",),
}


@dataclass
class MetricsStore:
    config: StoreConfig
    report: LoadReport
    tables: dict[str, pd.DataFrame]
    fx: FxTable
    signature: tuple = ()
    loaded_at: float = field(default_factory=time.time)
    # Things derived from the frames once and reused by every query (arrays, lookups).
    derived: dict = field(default_factory=dict, repr=False)

    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def cached(self, key: object, make: Callable[[], T]) -> T:
        hit = self.derived.get(key)
        if hit is None:
            with self._lock:  # one builder per key, even when a warm-up thread is at it too
                hit = self.derived.get(key)
                if hit is None:
                    hit = self.derived[key] = make()
        return hit

    @property
    def base_currency(self) -> str:
        return self.config.base_currency

    @property
    def fiscal_year_start_month(self) -> int:
        return self.config.fiscal_year_start_month

    @property
    def deals(self) -> pd.DataFrame:
        return self.tables["opportunities"]

    def history(self) -> pd.DataFrame | None:
        """opportunity_history, loaded, checked and converted on first use; None when absent."""
        if "opportunity_history" not in self.tables:
            src = self.config.sources.get("opportunity_history")
            frame = read_table(src, self.config, self.report) if src else None
            if frame is None:
                return None
            self.keep_history(frame, self.report)
            give_back()
        return self.tables["opportunity_history"]

    def keep_history(self, frame: pd.DataFrame, report: LoadReport) -> None:
        """History rows as read, kept: amounts converted (convert_history), labels as categories, and
        each row's deal as its position (history_deal_pos, int32, -1: none, for digests and stalled
        deals) instead of its id: 4 bytes a row, not a string (75 MB of ids at 1M deals, 3.9M rows).
        The file-row column the other tables keep for their reports goes too: the history's problems
        were reported as it loaded."""
        pos = convert_history(frame, self.deals, self.fx, self.base_currency, report).astype(np.int32)
        self.tables["opportunity_history"] = _categorise("opportunity_history", frame).drop(
            columns=["_row", "opportunity_id"])
        self.cached("history_deal_pos", lambda: pos)

    def last_changes(self, before: int) -> np.ndarray | None:
        """Per deal, its latest history change before `before` (seconds; NO_DATE: none), what stalled
        deals and the "longest unchanged" order read as of a day; None without a history. From the
        history when it is loaded (digests, `data check`); else from its file's deal id and time alone,
        never kept: a process that only answers holds no history rows (3.9M at 1M deals: 170 MB held,
        and 280 MB more at the peak of their load), only 8 bytes a deal. Kept for the two latest
        `before`s: askers in time zones either side of midnight are as of two days."""
        with self._lock:
            held = self.derived.setdefault("last_changes", {})
            if before not in held:
                for old in list(held)[:-1]:
                    del held[old]
                held[before] = self._read_last_changes(before)
            return held[before]

    def _read_last_changes(self, before: int) -> np.ndarray | None:
        latest = LatestChange(len(self.deals), before)
        if "opportunity_history" in self.tables:
            latest.add(self.derived["history_deal_pos"],
                       self.tables["opportunity_history"]["changed_at"].to_numpy().view(np.int64))
            return latest.last
        src = self.config.sources.get("opportunity_history")
        if src is None:
            return None
        if not _parquet_last_changes(src, self.deals["opportunity_id"], latest):
            # CSV, or a file the batched read cannot take as it is: read and checked as a table
            frame = read_table(src, self.config, self.report, only=("opportunity_id", "changed_at"))
            if frame is None:
                return None
            latest.add(positions(self.deals["opportunity_id"], frame["opportunity_id"]),
                       frame["changed_at"].to_numpy().view(np.int64))
            del frame
        give_back()
        return latest.last

    def has(self, table: str) -> bool:
        return table in self.tables and len(self.tables[table]) > 0

    def latest_date(self) -> date | None:
        """The latest date any deal moved (created or closed), a hint at how fresh the data is."""
        d = self.deals
        closed = d["close_date"].where(d["is_closed"])
        latest = max(filter(pd.notna, [closed.max(), d["created_date"].max()]), default=None)
        return latest.date() if latest is not None else None

    def names(self, dim: str, ids: Iterable[str]) -> dict[str, str]:
        """id → display name of the reps (dim "owner") or accounts ("account") with these ids; ids
        unknown or without a name are left out. Looked up for the ids asked, not kept for every
        account: a deal list shows ten, and a million-entry dictionary costs a hundred MB."""
        table, key = NAMED[dim]
        frame = self.tables.get(table)
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if frame is None or "name" not in frame.columns or not wanted:
            return {}
        pos = positions(frame[key], pd.Series(wanted, dtype="string"))
        found = pos >= 0
        names = frame["name"].iloc[pos[found]].astype("string").tolist()
        return {i: n for i, n in zip(np.asarray(wanted, dtype=object)[found], names) if isinstance(n, str) and n}

    def stage_outcomes(self) -> pd.DataFrame:
        """Per stage of the opportunities table ('' for none): the share of its deals won, and lost
        (the digest tells a history row's stage by it). A warehouse's deal slice asks its warehouse."""
        d = self.deals
        won = d["is_won"].to_numpy(dtype=bool)
        lost = d["is_closed"].to_numpy(dtype=bool) & ~won
        stage = d["stage"].astype("string").fillna("")
        return pd.DataFrame({"stage": stage, "won": won, "lost": lost}).groupby("stage").mean()

    def values(self, table: str, column: str) -> list[str]:
        """Distinct labels of a column, for validating and suggesting filter values."""
        frame = self.tables.get(table)
        if frame is None or column not in frame.columns:
            return []
        s = frame[column]
        return self.cached(("values", table, column), lambda: sorted(
            str(v) for v in (s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else s.dropna().unique())))


# ---------------------------------------------------------------- loading

def positions(keys: pd.Series, rows: pd.Series) -> np.ndarray:
    """For each of `rows`, the position of its value in `keys` (-1: none). Arrow's hash lookup on
    the strings as loaded: no Python objects, which for millions of history rows saves seconds
    and a few hundred MB at load."""
    found = pc.index_in(arrow_text(rows), value_set=arrow_text(keys).combine_chunks())
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


NO_DATE = np.iinfo(np.int64).min  # NaT's integer: no date
DAY = 86_400
# History rows read at a time, each batch given back to the system when done: the allocator keeps what
# it freed. At 1M deals (3.9M rows) million-row batches peaked 200 MB over the store, 262k-row ones
# 90 MB with the file's row group read ahead whole, and these, read page by page, 48 MB (1.3 s, not
# 1.15); a column at a time, 30 MB.
HISTORY_BATCH = 1 << 17


class LatestChange:
    """Each deal's latest history change before a time, taken a batch of rows at a time."""

    def __init__(self, n_deals: int, before: int) -> None:
        self.before = before
        self.last = np.full(n_deals, NO_DATE, dtype=np.int64)

    def add(self, deal: np.ndarray, at: np.ndarray) -> None:
        """Rows as (deal position, time in seconds); rows of no known deal, without a time (NO_DATE)
        or at `before` or later say nothing."""
        ok = (deal >= 0) & (at != NO_DATE) & (at < self.before)
        np.maximum.at(self.last, deal[ok], at[ok])


def _parquet_last_changes(src: TableSource, deal_ids: pd.Series, latest: LatestChange) -> bool:
    """`latest` from a Parquet history, a row group at a time: its ids first, looked up in the deals'
    (rows of no known deal or without a time are skipped, as the table's checks would set them aside;
    `data check` reports them), then its times. Arrow's reader holds a row group's column decoded
    while it reads it: one column at a time peaks half as high (at 1M deals 30 MB over the store, not
    50). False when the file is not Parquet, lacks either column, holds the time as text, or cannot be
    read: read_table then reads it, and says why."""
    names = [src.columns.get(c, c) for c in ("opportunity_id", "changed_at")]
    if src.path.suffix.lower() != ".parquet" or not src.path.exists():
        return False
    try:
        file = pq.ParquetFile(src.path, pre_buffer=False)  # not a whole row group's column at once
        schema = file.schema_arrow
        if not all(n in schema.names for n in names) or not pa.types.is_timestamp(schema.field(names[1]).type):
            return False
        keys = arrow_text(deal_ids)  # as the store holds them, in chunks: not copied (19 MB at 1M deals)
        for group in range(file.num_row_groups):
            parts = [np.empty(0, np.int32)]
            for batch in file.iter_batches(batch_size=HISTORY_BATCH, row_groups=[group], columns=names[:1]):
                parts.append(_deal_positions(keys, batch.column(0)))
                del batch
                give_back()
            deal = np.concatenate(parts)
            del parts
            start = 0
            for batch in file.iter_batches(batch_size=HISTORY_BATCH, row_groups=[group], columns=names[1:]):
                at = batch.column(0).to_numpy(zero_copy_only=False).astype("datetime64[s]").view(np.int64)
                latest.add(deal[start:start + len(at)], at)
                start += len(at)
            del deal
            give_back()
    except (OSError, pa.ArrowException):
        return False
    return True


def _deal_positions(keys: pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    """Each id's position among the deals' `keys` (-1: none, or no id). The batch's few distinct ids
    are hashed, not the million deals' (70 MB of hash table)."""
    ids = pc.cast(ids, pa.string()).dictionary_encode()
    where = pc.index_in(keys, value_set=ids.dictionary).fill_null(-1).to_numpy(zero_copy_only=False)
    hit = np.flatnonzero(where >= 0)
    found = np.full(len(ids.dictionary) + 1, -1, dtype=np.int32)  # the last: rows without an id
    found[where[hit]] = hit
    return found[ids.indices.fill_null(-1).to_numpy(zero_copy_only=False)]


def convert_history(frame: pd.DataFrame, deals: pd.DataFrame, fx: FxTable, base: str,
                    report: LoadReport) -> np.ndarray:
    """History amounts into the base currency, each row in its deal's currency (a row whose deal is
    unknown: the base currency); returns each row's deal position (-1: none)."""
    pos = positions(deals["opportunity_id"], frame["opportunity_id"])
    codes = np.where(pos >= 0, deals["currency"].cat.codes.to_numpy()[pos], -1)
    currency = pd.Series(pd.Categorical.from_codes(codes, dtype=deals["currency"].dtype), index=frame.index)
    _convert_money("opportunity_history", frame, currency.fillna(base), fx, report)
    return pos


# What names an id (MetricsStore.names): dimension -> (table, its id column).
NAMED = {"owner": ("reps", "rep_id"), "account": ("accounts", "account_id")}
# What digests read (bot/digest): the processes that only send digests load no more.
DIGEST_TABLES = frozenset({"opportunities", "reps", "accounts", "targets", "fx_rates"})


def load_store(path: Path | str, with_history: bool = False, only: frozenset[str] | None = None) -> MetricsStore:
    """Load a store folder or mapping. opportunity_history, needed only by digests, loads
    on first use (MetricsStore.history) unless with_history asks for it now; `only` names the
    tables to load (None: all), for a process that needs a few of them."""
    started = time.perf_counter()
    cfg = read_config(Path(path))
    if "opportunities" not in cfg.sources:
        raise StoreError(f"{cfg.root}: no opportunities table (opportunities.csv or .parquet, "
                         "or 'opportunities:' in the mapping). It is the one table a store needs.")
    report = LoadReport()
    tables, fx = _load_tables(cfg, report, only)
    store = MetricsStore(cfg, report, tables, fx, signature=signature_of(cfg))
    # After _load_tables returned: the pages its intermediate frames (the label columns as strings
    # before they became categories, about 100 MB at 1M deals) held go back to the system.
    give_back()
    if with_history:
        store.history()
    observe_store(store.tables, time.perf_counter() - started)
    return store


def _load_tables(cfg: StoreConfig, report: LoadReport, only: frozenset[str] | None
                 ) -> tuple[dict[str, pd.DataFrame], FxTable]:
    """Every table but the history read, checked, converted and joined, as the store keeps them."""
    names = [n for n in cfg.sources if n != "opportunity_history" and (only is None or n in only)]
    tables = {}
    for name in names:  # each table takes its kept form before the next is read
        kept = _read_kept(name, cfg, report)
        if kept is not None:
            tables[name] = kept
    if "opportunities" not in tables:
        detail = "; ".join(p.describe() for p in report.problems if p.action == "table not loaded")
        raise StoreError(f"The opportunities table could not be loaded: {detail}")
    fx = FxTable.from_frame(cfg.base_currency, tables.get("fx_rates"))
    for name in tables:
        _convert_money(name, tables[name], _currencies(tables[name], cfg.base_currency), fx, report)
    _check_targets(tables, report)
    _prepare_reps(tables)
    _prepare_deals(tables, report)
    _prepare_monthly(tables, report)
    # The file's row numbers were the index until now, for the reports above; a column of them (the
    # warehouse's _row) would be 31 MB more at the load's peak at 1M deals.
    tables = {name: frame.reset_index(drop=True) for name, frame in tables.items()}
    if "revenue" in tables:
        tables["first_mrr"] = _first_mrr(tables["revenue"])
    for name, frame in tables.items():
        _drop_load_only(name, frame)
        _forget_lookups(frame)
    return tables, fx


def _share_repeated_text(name: str, frame: pd.DataFrame) -> None:
    """Free-text columns (deal names) whose values repeat become categories, each text kept once:
    at 1M demo deals with 315,000 names, 16 MB instead of 40. They read as before (values,
    .tolist(), .astype(str)); a column of mostly distinct values stays as it is."""
    if len(frame) < REPEATED_TEXT_FROM or name not in TABLES:
        return
    for col in TABLES[name].columns:
        if col.kind == "text" and col.name in frame.columns:
            shared = _repeated_as_category(frame[col.name])
            if shared is not None:
                frame[col.name] = shared


def _repeated_as_category(s: pd.Series) -> pd.Categorical | None:
    """The column as a categorical when it has at most half as many distinct values as rows."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return None
    encoded = pc.dictionary_encode(arrow_text(s)).combine_chunks()
    if 2 * len(encoded.dictionary) > len(s):
        return None
    texts = pd.arrays.ArrowStringArray(pa.chunked_array([encoded.dictionary.cast(pa.large_string())]))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype=s.dtype))


def _drop_load_only(name: str, frame: pd.DataFrame) -> None:
    """Drop, in place, the columns only the load itself reads (LOAD_ONLY)."""
    for column in LOAD_ONLY.get(name, ()):
        if column in frame.columns:
            del frame[column]


def _forget_lookups(frame: pd.DataFrame) -> None:
    """Drop the hash tables pandas built over categories while loading (checking that they are
    unique): for text categories one is a Python string per category, 19 MB for the account ids of
    the four tables that name accounts at 1M deals. A later look-up builds its own when it needs it."""
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            getattr(dtype.categories, "_cache", {}).pop("_engine", None)


def signature_of(cfg: StoreConfig) -> tuple:
    files = [s.path for s in cfg.sources.values()]
    files += [cfg.root / "store.yml"]
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), None, None))
    return tuple(out)


def _read_kept(name: str, cfg: StoreConfig, report: LoadReport) -> pd.DataFrame | None:
    """One table read, completed and its labels categorised, its frame as read let go (page by page
    given back) before the next table is read: the load's peak stands on one table's strings."""
    frame = read_table(cfg.sources[name], cfg, report, labels=CATEGORIES.get(name, ()))
    if frame is None:
        return None
    kept = _as_categories(name, _complete(name, frame, cfg, report))
    del frame
    kept = kept.drop(columns=[c for c in CHECKED_ONLY.get(name, ()) if c in kept.columns])
    _share_repeated_text(name, kept)
    _forget_lookups(kept)  # (made checking the new categories: 54 MB for the deals' names at 1M deals)
    give_back()
    return kept


def _complete(name: str, frame: pd.DataFrame, cfg: StoreConfig, report: LoadReport) -> pd.DataFrame:
    """What a table as read lacks and its labels give: deals' outcomes from their stages, managers
    named by reps but absent as rows (both before the labels become categories)."""
    if name == "opportunities":
        return derive_outcome(frame, cfg.sources[name].stages, report.tables[name].file, report)
    if name == "reps" and cfg.sources[name].add_missing_managers:
        return _add_missing_managers(frame)
    return frame


def _as_categories(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The label columns (CATEGORIES) as categories: codes and each label once, not a string a row.
    Categories come sorted, as astype gives them, also where the file's dictionary gave them in the
    order first seen: groupings list their labels in the same order whatever the file's format."""
    cols = [c for c in CATEGORIES.get(name, []) if c in frame.columns]
    frame = frame.astype({c: "category" for c in cols}) if cols else frame
    for c in cols:
        cats = frame[c].cat.categories
        if not cats.is_monotonic_increasing:
            frame[c] = frame[c].cat.reorder_categories(cats.sort_values())
    return frame


def _categorise(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    return _as_categories(name, frame).reset_index(names="_row")


def _add_missing_managers(reps: pd.DataFrame) -> pd.DataFrame:
    """Managers named in manager_id but absent as rows become rows with role manager."""
    managers = set(reps["manager_id"].dropna())
    reps["role"] = reps["role"].mask(reps["role"].isna() & reps["rep_id"].isin(managers), "manager")
    missing = sorted(managers - set(reps["rep_id"]))
    if not missing:
        return reps
    extra = pd.DataFrame({"rep_id": missing, "name": missing, "role": "manager"}, dtype="string")
    return pd.concat([reps, extra], ignore_index=True)


MONEY = {"opportunities": ("amount", "close_date"), "opportunity_history": ("amount", "changed_at"),
         "revenue": ("mrr", "month"), "targets": ("amount", "period_start"), "marketing_spend": ("amount", "month")}


def _currencies(frame: pd.DataFrame, base: str) -> pd.Series:
    """The row currencies as upper-case categories, the base currency where empty."""
    if "currency" not in frame.columns:
        return pd.Series(pd.Categorical([base] * len(frame)), index=frame.index)
    cats = frame["currency"].astype("category")
    upper = cats.cat.categories.astype(str).str.strip().str.upper()
    cats = cats.cat.rename_categories(upper) if upper.is_unique else cats.astype(str).str.upper().astype("category")
    if base not in cats.cat.categories:
        cats = cats.cat.add_categories([base])
    return cats.fillna(base)


def _convert_money(name: str, frame: pd.DataFrame, currency: pd.Series, fx: FxTable, report: LoadReport) -> None:
    """Convert a table's money column to the base currency in place (deals and their history keep the original)."""
    if name not in MONEY:
        return
    column, date_col = MONEY[name]
    dates = frame[date_col]
    if name == "opportunities":
        dates = dates.fillna(frame["created_date"])  # open deals without a close date
    if name in ("opportunities", "opportunity_history"):  # digests compare amounts in the deal's own currency
        frame["amount_local"] = frame[column]
    converted, unknown = fx.convert(frame[column].to_numpy(dtype="float64", na_value=np.nan),
                                    currency, month_index(dates))
    _report_currencies(report, report.tables[name].file, column, currency, frame, unknown, fx)
    frame[column] = converted
    frame["currency"] = currency


def _report_currencies(report: LoadReport, fname: str, column: str, currency: pd.Series, frame: pd.DataFrame,
                       unknown: np.ndarray, fx: FxTable) -> None:
    has_amount = frame[column].notna().to_numpy()
    bad = unknown & has_amount
    if bad.any():
        names = sorted(set(currency[bad]))
        report.add(fname, column, f"no exchange rate in fx_rates for {', '.join(names)}", "amount ignored",
                   frame.index.to_numpy()[bad], currency[bad].head(5), count=int(bad.sum()))
    if not fx.rates:
        others = sorted(set(currency[has_amount]) - {fx.base})
        if others:
            report.add(fname, "currency", f"there is no fx_rates table, so amounts in {', '.join(others)} "
                       f"are taken to be in {fx.base}", "note", count=0)


def _check_targets(tables: dict[str, pd.DataFrame], report: LoadReport) -> None:
    """A target belongs to at most one of rep, team and region; rows naming more are set aside."""
    t = tables.get("targets")
    if t is None:
        return
    levels = t[["rep_id", "team", "region"]].notna().sum(axis=1).to_numpy()
    bad = levels > 1
    if bad.any():
        report.add(report.tables["targets"].file, "rep_id/team/region", f"{int(bad.sum())} target(s) name more "
                   "than one of rep_id, team and region", "row set aside", t.index.to_numpy()[bad], count=int(bad.sum()))
        tables["targets"] = t[~bad]
        report.tables["targets"].rows_loaded -= int(bad.sum())


def _prepare_reps(tables: dict[str, pd.DataFrame]) -> None:
    reps = tables.get("reps")
    if reps is None:
        return
    reps["role"] = reps["role"].astype("string").str.lower().fillna("rep").astype("category")
    reps["active"] = reps["active"].fillna(True).astype(bool)


def _prepare_deals(tables: dict[str, pd.DataFrame], report: LoadReport) -> None:
    """Join the owner's and the account's dimensions onto each deal, add month keys."""
    d = tables["opportunities"]
    fname = report.tables["opportunities"].file
    d["is_won"] = d["is_won"].astype(bool)
    d["is_closed"] = d["is_closed"].astype(bool)
    won_open = (d["is_won"] & ~d["is_closed"]).to_numpy()
    if won_open.any():
        report.add(fname, "is_closed", f"{int(won_open.sum())} deal(s) are won but not closed; "
                   "they are treated as closed", "note", _file_rows(d)[won_open], count=int(won_open.sum()))
        d["is_closed"] = d["is_closed"] | d["is_won"]
    reps, accounts = tables.get("reps"), tables.get("accounts")
    _join(d, "owner_id", reps, "rep_id", {"region": "region", "team": "team"}, fname, report)
    _join(d, "account_id", accounts, "account_id",
          {"segment": "segment", "industry": "industry", "country": "country", "partner_id": "partner_id"},
          fname, report)
    d["has_partner"] = d["partner_id"].notna().to_numpy()
    d["close_m"] = month_index(d["close_date"])
    d["created_m"] = month_index(d["created_date"])
    _mark_first_wins(d)


def _join(d: pd.DataFrame, key: str, other: pd.DataFrame | None, other_key: str, cols: dict[str, str],
          fname: str, report: LoadReport) -> None:
    """Map columns of `other` onto `d` by key, as categoricals; report keys `other` lacks."""
    if other is None:
        for target in cols:
            d[target] = pd.Categorical([None] * len(d))
        return
    idx = pd.Index(other[other_key].astype(str))
    keys = d[key] if isinstance(d[key].dtype, pd.CategoricalDtype) else d[key].astype("category")
    # Look up each distinct key once, then spread by code: O(keys) hashing, not O(rows), and per
    # row only the result's small codes (a wide int64 array a row was 45 MB at the peak of the load).
    per_cat = idx.get_indexer(keys.cat.categories.astype(str))
    codes = keys.array.codes  # -1 (no key) takes each lookup's trailing entry
    unknown = np.append(per_cat == -1, False)[codes]
    if unknown.any():
        report.add(fname, key, f"{int(unknown.sum())} deal(s) name a {key} that is not in {other_key}s; "
                   "their dimensions from that table are empty", "note",
                   _file_rows(d)[unknown], keys[unknown].astype(str).unique()[:5], count=int(unknown.sum()))
    for target, source in cols.items():
        if source not in other.columns:
            d[target] = pd.Categorical([None] * len(d))
            continue
        col = other[source]
        col = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
        mapped = np.append(np.where(per_cat >= 0, col.array.codes[per_cat], -1), -1).astype(col.array.codes.dtype)
        d[target] = pd.Categorical.from_codes(mapped[codes], categories=col.cat.categories)


def _file_rows(d: pd.DataFrame) -> np.ndarray:
    """Each row's row number in its file: the _row column where a warehouse slice keeps one, else the index."""
    return (d["_row"] if "_row" in d.columns else d.index).to_numpy()


def _mark_first_wins(d: pd.DataFrame) -> None:
    """Flag each account's first won deal ever: new_customers counts these."""
    won = d.loc[d["is_won"] & d["account_id"].notna() & d["close_date"].notna(), ["account_id", "close_date"]]
    first = won.sort_values("close_date", kind="stable").drop_duplicates("account_id").index
    d["first_win"] = False
    d.loc[first, "first_win"] = True


def _prepare_monthly(tables: dict[str, pd.DataFrame], report: LoadReport) -> None:
    """Month keys on monthly tables; account dimensions on account-level facts."""
    accounts = tables.get("accounts")
    for name, date_col in (("revenue", "month"), ("marketing_spend", "month"), ("leads", "created_date"),
                           ("nps_responses", "response_date"), ("support_cases", "opened_at")):
        frame = tables.get(name)
        if frame is None:
            continue
        frame["m"] = month_index(frame[date_col])
        if "account_id" in frame.columns:
            _join(frame, "account_id", accounts, "account_id",
                  {"segment": "segment", "industry": "industry", "country": "country", "region": "region"},
                  report.tables[name].file, report)
    if "support_cases" in tables:
        tables["support_cases"]["rm"] = month_index(tables["support_cases"]["resolved_at"])


def _first_mrr(rev: pd.DataFrame) -> pd.DataFrame:
    """Each account's MRR in its first month with MRR above zero (the first such row of that month),
    indexed by account id. On the columns' codes, a month per account: no copy or sort of the table."""
    mrr, acc, month = rev["mrr"].to_numpy(), rev["account_id"].array.codes, rev["m"].to_numpy()
    paying = (mrr > 0) & (acc >= 0)
    first_month = np.full(len(rev["account_id"].cat.categories), np.iinfo(month.dtype).max, dtype=month.dtype)
    np.minimum.at(first_month, acc[paying], month[paying])
    rows = np.flatnonzero(paying & (month == first_month[acc]))  # (acc -1 is never paying)
    _, at = np.unique(acc[rows], return_index=True)  # each account's first row in file order
    first = rows[at]
    ids = rev["account_id"].cat.categories.astype(str)[acc[first]]
    return pd.DataFrame({"first_mrr": mrr[first]}, index=ids.to_numpy())


# ---------------------------------------------------------------- hot reloading

class StoreHolder:
    """Keeps one loaded store and reloads it when its files change (checked at most every second)."""

    def __init__(self, path: Path | str, check_every: float = 1.0, only: frozenset[str] | None = None) -> None:
        self.path = Path(path)
        self.check_every = check_every
        self.only = only
        self._store: MetricsStore | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> MetricsStore:
        now = time.monotonic()
        store = self._store
        if store is not None and now - self._checked < self.check_every:
            return store
        with self._lock:
            self._checked = now
            if self._store is None or signature_of(self._store.config) != self._store.signature:
                self._store = load_store(self.path, only=self.only)
            return self._store
