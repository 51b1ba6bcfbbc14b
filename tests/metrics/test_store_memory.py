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
