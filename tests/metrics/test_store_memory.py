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
from bot.metrics.store import LOAD_ONLY, load_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, deals=3000, as_of=date(2026, 11, 20))
    return folder


def test_columns_only_the_load_reads_are_not_kept(demo: Path) -> None:
    store = load_store(demo, with_history=True)
    for name, frame in store.tables.items():
        assert "_row" not in frame.columns, name
        assert not set(LOAD_ONLY.get(name, ())) & set(frame.columns), name
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


def test_the_frames_as_read_are_freed_before_the_joins(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Their label columns are still strings: kept alive, they would stand under the joins' peak.
    read, alive_at_joins = [], []
    real_read, real_prepare = store_module.read_table, store_module._prepare_deals

    def reading(*args, **kwargs):
        frame = real_read(*args, **kwargs)
        read.append(weakref.ref(frame))
        return frame

    def preparing(*args, **kwargs):
        alive_at_joins.extend(ref() is not None for ref in read)
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(store_module, "read_table", reading)
    monkeypatch.setattr(store_module, "_prepare_deals", preparing)
    load_store(demo)
    assert len(read) >= 10 and alive_at_joins == [False] * len(read)


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
