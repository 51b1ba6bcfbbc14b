"""Recurring revenue, retention, NPS, support cases and CAC payback on the warehouse (DuckDB and the real
PostgreSQL), with figures worked out by hand from the SMALL store (tests/conftest.py), and the file store's
answers where revenue has an amount without an exchange rate and an account the accounts table lacks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.metrics.engine import Engine, KpiResult
from bot.metrics.plan import QueryPlan
from bot.metrics.store import load_store
from bot.metrics.warehouse import WarehouseEngine, load_into
from tests.conftest import AS_OF, SMALL, write_store
from tests.warehouse.test_equal import _rows_key, _same, _warehouse_url

pytestmark = [pytest.mark.filterwarnings("ignore:.*fetch_arrow_table:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.*infer_string.*")]

Q3 = "last quarter"  # as of 2026-11-20: July to September 2026
STORE_YML = "base_currency: EUR\nas_of: 2026-11-20\n"


def _engine(request, backend: str, folder: Path, tables: dict[str, str]) -> WarehouseEngine:
    root = write_store(folder / "store", tables, STORE_YML)
    url = _warehouse_url(request, backend, folder)
    load_into(url, root)
    return WarehouseEngine(url)


@pytest.fixture(params=["duckdb", "postgresql"])
def wh(request, tmp_path) -> WarehouseEngine:
    return _engine(request, request.param, tmp_path, SMALL)


def run(engine: Engine, metric: str, by: tuple[str, ...] = (), period: str | None = Q3,
        filters: dict | None = None, scope: frozenset[str] | None = None) -> KpiResult:
    plan = QueryPlan(metric=metric, group_by=list(by), period=period, filters=filters or {})
    return engine.run(plan, as_of=AS_OF, scope=scope)


def rows(result: KpiResult, dim: str) -> dict:
    return {r[dim]: r["value"] for r in result.rows}


def test_retention_with_one_churned_account_by_region(wh):
    # June (the month before Q3) pays a1 (Nordics) 100 and a3 (DACH) 40; September pays a1 120,
    # a2 (Nordics, new in September) 500 DKK × 0.135 = 67.5 and a3 0: a3 churned, a2 is in no base.
    churn = run(wh, "logo_churn_rate", ("region",))
    assert churn.value == pytest.approx(1 / 2)
    assert rows(churn, "region") == pytest.approx({"Nordics": 0.0, "DACH": 1.0})
    revenue_churn = run(wh, "revenue_churn_rate", ("region",))
    assert revenue_churn.value == pytest.approx(40 / 140)
    assert rows(revenue_churn, "region") == pytest.approx({"Nordics": 0 / 100, "DACH": 40 / 40})
    nrr = run(wh, "nrr", ("region",))
    assert nrr.value == pytest.approx(120 / 140)
    assert rows(nrr, "region") == pytest.approx({"Nordics": 120 / 100, "DACH": 0 / 40})
    # LTV: (120 + 67.5) / 2 payers = 93.75 a month over a monthly churn of 0.5 / 3. The Nordics lost
    # nobody (unbounded) and DACH has no payer left: neither has a value.
    ltv = run(wh, "ltv", ("region",))
    assert ltv.value == pytest.approx(93.75 / (0.5 / 3))
    assert rows(ltv, "region") == {"Nordics": None, "DACH": None}
    # In the Nordics alone nobody churned: LTV is unbounded, and says so.
    nordics = run(wh, "ltv", filters={"region": ["Nordics"]})
    assert nordics.value is None and [n.code for n in nordics.notes] == ["ltv_unbounded"]


def test_cac_payback_by_region_and_in_a_reps_scope(wh):
    # Q3's new customers: a2 (o2, r1, Nordics, 10 August) and a3 (o12, r3, DACH, 30 September); a1 first
    # won in 2025. Q3 spend: Nordics 300 + 1000 DKK × 0.135 = 435, DACH 200. First paying months:
    # a2 September 500 DKK × 0.135 = 67.5, a3 June 40.
    payback = run(wh, "cac_payback_months", ("region",))
    assert payback.value == pytest.approx((635 / 2) / ((67.5 + 40) / 2))
    assert rows(payback, "region") == pytest.approx({"Nordics": 435 / 67.5, "DACH": 200 / 40})
    # Scope narrows deals before counting: r3 sees one new customer (a3) against all spend.
    assert run(wh, "cac_payback_months", scope=frozenset({"r3"})).value == pytest.approx(635 / 40)


def test_mrr_takes_the_last_month(wh):
    latest = run(wh, "mrr", period=None)  # the latest month with revenue up to 20 November: October
    assert latest.period.as_dict() == {"start": "2026-10-01", "end": "2026-10-31"}
    assert latest.value == pytest.approx(130 + 67.5)
    assert run(wh, "arr", period=None).value == pytest.approx(12 * 197.5)
    # Per quarter of this year, each quarter's last month with revenue: June (a1 100, a3 40),
    # September (120 + 67.5 + 0), October (130 + 67.5).
    quarters = run(wh, "mrr", ("quarter",), period="this year")
    assert rows(quarters, "quarter") == pytest.approx({"Q2 2026": 140.0, "Q3 2026": 187.5, "Q4 2026": 197.5})
    assert rows(run(wh, "mrr", ("region",)), "region") == pytest.approx({"Nordics": 120 + 67.5, "DACH": 0.0})


def test_nps_and_case_resolution(wh):
    # Q3 responses: a1 10, a2 9, a3 7, a1 3: 2 promoters and 1 detractor of 4.
    nps = run(wh, "nps", ("region",))
    assert nps.value == pytest.approx(25.0)
    assert rows(nps, "region") == pytest.approx({"Nordics": (2 - 1) / 3 * 100, "DACH": 0.0})
    # Resolved in Q3: c1 in 12 hours (July), c2 in 48 (August); c3 was resolved on 1 October.
    cases = run(wh, "case_resolution_hours", ("month",))
    assert cases.value == pytest.approx(30.0)
    assert rows(cases, "month") == pytest.approx({"2026-07": 12.0, "2026-08": 48.0})


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_an_mrr_without_a_rate_and_an_unknown_account_as_on_the_file_store(request, backend, tmp_path):
    # a4, not in accounts, paid 100 EUR in June and 50 SEK in September; fx_rates has no SEK.
    tables = dict(SMALL, **{"revenue.csv": textwrap.dedent(SMALL["revenue.csv"]).strip()
                            + "\n2026-06-01,a4,100,EUR\n2026-09-01,a4,50,SEK\n"})
    wh = _engine(request, backend, tmp_path, tables)
    files = Engine(load_store(write_store(tmp_path / "files", tables, STORE_YML)))
    # June's payers a1, a3 and a4; a3 pays nothing in September and a4's amount has no rate: 2 of 3 lost,
    # and a4's MRR kept is unknown, so NRR has no value.
    assert run(wh, "logo_churn_rate").value == pytest.approx(2 / 3)
    assert run(wh, "nrr").value is None
    for metric in ("logo_churn_rate", "revenue_churn_rate", "nrr", "ltv", "mrr", "cac_payback_months"):
        for by in ((), ("region",)):
            got, expected = run(wh, metric, by), run(files, metric, by)
            assert _same((got.value, _rows_key(got.rows), got.notes),
                         (expected.value, _rows_key(expected.rows), expected.notes)), (metric, by, got, expected)


def test_the_latest_date_is_the_file_stores(wh, tmp_path):
    # The latest close of a closed deal or the latest creation, whichever is later; open deals' close
    # dates (some in 2027 here) do not count.
    root = write_store(tmp_path / "files", SMALL, STORE_YML)
    expected = load_store(root).latest_date()
    assert expected is not None and wh.store.latest_date() == expected
