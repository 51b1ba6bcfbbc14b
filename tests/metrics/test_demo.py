"""The demo company: deterministic, complete, realistic enough to exercise every KPI and table."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import yaml

from bot.metrics import demo
from bot.metrics.catalog import load_catalog
from bot.metrics.engine import Engine
from bot.metrics.plan import QueryPlan
from bot.metrics.schema import TABLES
from bot.metrics.store import load_store
from tests.paths import ROOT

AS_OF = date(2026, 11, 20)
D = pd.Timestamp(AS_OF)
# digest.md's kinds of change; out_of_quarter is a push across the end of the digest day's quarter
KINDS = ["new", "won", "lost", "stage_forward", "stage_back", "pushed", "pulled", "out_of_quarter",
         "amount_up", "amount_down"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    demo.write_demo(out, seed=11, deals=12_000, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def store(demo_dir):
    return load_store(demo_dir, with_history=True)


@pytest.fixture(scope="module")
def raw(demo_dir):
    """The deals and their history as written (amounts in each deal's own currency), history in
    order of deal and time."""
    deals = pd.read_parquet(demo_dir / "opportunities.parquet")
    hist = pd.read_parquet(demo_dir / "opportunity_history.parquet")
    return deals, hist.sort_values(["opportunity_id", "changed_at"], kind="stable", ignore_index=True)


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


def assert_history_ends_in_current_state(deals: pd.DataFrame, hist: pd.DataFrame, as_of: date) -> None:
    """Every deal has history from its creation on, none after the as-of day, and its last row is
    the deal as it stands: stage, amount (or none) and close date (or none), open or closed."""
    assert set(hist["opportunity_id"]) == set(deals["opportunity_id"])
    assert not hist.duplicated(["opportunity_id", "changed_at"]).any()  # so the last row is unambiguous
    assert set(hist["stage"].astype(str)) <= set(demo.STAGES)
    assert hist["changed_at"].max() < pd.Timestamp(as_of) + pd.Timedelta(days=1)
    h = hist.sort_values(["opportunity_id", "changed_at"])
    d = deals.set_index("opportunity_id")
    first = h.groupby("opportunity_id").head(1).set_index("opportunity_id").loc[d.index]
    last = h.groupby("opportunity_id").tail(1).set_index("opportunity_id").loc[d.index]
    assert (first["changed_at"] >= d["created_date"]).all()
    assert (last["stage"].astype(str) == d["stage"].astype(str)).all()
    pd.testing.assert_series_equal(last["amount"], d["amount"], check_names=False)
    same_close = (last["close_date"] == d["close_date"]) | (last["close_date"].isna() & d["close_date"].isna())
    assert same_close.all()


def test_history_ends_in_each_deals_current_state(raw, store):
    deals, hist = raw
    assert_history_ends_in_current_state(deals, hist, AS_OF)
    assert len(store.tables["opportunity_history"]) == len(hist)


def test_a_tiny_company_has_a_whole_history_too(tmp_path):
    demo.write_demo(tmp_path, seed=5, deals=100, as_of=AS_OF)
    assert_history_ends_in_current_state(pd.read_parquet(tmp_path / "opportunities.parquet"),
                                         pd.read_parquet(tmp_path / "opportunity_history.parquet"), AS_OF)


@pytest.fixture(scope="module")
def rules(raw) -> tuple[set, set, set, dict]:
    """Open, won and lost stages as the deals use them, and catalog.yml's stage defaults."""
    deals = raw[0]
    settings = yaml.safe_load((ROOT / "bot/metrics/catalog.yml").read_text(encoding="utf-8"))["settings"]
    stage = deals["stage"].astype(str)
    return (set(stage[~deals["is_closed"]]), set(stage[deals["is_won"]]),
            set(stage[deals["is_closed"] & ~deals["is_won"]]), settings["stage_probability"])


def changes(hist: pd.DataFrame, rules: tuple, first: date, last: date, day: date) -> dict[str, int]:
    """How many deals, company-wide, had each kind of change over the window first … last
    (whole UTC days) of a digest on `day`, read as digest.md says; `hist` in order of deal and time."""
    open_, won, lost, defaults = rules
    start, end = pd.Timestamp(first), pd.Timestamp(last) + pd.Timedelta(days=1)
    before = hist[hist["changed_at"] < start].groupby("opportunity_id").tail(1).set_index("opportunity_id")
    inside = hist[(hist["changed_at"] >= start) & (hist["changed_at"] < end)]
    w = inside.groupby("opportunity_id").tail(1).set_index("opportunity_id").join(before.add_suffix("_0"))
    stage, stage0 = w["stage"].astype(str), w["stage_0"].astype(str)
    new = w["stage_0"].isna()
    was_closed = stage0.isin(won | lost)
    is_won, is_lost = ~new & stage.isin(won) & ~was_closed, ~new & stage.isin(lost) & ~was_closed
    moved = ~new & ~is_won & ~is_lost
    p, p0 = stage.str.lower().map(defaults), stage0.str.lower().map(defaults)
    restaged = moved & stage.isin(open_) & stage0.isin(open_) & (stage != stage0)
    q_end = pd.Timestamp(day).to_period("Q").end_time.normalize()
    pushed = moved & (w["close_date"] > w["close_date_0"])
    return {"new": new.sum(), "won": is_won.sum(), "lost": is_lost.sum(),
            "stage_forward": (restaged & (p > p0)).sum(), "stage_back": (restaged & (p < p0)).sum(),
            "pushed": pushed.sum(), "pulled": (moved & (w["close_date"] < w["close_date_0"])).sum(),
            "out_of_quarter": (pushed & (w["close_date_0"] <= q_end) & (w["close_date"] > q_end)).sum(),
            "amount_up": (moved & (w["amount"] > w["amount_0"])).sum(),
            "amount_down": (moved & (w["amount"] < w["amount_0"])).sum()}


def test_yesterday_and_a_monday_window_show_every_kind_of_change(raw, rules):
    """A digest on the as-of day (window: the day before) and one on a Monday (window: Friday to
    Sunday) each have every kind of change to show, out-of-quarter pushes included."""
    hist = raw[1]
    yesterday = changes(hist, rules, date(2026, 11, 19), date(2026, 11, 19), AS_OF)
    weekend = changes(hist, rules, date(2026, 11, 13), date(2026, 11, 15), date(2026, 11, 16))
    assert [k for k in KINDS if yesterday[k] == 0] == []
    assert [k for k in KINDS if weekend[k] == 0] == []


def test_every_recent_weekday_has_changes_of_every_kind(raw, rules):
    hist = raw[1]
    missing = {}
    for day in pd.bdate_range(AS_OF - timedelta(days=14), AS_OF - timedelta(days=1)).date:
        counts = changes(hist, rules, day, day, day + timedelta(days=1))
        missing[day] = [k for k in KINDS if k != "out_of_quarter" and counts[k] == 0]
    assert len(missing) == 10 and all(m == [] for m in missing.values()), missing


def test_history_moves_back_reopens_and_goes_quiet(raw, rules):
    deals, hist = raw
    open_, _, lost, defaults = rules
    stage = hist["stage"].astype(str)
    prev = stage.shift()
    same_deal = hist["opportunity_id"].eq(hist["opportunity_id"].shift())
    both_open = same_deal & stage.isin(open_) & prev.isin(open_)
    assert (both_open & (stage.str.lower().map(defaults) < prev.str.lower().map(defaults))).any()
    reopened = same_deal & prev.isin(lost) & stage.isin(open_)
    assert reopened.any()
    last_row = hist.groupby("opportunity_id")["changed_at"].max()
    open_ids = deals.loc[~deals["is_closed"], "opportunity_id"]
    assert (last_row.loc[open_ids] < D - timedelta(days=30)).sum() > 10  # stalled for over a month


def test_every_risk_reason_occurs_on_the_demo_store(raw, rules):
    """digest.md's risk reasons on open deals, as of the as-of day."""
    deals, hist = raw
    defaults = rules[3]
    open_deals = deals[~deals["is_closed"]]
    touched = set(hist.loc[(hist["changed_at"] >= D - timedelta(days=30)) & (hist["changed_at"] < D),
                           "opportunity_id"])
    close = open_deals["close_date"]
    early = open_deals["stage"].astype(str).str.lower().map(defaults) <= 0.2
    reasons = {
        "overdue": close < D,
        "stalled": ~open_deals["opportunity_id"].isin(touched),
        "early_stage_closing": (close >= D) & (close < D + timedelta(days=14)) & early,
        "missing_amount": open_deals["amount"].isna(),
        "missing_close_date": close.isna(),
    }
    assert [r for r, hit in reasons.items() if not hit.any()] == []


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
    assert_history_ends_in_current_state(deals, pd.read_parquet(tmp_path / "c" / "opportunity_history.parquet"), AS_OF)
    assert np.all(pd.read_parquet(tmp_path / "c" / "leads.parquet")["lead_id"].is_unique)
