"""Groups with no rows: a rep who won nothing this month has won 0 deals ("which reps haven't won
a deal this month", "bottom 3 reps by deals won", "sælgere uden pipeline"). Expected rows come from
the demo's own files read with pandas, not from the engine."""

from __future__ import annotations

import textwrap
from datetime import date

import pandas as pd
import pytest

from bot.metrics.engine import Engine
from bot.metrics.plan import QueryPlan
from bot.metrics.store import load_store
from tests.conftest import SMALL, write_store
from tests.nlu.conftest import AS_OF

MONTH = (pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-21"))  # this month to as_of


def frames(demo_assistant) -> tuple[pd.DataFrame, pd.DataFrame]:
    root = demo_assistant.engine.store.config.root
    read = lambda name: next(pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)  # noqa: E731
                             for p in sorted(root.glob(f"{name}.*")) if p.suffix in (".parquet", ".csv"))
    return read("opportunities"), read("reps")


def won_this_month(demo_assistant) -> pd.Series:
    """Deals won this month per rep: every active rep (0 for those who won none) and whoever else won
    (a rep who has left since)."""
    deals, reps = frames(demo_assistant)
    close = pd.to_datetime(deals["close_date"])
    won = deals[deals["is_won"].astype(bool) & (close >= MONTH[0]) & (close < MONTH[1])].groupby("owner_id").size()
    sellers = reps[(reps["role"] == "rep") & reps["active"].astype(bool)]["rep_id"]
    return won.reindex(sorted(set(sellers) | set(won.index)), fill_value=0)


@pytest.mark.parametrize("question", [
    "which reps haven't won any deals this month",
    "who hasn't won a deal this month",
    "reps with no deals won this month",
    "hvilke sælgere har ikke vundet nogen aftaler denne måned",
    "vilka säljare har inte vunnit några affärer denna månad",
    "säljare utan vunna affärer den här månaden",
])
def test_who_has_none(ask, demo_assistant, question):
    counts = won_this_month(demo_assistant)
    expected = set(counts[counts == 0].index)
    answer = ask(question)
    assert answer.kind == "kpi" and answer.metric == "deals_won" and answer.threshold == {"op": "le", "value": 0.0}
    assert expected and {r["owner"] for r in answer.rows} == expected, answer.text  # (no one who has left)
    assert not answer.unused, answer.unused  # the words of "haven't … any" were understood
    of = {"en": "of", "da": "af", "sv": "av"}[answer.lang]
    assert f"{len(expected)} {of} {len(counts)}:" in answer.text


def test_the_bottom_of_a_count_starts_at_zero(ask, demo_assistant):
    counts = won_this_month(demo_assistant).sort_values(kind="stable")
    answer = ask("bottom 3 reps by deals won this month")
    assert [r["value"] for r in answer.rows] == list(counts.iloc[:3].astype(float))
    assert answer.rows[0]["value"] == 0.0


def test_a_ratio_has_no_value_where_there_are_no_deals(ask, demo_assistant):
    deals, _ = frames(demo_assistant)
    close = pd.to_datetime(deals["close_date"])
    closed = deals[deals["is_closed"].astype(bool) & (close >= MONTH[0]) & (close < MONTH[1])]
    answer = ask("win rate by rep this month")
    assert {r["owner"] for r in answer.rows} == set(closed["owner_id"])  # no invented 0% for a rep without deals


def test_no_closed_stage_in_a_pipeline_by_stage(ask, demo_assistant):
    deals, _ = frames(demo_assistant)
    open_stages = set(deals[~deals["is_closed"].astype(bool)]["stage"].dropna())
    answer = ask("pipeline by stage")
    assert {r["stage"] for r in answer.rows} == open_stages


def test_an_amount_line_asked_at_zero_is_not_a_size(ask):
    answer = ask("sælgere uden pipeline")
    assert answer.group_by == ["owner"] and answer.threshold == {"op": "le", "value": 0.0}
    assert "på nul" in answer.text


# ---------------------------------------------------------------- who the empty groups are

NEW_HIRE = "r5,Nina New,nina@x.example,UR5,m2,B,DACH,Europe/Berlin,rep,true"
DORAS_OLD_WIN = "o13,a3,r4,Services,new,outbound,Closed Won,true,true,100,EUR,,2025-01-10,2025-02-01"


@pytest.fixture(scope="module")
def hired(tmp_path_factory) -> Engine:
    """The small company with a rep hired into team B (DACH) who owns no deal yet, and a win in 2025
    of Dora's, who has left since."""
    add = lambda table, line: textwrap.dedent(SMALL[table]).strip() + "\n" + line + "\n"  # noqa: E731
    tables = {**SMALL, "reps.csv": add("reps.csv", NEW_HIRE), "opportunities.csv": add("opportunities.csv", DORAS_OLD_WIN)}
    return Engine(load_store(write_store(tmp_path_factory.mktemp("hired"), tables)))


def by_owner(engine: Engine, metric: str, scope=None, **plan) -> dict[str, float | None]:
    plan.setdefault("period", "Q3 2026")
    result = engine.run(QueryPlan(metric=metric, group_by=["owner"], **plan),
                        as_of=date(2026, 11, 20), scope=scope)
    return {r["owner"]: r["value"] for r in result.rows}


def test_a_new_hire_has_won_nothing_yet(hired):
    # Q3 revenue (test_kpis.py): Alice 2340, Carl 190; Bob and the new hire won nothing; Dora has left
    # (her 2025 win is hers all the same)
    assert by_owner(hired, "revenue", period="2025") == pytest.approx({"r1": 3000.0, "r4": 100.0, "r2": 0.0,
                                                                        "r3": 0.0, "r5": 0.0})
    assert by_owner(hired, "revenue") == pytest.approx({"r1": 2340.0, "r2": 0.0, "r3": 190.0, "r5": 0.0})
    assert by_owner(hired, "revenue", filters={"region": ["DACH"]}) == pytest.approx({"r3": 190.0, "r5": 0.0})
    assert by_owner(hired, "revenue", scope=frozenset({"r1", "r2"})) == pytest.approx({"r1": 2340.0, "r2": 0.0})


def test_who_sells_a_product_is_in_the_deals(hired):
    # Platform deals are Alice's, Bob's and Carl's (o1, o3, o5, o6): the reps table says nothing of products
    got = by_owner(hired, "revenue", filters={"product_line": ["Platform"]})
    assert got == pytest.approx({"r1": 1000.0, "r2": 0.0, "r3": 0.0})


def test_a_ratio_or_a_target_leaves_them_out(hired):
    assert "r5" not in by_owner(hired, "win_rate") and "r5" not in by_owner(hired, "quota")


def test_every_month_of_the_period_since_the_data_began(hired):
    result = hired.run(QueryPlan(metric="leads_created", period="2026", group_by=["month"]), as_of=date(2026, 11, 20))
    # l1 July (the first lead), l2 August, l3 September, l4 October; the year runs to as_of in November
    assert [(r["month"], r["value"]) for r in result.rows] == [
        ("2026-07", 1.0), ("2026-08", 1.0), ("2026-09", 1.0), ("2026-10", 1.0), ("2026-11", 0.0)]
    # deals begin in November 2025 (o10 was created then): no deal won in Q1 2026 is a 0
    result = hired.run(QueryPlan(metric="deals_won", period="2026", group_by=["quarter"]), as_of=date(2026, 11, 20))
    assert [(r["quarter"], r["value"]) for r in result.rows] == [
        ("Q1 2026", 0.0), ("Q2 2026", 1.0), ("Q3 2026", 4.0), ("Q4 2026", 1.0)]
