"""Read the store's tables from files, coerce them to the canonical types, report problems.

A bad value never stops the load: a row with a bad value in a required column is set
aside, a bad value in an optional column is ignored (left empty), and both are reported
with file, row and column. Only a store without a usable opportunities table is fatal.

Row numbers are the file's own: for CSV the header is line 1, so the first data row is
row 2; for Parquet the first row is row 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from bot.errors import StoreError
from bot.metrics.schema import DERIVABLE, TABLES, Column, TableSpec

EXAMPLES_KEPT = 5
CURRENCY_RE = r"^[A-Z]{3}$"
TRUE_WORDS = {"true", "t", "yes", "y", "1", "1.0", "ja", "sand", "sant"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "0.0", "nej", "falsk", "falskt"}
# Recognisers for stores that give neither is_won/is_closed nor a stage list.
WON_STAGE_RE = re.compile(r"^(closed[ _-]*)?won$|vundet|vunnen|^closed[ _-]*win", re.I)
LOST_STAGE_RE = re.compile(r"^(closed[ _-]*)?lost$|tabt|förlorad|^closed[ _-]*loss|^disqualified$", re.I)


@dataclass
class Problem:
    """One kind of problem in one column of one file, with the rows it hit."""

    file: str
    column: str | None
    problem: str
    action: str  # "row set aside", "value ignored", "table not loaded", "note"
    count: int = 0
    rows: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)

    def describe(self) -> str:
        where = f"{self.file}" + (f", column {self.column}" if self.column else "")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = f" and {self.count - len(self.rows)} more" if self.count > len(self.rows) else ""
            where += f", row{'s' if self.count > 1 else ''} {shown}{more}"
        vals = f" (e.g. {', '.join(repr(v) for v in self.values)})" if self.values else ""
        return f"{where}: {self.problem}{vals}; {self.action}"


@dataclass
class TableReport:
    name: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0

    @property
    def rows_set_aside(self) -> int:
        return self.rows_read - self.rows_loaded


@dataclass
class LoadReport:
    tables: dict[str, TableReport] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, column: str | None, problem: str, action: str,
            rows: np.ndarray | list[int] | None = None, values: Any = None, count: int | None = None) -> None:
        rows_list = [int(r) for r in (rows if rows is not None else [])]
        n = count if count is not None else max(len(rows_list), 1)
        vals = [str(v) for v in list(values)[:EXAMPLES_KEPT]] if values is not None else []
        self.problems.append(Problem(file, column, problem, action, n, rows_list[:EXAMPLES_KEPT], vals))

    @property
    def set_aside(self) -> int:
        return sum(t.rows_set_aside for t in self.tables.values())


@dataclass
class TableSource:
    """Where one canonical table comes from and how its columns are named there."""

    name: str
    path: Path
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source column
    stages: dict[str, list[str]] | None = None
    add_missing_managers: bool = False


@dataclass
class StoreConfig:
    root: Path
    sources: dict[str, TableSource]
    base_currency: str = "EUR"
    fiscal_year_start_month: int = 1
    as_of: date | None = None
    stages: dict[str, list[str]] | None = None


# ---------------------------------------------------------------- configuration

def read_config(path: Path) -> StoreConfig:
    """A store folder (tables + optional store.yml) or a mapping file (*.yml/*.yaml)."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f"No metrics store at {path}: the path does not exist.")
    if path.is_file():
        if path.suffix.lower() not in (".yml", ".yaml"):
            raise StoreError(f"{path} is a file but not a mapping (*.yml/*.yaml); give a store folder or a mapping.")
        return _mapping_config(path)
    return _folder_config(path)


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise StoreError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise StoreError(f"{path} must be a YAML mapping at its top level.")
    return data


def _settings_from(data: dict[str, Any], where: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "base_currency" in data:
        cur = str(data["base_currency"]).strip().upper()
        if not re.match(CURRENCY_RE, cur):
            raise StoreError(f"{where}: base_currency '{data['base_currency']}' is not an ISO 4217 code.")
        out["base_currency"] = cur
    if "fiscal_year_start_month" in data:
        m = data["fiscal_year_start_month"]
        if not isinstance(m, int) or not 1 <= m <= 12:
            raise StoreError(f"{where}: fiscal_year_start_month must be a month number 1-12, not {m!r}.")
        out["fiscal_year_start_month"] = m
    if data.get("as_of"):
        try:
            out["as_of"] = pd.Timestamp(str(data["as_of"])).date()
        except ValueError as exc:
            raise StoreError(f"{where}: as_of '{data['as_of']}' is not a date (YYYY-MM-DD).") from exc
    if data.get("stages") is not None:
        out["stages"] = _stages(data["stages"], where)
    return out


def _stages(raw: Any, where: Path) -> dict[str, list[str]]:
    if not isinstance(raw, dict) or not set(raw) <= {"won", "lost", "open"}:
        raise StoreError(f"{where}: stages must map won/lost/open to lists of stage names.")
    return {k: [str(s) for s in (v or [])] for k, v in raw.items()}


def _folder_config(root: Path) -> StoreConfig:
    yml = root / "store.yml"
    settings = _settings_from(_yaml(yml), yml) if yml.exists() else {}
    sources = {}
    for name in TABLES:
        for ext in (".parquet", ".csv"):
            candidate = root / f"{name}{ext}"
            if candidate.exists():
                sources[name] = TableSource(name, candidate, stages=settings.get("stages") if name == "opportunities" else None)
                break
    return StoreConfig(root=root, sources=sources, **settings)


def _mapping_config(path: Path) -> StoreConfig:
    data = _yaml(path)
    settings = _settings_from(data, path)
    tables = data.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise StoreError(f"{path}: a mapping needs a 'tables:' section naming at least opportunities.")
    sources = {}
    for name, spec in tables.items():
        if name not in TABLES:
            raise StoreError(f"{path}: '{name}' is not a canonical table ({', '.join(TABLES)}).")
        if not isinstance(spec, dict) or "file" not in spec:
            raise StoreError(f"{path}: table '{name}' needs a 'file:'.")
        columns = {str(k): str(v) for k, v in (spec.get("columns") or {}).items()}
        unknown = [c for c in columns if TABLES[name].column(c) is None]
        if unknown:
            raise StoreError(f"{path}: table '{name}' maps unknown canonical column(s) {', '.join(unknown)}.")
        stages = _stages(spec["stages"], path) if spec.get("stages") is not None else settings.get("stages")
        sources[name] = TableSource(name, (path.parent / spec["file"]).resolve(), columns, stages,
                                    bool(spec.get("add_missing_managers", False)))
    settings.pop("stages", None)
    return StoreConfig(root=path.parent, sources=sources, **settings)


# ---------------------------------------------------------------- reading one table

def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_table(src: TableSource, cfg: StoreConfig, report: LoadReport,
               labels: Sequence[str] = (), only: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Read, rename and coerce one table; None when it cannot be used at all. `labels` names the
    columns the caller keeps as categories: a Parquet file's text columns among them are read as
    categories straight away, never as a string a row. `only` names the columns to read (None:
    all of the table's), and only those are checked."""
    spec = TABLES[src.name]
    if only is not None:
        spec = replace(spec, columns=tuple(c for c in spec.columns if c.name in only))
    fname = _display(src.path, cfg.root)
    if not src.path.exists():
        report.add(fname, None, "file not found", "table not loaded")
        return None
    try:
        raw, first_row = _read_file(src.path, [src.columns.get(c, c) for c in labels],
                                    None if only is None else [src.columns.get(c.name, c.name) for c in spec.columns])
    except Exception as exc:  # any parser failure is a report line, not a crash
        report.add(fname, None, f"cannot be read ({type(exc).__name__}: {exc})", "table not loaded")
        return None
    frame = _select_columns(raw, src, spec, fname, report)
    if frame is None:
        return None
    from_csv = src.path.suffix.lower() != ".parquet"
    tr = TableReport(src.name, fname, rows_read=len(frame))
    report.tables[src.name] = tr
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))  # file row numbers
    keep = np.ones(len(frame), dtype=bool)
    for col in spec.columns:
        if col.name in frame.columns:
            frame[col.name], bad = _coerce(frame[col.name], col, spec, fname, report, from_csv)
            keep &= ~bad
    if not keep.all():  # a boolean take copies every column: only when a row is set aside
        frame = frame[keep]
    frame = _drop_duplicate_keys(frame, spec, fname, report)
    tr.rows_loaded = len(frame)
    return frame


def _read_file(path: Path, labels: list[str], names: list[str] | None) -> tuple[pd.DataFrame, int]:
    """The file's columns (those of `names` it has, when given), and the file row of its first row."""
    if path.suffix.lower() == ".parquet":
        # Arrow frees each column as pandas takes it over: the file is not held twice at once.
        # (read_dictionary leaves columns that are not text, and names the file lacks, as they are.)
        columns = None if names is None else [n for n in pq.read_schema(path).names if n in names]
        return pd.read_parquet(path, columns=columns, read_dictionary=labels,
                               to_pandas_kwargs={"self_destruct": True, "split_blocks": True}), 1
    # Everything as text first: types are decided per column so bad cells can be reported.
    wanted = None if names is None else (lambda c: c.strip() in names)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True,
                        usecols=wanted)
    frame.columns = [c.strip() for c in frame.columns]
    return frame, 2


def _select_columns(raw: pd.DataFrame, src: TableSource, spec: TableSpec, fname: str,
                    report: LoadReport) -> pd.DataFrame | None:
    out = {}
    for col in spec.columns:
        source_col = src.columns.get(col.name, col.name)
        if source_col in raw.columns:
            out[col.name] = raw[source_col]
        elif col.name in src.columns:
            report.add(fname, source_col, f"the mapping names column '{source_col}' for {col.name}, "
                       f"but the file has no such column (it has: {', '.join(map(str, raw.columns[:12]))})",
                       "table not loaded" if col.required else "column ignored")
            if col.required and (src.name, col.name) not in DERIVABLE:
                return None
        elif col.required and (src.name, col.name) not in DERIVABLE:
            report.add(fname, col.name, f"required column '{col.name}' is missing", "table not loaded")
            return None
        if col.name not in out and not col.required:
            # Absent optional columns exist, empty, so later code need not ask.
            out[col.name] = pd.Series(pd.NA, index=raw.index, dtype="string")
    return pd.DataFrame(out, index=raw.index, copy=False)  # the file's columns as they are: no second copy


def _coerce(s: pd.Series, col: Column, spec: TableSpec, fname: str, report: LoadReport,
            from_csv: bool) -> tuple[pd.Series, np.ndarray]:
    """Return the typed column and a mask of rows to set aside."""
    if _is_typed(s, col.kind):
        text, empty = s, s.isna().to_numpy()
    else:
        text = _as_text(s, from_csv)
        empty = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    typed = _convert(text, col.kind)
    invalid = typed.isna().to_numpy() & ~empty
    invalid |= _out_of_range(typed, col, spec)
    action = "row set aside" if col.required else "value ignored"
    if invalid.any():
        rows = s.index.to_numpy()[invalid]
        report.add(fname, col.name, f"{int(invalid.sum())} value(s) are not a valid {col.kind}", action,
                   rows, s[invalid].astype(str).head(EXAMPLES_KEPT), count=int(invalid.sum()))
        typed = typed.mask(invalid)
    bad = np.zeros(len(s), dtype=bool)
    if col.required:
        bad = invalid | empty
        if empty.any():
            rows = s.index.to_numpy()[empty]
            report.add(fname, col.name, "required value is empty", "row set aside", rows, count=int(empty.sum()))
    return typed, bad


def _as_text(s: pd.Series, from_csv: bool) -> pd.Series:
    """Labels as strings. Text from CSV is stripped; typed Parquet strings and categories are kept."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s
    if from_csv or s.dtype == object:
        return s.astype("string").str.strip()
    return s if pd.api.types.is_string_dtype(s) else s.astype("string")


def _is_typed(s: pd.Series, kind: str) -> bool:
    if kind in ("date", "timestamp"):
        return pd.api.types.is_datetime64_any_dtype(s)
    if kind in ("money", "number"):
        return pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(s)
    if kind == "int":
        return pd.api.types.is_integer_dtype(s)
    return False


def _convert(s: pd.Series, kind: str) -> pd.Series:
    if kind in ("id", "text", "category"):
        if isinstance(s.dtype, pd.CategoricalDtype):
            return s.cat.remove_categories([""]) if "" in s.cat.categories else s
        return s.mask(s == "")
    if kind == "date":
        if pd.api.types.is_datetime64_any_dtype(s):
            return _naive(s).dt.normalize().astype("datetime64[s]")
        return pd.to_datetime(s, format="ISO8601", errors="coerce", utc=True).dt.tz_localize(None).dt.normalize().astype("datetime64[s]")
    if kind == "timestamp":
        if pd.api.types.is_datetime64_any_dtype(s):
            return _naive(s).astype("datetime64[s]")
        return pd.to_datetime(s, format="ISO8601", errors="coerce", utc=True).dt.tz_localize(None).astype("datetime64[s]")
    if kind in ("money", "number"):
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            return s.astype("float64")
        return pd.to_numeric(s.str.replace(r"[\s_]", "", regex=True), errors="coerce").astype("float64")
    if kind == "int":
        num = s.astype("float64") if pd.api.types.is_numeric_dtype(s) else pd.to_numeric(s, errors="coerce")
        return num.where(num == num.round()).astype("Int64")
    if kind == "bool":
        if pd.api.types.is_bool_dtype(s):
            return s.astype("boolean")
        low = s.str.lower()
        return low.map(lambda v: True if v in TRUE_WORDS else (False if v in FALSE_WORDS else pd.NA),
                       na_action="ignore").astype("boolean")
    raise ValueError(kind)


def _naive(s: pd.Series) -> pd.Series:
    return s.dt.tz_convert("UTC").dt.tz_localize(None) if s.dt.tz is not None else s


def _out_of_range(typed: pd.Series, col: Column, spec: TableSpec) -> np.ndarray:
    if col.name not in spec.checks:
        return np.zeros(len(typed), dtype=bool)
    lo, hi = spec.checks[col.name]
    vals = typed.astype("float64")
    return ((vals < lo) | (vals > hi)).fillna(False).to_numpy()


def _drop_duplicate_keys(frame: pd.DataFrame, spec: TableSpec, fname: str, report: LoadReport) -> pd.DataFrame:
    if not spec.key or not set(spec.key) <= set(frame.columns):
        return frame
    dup = _duplicated([frame[c] for c in spec.key])
    if dup.any():
        rows = frame.index.to_numpy()[dup]
        keys = frame.loc[dup, list(spec.key)].astype(str).agg("/".join, axis=1)
        report.add(fname, "/".join(spec.key), f"{int(dup.sum())} duplicate {'/'.join(spec.key)} "
                   "(the first occurrence is kept)", "row set aside", rows, keys.head(EXAMPLES_KEPT),
                   count=int(dup.sum()))
    return frame[~dup] if dup.any() else frame


def _duplicated(columns: list[pd.Series]) -> np.ndarray:
    """Rows whose key (these columns) an earlier row has, as DataFrame.duplicated(keep="first") finds
    them, by a stable sort of each column's integer codes: a fraction of the memory of pandas' hash
    of the rows (at 1M deals this check was the load's peak, 70-100 MB over the table)."""
    codes = [_key_codes(s) for s in columns]
    order = np.lexsort(codes[::-1])  # stable: within equal keys the rows stay in file order
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for c in codes:
        v = c[order]
        same &= v[1:] == v[:-1]
    dup = np.zeros(len(order), dtype=bool)
    dup[order[1:][same]] = True
    return dup


def _key_codes(s: pd.Series) -> np.ndarray:
    """The column as integers, equal where its values are (missing values equal one another)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.array.codes
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.to_numpy().view("int64")  # NaT is one value, the smallest
    if pd.api.types.is_string_dtype(s):
        return _string_codes(arrow_text(s))
    return pd.factorize(s)[0]


def arrow_text(s: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow strings, without Python objects (whatever string dtype it has)."""
    return pa.chunked_array(pa.array(s.astype("string[pyarrow]").array))


def _string_codes(arr: pa.ChunkedArray) -> np.ndarray:
    """Each string's rank among the distinct strings (-1: missing), by Arrow's stable sort of the
    strings as loaded: no Python objects, and half the memory of hashing them (a million deal ids:
    about 45 MB at the peak against 95, and faster)."""
    order = pc.sort_indices(arr).to_numpy()  # missing values last
    ranked = arr.take(order)
    same = pc.equal(ranked[1:], ranked[:-1]).fill_null(False).to_numpy(zero_copy_only=False)
    del ranked
    codes = np.empty(len(order), dtype=np.int64)
    codes[order] = np.cumsum(np.append(True, ~same))
    codes[order[len(order) - arr.null_count:]] = -1
    return codes


# ---------------------------------------------------------------- stages

def derive_outcome(deals: pd.DataFrame, stages: dict[str, list[str]] | None, fname: str,
                   report: LoadReport) -> pd.DataFrame:
    """Fill is_won / is_closed from the stage when the export lacks them (or has gaps)."""
    need = [c for c in ("is_won", "is_closed") if c not in deals.columns or deals[c].isna().any()]
    if not need:
        return deals
    names = pd.Series(deals["stage"].dropna().unique()).astype(str)
    won, lost = _stage_lists(names, stages, fname)
    stage = deals["stage"].astype(str)
    is_won = stage.isin(won)
    is_closed = is_won | stage.isin(lost)
    for col, derived in (("is_won", is_won), ("is_closed", is_closed)):
        if col in deals.columns:
            deals[col] = deals[col].fillna(derived)
        else:
            deals[col] = derived.astype("boolean")
    open_names = sorted(set(names) - set(won) - set(lost))
    report.add(fname, "stage", f"is_won/is_closed derived from stage: won {sorted(won)}, lost {sorted(lost)}, "
               f"open {open_names[:8]}{' …' if len(open_names) > 8 else ''}", "note", count=0)
    return deals


def _stage_lists(names: pd.Series, stages: dict[str, list[str]] | None, fname: str) -> tuple[list[str], list[str]]:
    seen = ", ".join(sorted(names)[:15]) or "none"
    if stages is not None:
        if not stages.get("won"):
            raise StoreError(f"{fname}: cannot derive is_won: the stage list names no won stage. "
                             f"Stages in the data: {seen}. Add 'won: [...]' under stages.")
        if not stages.get("lost"):
            raise StoreError(f"{fname}: cannot derive is_closed: the stage list names no lost stage. "
                             f"Stages in the data: {seen}. Add 'lost: [...]' under stages.")
        missing = [s for s in stages["won"] + stages["lost"] if s not in set(names)]
        if len(missing) == len(stages["won"] + stages["lost"]):
            raise StoreError(f"{fname}: none of the won/lost stages in the stage list ({', '.join(missing)}) "
                             f"occur in the data. Stages in the data: {seen}.")
        return stages["won"], stages["lost"]
    won = [n for n in names if WON_STAGE_RE.search(n)]
    lost = [n for n in names if LOST_STAGE_RE.search(n)]
    if not won:
        raise StoreError(f"{fname}: cannot derive is_won: there is no is_won column and no stage looks won. "
                         f"Stages in the data: {seen}. Add is_won/is_closed columns, or a "
                         "'stages: {won: [...], lost: [...]}' list in store.yml or the mapping.")
    return won, lost
