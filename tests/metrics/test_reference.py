"""The engine against an independent, naive pandas computation on the demo store's raw files
(tests/reference.py: none of the loader's or engine's code is used)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.conftest import notes
from tests.reference import raw_deals

from bot.metrics import demo
from bot.metrics.engine import Engine
from bot.metrics.plan import QueryPlan
from bot.metrics.store import load_store

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def raw_and_engine(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    demo.write_demo(out, seed=21, deals=8_000, as_of=AS_OF)
    deals = raw_deals(out)
    return deals, Engine(load_store(out))


def between(s: pd.Series, a: str, b: str) -> pd.Series:
    return (s >= pd.Timestamp(a)) & (s <= pd.Timestamp(b))


def engine_rows(engine: Engine, **plan) -> dict:
    result = engine.run(QueryPlan(**plan), as_of=AS_OF)
    return result.value, {r[plan["group_by"][0]]: r["value"] for r in result.rows}


def test_revenue_by_region_last_quarter(raw_and_engine):
    d, engine = raw_and_engine
    won = d[d["is_won"] & between(d["close_date"], "2026-07-01", "2026-09-30")]
    value, rows = engine_rows(engine, metric="revenue", period="last quarter", group_by=["region"])
    assert value == pytest.approx(won["eur"].sum())
    assert rows == pytest.approx(won.groupby("region")["eur"].sum().to_dict())


def test_win_rate_by_segment_this_year(raw_and_engine):
    d, engine = raw_and_engine
    closed = d[d["is_closed"] & between(d["close_date"], "2026-01-01", "2026-11-20")]
    value, rows = engine_rows(engine, metric="win_rate", period="this year", group_by=["segment"])
    assert value == pytest.approx(closed["is_won"].mean())
    assert rows == pytest.approx(closed.groupby("segment")["is_won"].mean().to_dict())


def test_pipeline_this_quarter_in_the_nordics(raw_and_engine):
    d, engine = raw_and_engine
    open_ = d[~d["is_closed"] & between(d["close_date"], "2026-10-01", "2026-12-31") & (d["region"] == "Nordics")]
    result = engine.run(QueryPlan(metric="pipeline", period="this quarter", filters={"region": "Nordics"}), as_of=AS_OF)
    assert result.value == pytest.approx(open_["eur"].sum())
    lacking = int(open_["amount"].isna().sum())
    assert lacking > 0 and f"{lacking} of {len(open_)} deals had no amount and are not in the sum." in notes(result)


def test_avg_deal_size_by_month_2025(raw_and_engine):
    d, engine = raw_and_engine
    won = d[d["is_won"] & between(d["close_date"], "2025-01-01", "2025-12-31")]
    value, rows = engine_rows(engine, metric="avg_deal_size", period="2025", group_by=["month"])
    assert value == pytest.approx(won["eur"].mean())
    expected = won.groupby(won["close_date"].dt.strftime("%Y-%m"))["eur"].mean().to_dict()
    assert rows == pytest.approx(expected)
