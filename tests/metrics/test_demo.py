"""The demo company: deterministic, complete, realistic enough to exercise every KPI and table."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bot.metrics import demo
from bot.metrics.catalog import load_catalog
from bot.metrics.engine import Engine
from bot.metrics.plan import QueryPlan
from bot.metrics.schema import TABLES
from bot.metrics.store import load_store

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    demo.write_demo(out, seed=11, deals=12_000, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def store(demo_dir):
    return load_store(demo_dir, with_history=True)


def test_every_canonical_table_is_written_and_loads_cleanly(store):
    assert set(store.tables) >= set(TABLES)
    serious = [p.describe() for p in store.report.problems if p.action != "note"]
    assert serious == []
    assert store.report.set_aside == 0


def test_same_seed_same_store_other_seed_other_store(tmp_path, demo_dir):
    demo.write_demo(tmp_path / "again", seed=11, deals=12_000, as_of=AS_OF)
    demo.write_demo(tmp_path / "other", seed=12, deals=12_000, as_of=AS_OF)
    for name in TABLES:
        a = pd.read_parquet(demo_dir / f"{name}.parquet")
        pd.testing.assert_frame_equal(a, pd.read_parquet(tmp_path / "again" / f"{name}.parquet"))
    a = pd.read_parquet(demo_dir / "opportunities.parquet")
    b = pd.read_parquet(tmp_path / "other" / "opportunities.parquet")
    assert not a["amount"].equals(b["amount"])


def test_the_people_and_accounts_do_not_depend_on_the_day(tmp_path):
    """A README example naming a demo person works whichever day the demo was built."""
    for day in ("2026-11-20", "2027-03-02"):
        demo.write_demo(tmp_path / day, seed=7, deals=1_000, as_of=date.fromisoformat(day))
    for name in ("reps", "accounts"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "2026-11-20" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "2027-03-02" / f"{name}.parquet"))
    deals = [pd.read_parquet(tmp_path / day / "opportunities.parquet") for day in ("2026-11-20", "2027-03-02")]
    assert deals[0]["close_date"].max() != deals[1]["close_date"].max()  # the deals do follow the day


def test_company_shape(store):
    deals, reps, accounts = store.deals, store.tables["reps"], store.tables["accounts"]
    assert set(deals["region"].dropna()) == {"Nordics", "DACH", "UK & Ireland", "North America"}
    assert set(accounts["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert set(deals["product_line"]) == {"Platform", "Analytics", "Services"}
    assert set(deals["type"]) == {"new", "expansion", "renewal"}
    assert set(deals["source"]) == {"inbound", "outbound", "partner", "event"}
    assert set(deals["currency"]) == {"EUR", "DKK", "SEK", "GBP", "USD"}
    assert set(reps["role"]) == {"exec", "admin", "manager", "rep"}
    managers = reps[reps["role"] == "manager"]
    assert managers["team"].notna().all() and managers["timezone"].notna().all()
    assert reps["slack_user_id"].str.match(r"^U[A-Z0-9]{10}$").all()
    assert reps["email"].str.contains("@").all() and reps["email"].is_unique
    # every rep reports, transitively, to the CEO
    parent = dict(zip(reps["rep_id"], reps["manager_id"]))
    for rep in reps["rep_id"]:
        seen = 0
        while pd.notna(parent.get(rep)) and seen < 10:
            rep, seen = parent[rep], seen + 1
        assert rep == "r-0000"


def test_deals_over_three_years_with_gaps_like_a_real_crm(store):
    deals = store.deals
    assert deals["created_date"].min() >= pd.Timestamp("2023-11-21")
    assert deals["created_date"].max() <= pd.Timestamp(AS_OF)
    assert deals.loc[deals["is_closed"], "close_date"].max() <= pd.Timestamp(AS_OF)
    open_deals = deals[~deals["is_closed"]]
    assert (open_deals["close_date"] > pd.Timestamp(AS_OF)).sum() > 100  # closing in the coming months
    assert deals["amount"].isna().sum() > 0 and open_deals["close_date"].isna().sum() > 0
    assert 0.2 < deals.loc[deals["is_closed"], "is_won"].mean() < 0.45
    # seasonality: the summer dip shows in created deals
    by_month = deals.groupby(deals["created_date"].dt.month).size()
    assert by_month[7] < by_month[9]


def test_history_ends_in_each_deals_current_state(store):
    hist = store.tables["opportunity_history"]
    deals = store.deals.set_index("opportunity_id")
    assert set(hist["opportunity_id"]) == set(deals.index)
    last = hist.sort_values("changed_at").groupby("opportunity_id").tail(1).set_index("opportunity_id")
    closed = deals.index[deals["is_closed"]]
    assert (last.loc[closed, "stage"].astype(str) == deals.loc[closed, "stage"].astype(str)).all()


def test_every_kpi_has_a_value_on_the_demo_store(store):
    engine = Engine(store)
    empty = []
    for kpi in load_catalog().kpis.values():
        period = None if kpi.default_period in ("open", "latest_month") else "last quarter"
        if engine.run(QueryPlan(metric=kpi.id, period=period), as_of=AS_OF).value is None:
            empty.append(kpi.id)
    assert empty == []


def test_chunked_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK", 2_500)
    demo.write_demo(tmp_path / "c", seed=3, deals=6_000, as_of=AS_OF)
    deals = pd.read_parquet(tmp_path / "c" / "opportunities.parquet")
    assert len(deals) == 6_000 and deals["opportunity_id"].is_unique
    assert np.all(pd.read_parquet(tmp_path / "c" / "leads.parquet")["lead_id"].is_unique)
