"""What the loaded store keeps: no column only the load reads, repeated free text as categories
with the same values (checked against the file read by bare pandas)."""

from __future__ import annotations

import weakref
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.metrics import store as store_module
from bot.metrics.demo import write_demo
from bot.metrics.context import store_array
from bot.metrics.store import CHECKED_ONLY, LOAD_ONLY, load_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, deals=3000, as_of=date(2026, 11, 20))
    return folder


def test_columns_only_the_load_reads_are_not_kept(demo: Path) -> None:
    store = load_store(demo, with_history=True)
    for name, frame in store.tables.items():
        assert "_row" not in frame.columns, name
        assert not {*LOAD_ONLY.get(name, ()), *CHECKED_ONLY.get(name, ())} & set(frame.columns), name
    assert {"has_partner", "close_m", "created_m", "first_win"} <= set(store.deals.columns)  # made from them


def test_repeated_deal_names_become_categories_with_the_same_values(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = pd.read_parquet(demo / "opportunities.parquet", columns=["opportunity_id", "name"])
    assert raw["name"].nunique() * 2 <= len(raw)  # the demo's names repeat
    monkeypatch.setattr(store_module, "REPEATED_TEXT_FROM", 0)
    deals = load_store(demo).deals
    assert isinstance(deals["name"].dtype, pd.CategoricalDtype)
    by_id = raw.set_index("opportunity_id")["name"]
    assert deals["name"].astype(str).tolist() == by_id.loc[deals["opportunity_id"].astype(str)].tolist()
    assert isinstance(deals["account_id"].dtype, pd.CategoricalDtype)  # ids are not free text: as before
    assert not isinstance(deals["opportunity_id"].dtype, pd.CategoricalDtype)


def test_distinct_text_stays_text(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "REPEATED_TEXT_FROM", 0)
    accounts = load_store(demo).tables["accounts"]  # every account's name is its own
    assert not isinstance(accounts["name"].dtype, pd.CategoricalDtype)


def test_each_table_as_read_is_freed_before_the_next_is_read(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Kept alive, the frames as read (their text still a string a row) stood under the load's peak.
    read: list[weakref.ref] = []
    alive_at_each_read: list[list[bool]] = []
    real_read = store_module.read_table

    def reading(*args, **kwargs):
        alive_at_each_read.append([ref() is not None for ref in read])
        frame = real_read(*args, **kwargs)
        read.append(weakref.ref(frame))
        return frame

    monkeypatch.setattr(store_module, "read_table", reading)
    load_store(demo)
    assert len(read) >= 10
    assert alive_at_each_read == [[False] * i for i in range(len(read))]


def test_label_columns_are_read_as_sorted_categories_with_the_files_values(tmp_path: Path) -> None:
    # Parquet text read as dictionaries comes in the order first seen; the store sorts the labels as
    # astype("category") did, so groupings list them in the same order from CSV and Parquet.
    import pyarrow as pa
    import pyarrow.parquet as pq

    stages = ["Proposal", "Closed Won", "Discovery", "Closed Lost", "Proposal", "Negotiation", "Discovery"]
    n = len(stages)
    pq.write_table(pa.table({
        "opportunity_id": [f"o{i}" for i in range(n)], "owner_id": ["r2", "r1"] * 3 + ["r2"],
        "product_line": ["Core", None, "Add-on", "Core", "", "Add-on", "Core"],
        "account_id": ["a1"] * n, "stage": stages, "amount": [100.0] * n, "currency": ["EUR"] * n,
        "created_date": [date(2026, 1, 5)] * n, "close_date": [date(2026, 3, 1)] * n,
    }), tmp_path / "opportunities.parquet")
    deals = load_store(tmp_path).deals
    assert list(deals["stage"].cat.categories) == sorted(set(stages))
    assert deals["stage"].astype(str).tolist() == stages
    assert list(deals["owner_id"].cat.categories) == ["r1", "r2"]
    assert list(deals["product_line"].cat.categories) == ["Add-on", "Core"]  # an empty label is none
    assert deals["product_line"].isna().tolist() == [False, True, False, False, True, False, False]


def test_the_engine_reads_columns_without_copying_them(demo: Path) -> None:
    # Series.cat.codes copies the codes (pandas 3), and widening int32 month numbers copied too:
    # 77 MB at 1M deals once every KPI had been asked.
    store = load_store(demo)
    checked = 0
    for table in ("opportunities", "revenue", "leads", "support_cases", "nps_responses"):
        frame = store.tables[table]
        for column in frame.columns:
            s = frame[column]
            if isinstance(s.dtype, pd.CategoricalDtype):
                held, expected = s.array._codes, s.cat.codes.to_numpy()
            elif pd.api.types.is_integer_dtype(s) and not s.hasnans and isinstance(s.array, pd.arrays.NumpyExtensionArray):
                held, expected = s.array._ndarray, s.astype("int64").to_numpy()
            else:
                continue
            got = store_array(store, table, column)
            assert np.shares_memory(got, held), (table, column)
            assert (got == expected).all() and not got.flags.writeable, (table, column)
            checked += 1
    assert checked >= 20


def _expected_changes(history: pd.DataFrame, deal_ids: list[str], before: date) -> dict:
    """Per deal id its latest change before the day `before`, by plain pandas."""
    at = pd.to_datetime(history["changed_at"], utc=True).dt.tz_localize(None)
    ok = history["opportunity_id"].isin(deal_ids) & at.notna() & (at < pd.Timestamp(before))
    return pd.DataFrame({"id": history["opportunity_id"][ok], "at": at[ok]}).groupby("id")["at"].max().to_dict()


def _check_changes(store, history: pd.DataFrame, *days: date) -> None:
    ids = store.deals["opportunity_id"].astype(str).tolist()
    for day in days:
        last = store.last_changes(int(pd.Timestamp(day).timestamp()))
        got = {i: pd.Timestamp(int(s), unit="s") for i, s in zip(ids, last) if s != store_module.NO_DATE}
        expected = _expected_changes(history, ids, day)
        assert got == expected and len(expected) > 10, day


def test_deal_lists_read_the_history_without_keeping_it(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What deal lists read of the history (each deal's latest change before a day) comes from two
    columns of its file, a batch at a time, and the history's rows are not kept; it
    equals what the loaded history gives, and what pandas makes of the raw file."""
    history = pd.read_parquet(demo / "opportunity_history.parquet")
    monkeypatch.setattr(store_module, "HISTORY_BATCH", 1000)  # several batches, as at a million deals
    store = load_store(demo)
    _check_changes(store, history, date(2026, 11, 21), date(2026, 11, 20), date(2026, 10, 1))
    assert "opportunity_history" not in store.tables
    _check_changes(load_store(demo, with_history=True), history, date(2026, 11, 20), date(2026, 10, 1))


@pytest.mark.parametrize("times", ["timestamps", "text"])
def test_history_rows_of_no_known_deal_or_time_say_nothing(demo: Path, tmp_path: Path, times: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Unknown and missing ids, missing times and time zones, in a Parquet history read a row group
    and a batch at a time (its ids, then its times); with its times as text, the same from the table
    reader (which reports the bad cells)."""
    monkeypatch.setattr(store_module, "HISTORY_BATCH", 300)  # row groups of 700 rows: 3 batches each
    ids = pd.read_parquet(demo / "opportunities.parquet", columns=["opportunity_id"])["opportunity_id"].tolist()
    rng = np.random.default_rng(7)
    n = 5000
    at = pd.Series(pd.Timestamp("2026-06-01", tz="Europe/Copenhagen")
                   + pd.to_timedelta(rng.integers(0, 200 * 86400, n), unit="s"))
    history = pd.DataFrame({"opportunity_id": pd.Series(rng.choice(ids[:50] + ["nobody"], n), dtype=object),
                            "changed_at": at, "stage": "Proposal"})
    history.loc[::17, "opportunity_id"] = None
    history.loc[::23, "changed_at"] = pd.NaT
    folder = tmp_path / "s"
    folder.mkdir()
    for f in demo.iterdir():
        if f.name != "opportunity_history.parquet":
            (folder / f.name).symlink_to(f)
    if times == "text":
        history["changed_at"] = history["changed_at"].map(lambda t: t.isoformat() if pd.notna(t) else "never")
    history.to_parquet(folder / "opportunity_history.parquet", row_group_size=700)
    store = load_store(folder)
    expected = history.assign(changed_at=pd.to_datetime(history["changed_at"], errors="coerce", utc=True, format="ISO8601"))
    _check_changes(store, expected, date(2026, 9, 15), date(2027, 1, 1))
    if times == "text":
        bad = [p for p in store.report.problems if p.file == "opportunity_history.parquet"]
        assert {p.column for p in bad} == {"opportunity_id", "changed_at"}


def test_latest_changes_are_kept_for_two_days_at_most(demo: Path) -> None:
    """A process answers as of today for months: each day's latest changes (8 bytes a deal) must
    not pile up; the two latest days asked stay, for askers either side of midnight."""
    store = load_store(demo)
    days = [int(pd.Timestamp(d).timestamp()) for d in ("2026-11-18", "2026-11-19", "2026-11-20")]
    first = store.last_changes(days[0])
    assert store.last_changes(days[0]) is first
    store.last_changes(days[1])
    store.last_changes(days[2])
    assert list(store.derived["last_changes"]) == days[1:]
    assert store.last_changes(days[1]) is store.derived["last_changes"][days[1]]


@pytest.mark.parametrize("operator,expected", [(None, "system"), ("mimalloc", "mimalloc")])
def test_arrow_allocates_from_the_system_unless_the_operator_says(operator, expected):
    # Arrow's mimalloc kept 31 MB of what the history read freed, at 1M deals; the Parquet reader
    # allocates from Arrow's default pool whatever pyarrow.set_memory_pool says.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if operator:
        env["ARROW_DEFAULT_MEMORY_POOL"] = operator
    out = subprocess.run([sys.executable, "-c", "import bot, pyarrow as pa; print(pa.default_memory_pool().backend_name)"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


ARENAS = r"""
import ctypes, tempfile, threading
import bot.memory  # as the store and the assistant import it
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
barrier, keep = threading.Barrier(8), []
def work():
    barrier.wait()  # all eight at once: each would take an arena of its own
    keep.append([bytearray(1000) for _ in range(2000)])
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
with tempfile.NamedTemporaryFile(suffix=".xml") as f:
    fp = libc.fopen(f.name.encode(), b"w"); libc.malloc_info(0, fp); libc.fclose(fp)
    print(open(f.name).read().count("<heap nr="))
"""


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="glibc (Linux) only")
@pytest.mark.parametrize("operator", [None, "8"])
def test_answering_threads_share_two_malloc_arenas_unless_the_operator_says(operator):
    # serve answers on up to 16 threads; each arena keeps its own freed holes (4 MB at the peak at 1M deals).
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | ({"MALLOC_ARENA_MAX": operator} if operator else {})
    out = subprocess.run([sys.executable, "-c", ARENAS], env=env, capture_output=True, text=True, check=True)
    arenas = int(out.stdout.strip())
    assert arenas <= 2 if operator is None else arenas > 2, arenas
