"""A warehouse's accounts are never read whole (issue 15: memory flat with the data): the parser finds
them by name through an index streamed once into CCOBOT_HOME/cache, a name found is checked against the
warehouse's current name, and the rows shown are named by id. Expected phrases come from a plain
dictionary built the way values.py built them before (tests/nlu/test_resources.py)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.metrics.warehouse import WarehouseStore, connect, load_into, open_warehouse_store
from bot.nlu import cache, values
from tests.conftest import SMALL, write_store
from tests.nlu.test_resources import NAMES, _accounts, _plain_index
from tests.warehouse.test_equal import _warehouse_url

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.*infer_string.*")]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cache, "cache_dir", lambda: tmp_path / "cache")
    return tmp_path / "cache"


def _accounts_csv(names: list[str | None]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["account_id", "name", "segment"])
    for i, name in enumerate(names):
        w.writerow([f"A{i}", name or "", "SMB"])
    return out.getvalue()


def _warehouse(request, backend: str, folder: Path, names: list[str | None]) -> str:
    tables = {"opportunities.csv": SMALL["opportunities.csv"], "reps.csv": SMALL["reps.csv"],
              "accounts.csv": _accounts_csv(names)}
    root = write_store(folder / "store", tables, "base_currency: EUR\n")
    url = _warehouse_url(request, backend, folder)
    load_into(url, root)
    return url


def _entries(home: Path) -> list[Path]:
    return sorted(home.glob("accounts-*"))


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_accounts_are_found_by_name_without_being_held(request, backend, tmp_path, home, monkeypatch):
    names = [n for n in NAMES if n is not None]
    url = _warehouse(request, backend, tmp_path, names)
    plain = _plain_index(_accounts(names))
    streamed = WarehouseStore.account_batches
    monkeypatch.setattr(WarehouseStore, "account_batches", lambda self, size=3: streamed(self, 3))  # batches of 3
    for _ in range(2):  # built and cached, then read back by a new store
        store = open_warehouse_store(url)
        assert "accounts" not in store.tables and store.has("accounts")
        index = values.build_index(store)
        for phrase, ids in plain.items():
            assert index.accounts.find(phrase) == ids, phrase
        for phrase in ["nordlys", "beacon", "fjord freight ab x", "sand ab", ""]:
            assert index.accounts.find(phrase) == plain.get(phrase, []), phrase
        assert index.lookup("fjord freight") == [("account", "A4")]  # without its suffix
        assert {w for p in plain for w in p.split()} <= index.words
    assert len(_entries(home)) == 1
    assert store.names("account", ["A4", "A0", "nope"]) == {"A4": "Fjord Freight AB", "A0": "Nordlys A/S"}
    assert store.names("owner", ["r1", "A4"]) == {"r1": "Alice Berg"}


def test_a_renamed_account_is_not_found_by_its_old_name(request, tmp_path, home):
    url = _warehouse(request, "duckdb", tmp_path, ["Nordlys A/S", "Fjord Freight AB"])
    assert values.AccountNames.streamed(open_warehouse_store(url)).find("nordlys") == ["A0"]
    con = connect(url)
    con.raw_sql("UPDATE accounts SET name = 'Nordlyx A/S' WHERE account_id = 'A0'")  # same length, count, ids
    con.disconnect()
    store = open_warehouse_store(url)
    renamed = values.AccountNames.streamed(store)
    assert len(_entries(home)) == 1  # the same key: the entry built before the rename is read
    assert renamed.find("nordlys") == [] and renamed.find("nordlys a/s") == []  # checked against the warehouse
    assert renamed.find("fjord freight") == ["A1"]
    con = connect(url)
    con.raw_sql("INSERT INTO accounts (account_id, name) VALUES ('A2', 'Sand AB')")
    con.disconnect()
    grown = values.AccountNames.streamed(open_warehouse_store(url))
    assert len(_entries(home)) == 2  # a new account: a new key, a new entry
    assert grown.find("nordlyx") == ["A0"] and grown.find("sand") == ["A2"]
