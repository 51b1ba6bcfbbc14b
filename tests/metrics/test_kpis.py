"""Every KPI formula of contracts/kpis.md, pinned on the hand-built store in conftest.SMALL.

As of 2026-11-20, "last quarter" is Q3 2026 (2026-07-01 … 2026-09-30).
FX: DKK 0.134 from July, 0.135 from September; USD 0.9 from August only.

Q3 won deals:   o1 1000 EUR (r1 Nordics, a1 Enterprise, inbound, 30 days)
                o2 10000 DKK in August → July's rate 0.134 (no August rate) = 1340 (r1, a2 SMB, expansion, 10 d)
                o4 100 USD in July → no earlier USD rate, so the earliest (0.9) = 90 (r3 DACH, a1, partner, 10 d)
                o12 100 EUR on 2026-09-30, the quarter's last day (r3, a3 Mid-Market, 10 d)
Q3 lost deals:  o3 (r2 Nordics, a3), o5 (r3 DACH, a2)
"""

from __future__ import annotations

import pytest

from tests.conftest import run, notes

Q3 = "last quarter"
APPROX = dict(rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(
    ("metric", "plan", "expected"),
    [
        # 1000 + 1340 + 90 + 100
        ("revenue", {"period": Q3}, 2530.0),
        ("deals_won", {"period": Q3}, 4.0),
        ("deals_lost", {"period": Q3}, 2.0),
        # created in Q3: o2, o3, o4, o7, o9, o12
        ("deals_created", {"period": Q3}, 6.0),
        # their amounts, whatever became of them: o2 10000 DKK at August's 0.134, o3 500, o4 100 USD at
        # 0.9, o7 none, o9 2000, o12 100
        ("pipeline_created", {"period": Q3}, 1340 + 500 + 90 + 2000 + 100),
        ("win_rate", {"period": Q3}, 4 / 6),
        ("avg_deal_size", {"period": Q3}, 2530 / 4),
        # (30 + 10 + 10 + 10) / 4
        ("sales_cycle_days", {"period": Q3}, 15.0),
        # Q2 revenue is o11's 1000
        ("revenue_growth", {"period": Q3}, (2530 - 1000) / 1000),
        ("expansion_revenue", {"period": Q3}, 1340.0),
        # o1 (account a1 has partner p1) + o4 (source partner)
        ("partner_revenue", {"period": Q3}, 1090.0),
        # first wins: a1 → o10 (2025), a2 → o2 (Q3), a3 → o12 (Q3)
        ("new_customers", {"period": Q3}, 2.0),
        # open: o6 2000 + o7 (no amount) + o8 400 DKK at September's 0.135 = 54
        ("pipeline", {}, 2054.0),
        ("open_deals", {}, 3.0),
        # o6 has no probability: Proposal's catalog default 0.5; o8 0.1
        ("weighted_pipeline", {}, 2000 * 0.5 + 54 * 0.1),
        # this quarter looks forward to 2026-12-31: o6 and o8, not o7 (January)
        ("pipeline", {"period": "this quarter"}, 2054.0),
        ("open_deals", {"period": "this quarter"}, 2.0),
        # leads created in Q3: l1 (converted), l2, l3 (converted)
        ("lead_conversion_rate", {"period": Q3}, 2 / 3),
        ("leads_created", {"period": Q3}, 3.0),
        ("leads_converted", {"period": Q3}, 2.0),
        # 300 + 200 + 1000 DKK at 0.135
        ("marketing_spend", {"period": Q3}, 635.0),
        ("cac", {"period": Q3}, 635 / 2),
        # inbound won in Q3: o1 only
        ("marketing_roi", {"period": Q3}, (1000 - 635) / 635),
        # first-month MRR of the new customers: a2 500 DKK × 0.135 = 67.5, a3 40
        ("cac_payback_months", {"period": Q3}, (635 / 2) / ((67.5 + 40) / 2)),
        # June payers a1 (100) and a3 (40); in September a1 pays 120, a3 0 → a3 churned
        ("logo_churn_rate", {"period": Q3}, 1 / 2),
        ("revenue_churn_rate", {"period": Q3}, 40 / 140),
        ("nrr", {"period": Q3}, 120 / 140),
        # September payers a1 120, a2 67.5 → 93.75 a month; monthly churn 0.5 / 3
        ("ltv", {"period": Q3}, 93.75 / (0.5 / 3)),
        ("ltv_to_cac", {"period": Q3}, (93.75 / (0.5 / 3)) / (635 / 2)),
        # latest month with data up to as_of is October: a1 130 + a2 67.5
        ("mrr", {}, 197.5),
        ("arr", {}, 197.5 * 12),
        # Q3 responses 10, 9, 7, 3: 50 % promoters − 25 % detractors
        ("nps", {"period": Q3}, 25.0),
        # cases resolved in Q3: 12 h and 48 h
        ("case_resolution_hours", {"period": Q3}, 30.0),
        ("quota", {"period": Q3}, 4000.0),
        ("quota_attainment", {"period": Q3}, 2530 / 4000),
        # this quarter's open pipeline (o6 and o8, as above) against the company's Q4 target, by default too
        ("pipeline_coverage", {}, 2054 / 5000),
        ("pipeline_coverage", {"period": "this quarter"}, 2054 / 5000),
        # active reps with role rep: r1, r2, r3 (r4 inactive, m1/m2 managers)
        ("active_reps", {"period": Q3}, 3.0),
        # a team as its people (m2's: m2 itself a manager, r3, r4 gone): one active rep
        ("active_reps", {"period": Q3, "filters": {"owner": ["m2", "r3", "r4"]}}, 1.0),
        ("revenue_per_rep", {"period": Q3}, 2530 / 3),
    ],
)
def test_kpi_value(small_engine, metric, plan, expected):
    assert run(small_engine, metric, **plan).value == pytest.approx(expected, **APPROX)


def test_every_catalog_kpi_is_pinned_here():
    from bot.metrics.catalog import load_catalog

    pinned = {case[0] for case in test_kpi_value.pytestmark[0].args[1]}
    assert set(load_catalog().kpis) <= pinned


@pytest.mark.parametrize(
    ("metric", "by", "expected"),
    [
        # owner → region: Nordics is r1 + r2, DACH is r3
        ("revenue", "region", {"Nordics": 2340.0, "DACH": 190.0}),
        ("win_rate", "region", {"Nordics": 2 / 3, "DACH": 2 / 3}),
        ("revenue", "team", {"A": 2340.0, "B": 190.0}),
        # account → segment
        ("win_rate", "segment", {"Enterprise": 1.0, "SMB": 0.5, "Mid-Market": 0.5}),
        # r2 (Bob) won nothing in Q3: a sum's group without rows is at 0; Dora (r4) has left and owns nothing
        ("revenue", "owner", {"r1": 2340.0, "r2": 0.0, "r3": 190.0}),
        ("revenue", "month", {"2026-07": 1090.0, "2026-08": 1340.0, "2026-09": 100.0}),
        ("lead_conversion_rate", "source", {"inbound": 0.5, "outbound": 1.0}),
        ("leads_converted", "source", {"inbound": 1.0, "outbound": 1.0}),
        ("cac", "region", {"Nordics": 435.0, "DACH": 200.0}),
        ("nps", "segment", {"Enterprise": 0.0, "SMB": 100.0, "Mid-Market": 0.0}),
        ("quota_attainment", "owner", {"r1": 2340 / 2000, "r2": 0.0, "r3": 190 / 500}),
        ("revenue_per_rep", "region", {"Nordics": 2340 / 2, "DACH": 190.0}),
    ],
)
def test_breakdowns(small_engine, metric, by, expected):
    result = run(small_engine, metric, period=Q3, group_by=[by])
    got = {row[by]: row["value"] for row in result.rows}
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("metric", "filters", "expected"),
    [
        ("revenue", {"region": "Nordics"}, 2340.0),  # through the owner's region
        ("revenue", {"team": "B"}, 190.0),  # through the owner's team
        ("revenue", {"segment": "Enterprise"}, 1090.0),  # through the account's segment
        ("win_rate", {"segment": "Enterprise"}, 1.0),
        ("revenue", {"owner": "r1"}, 2340.0),
        ("revenue", {"owner": "Alice Berg"}, 2340.0),  # a rep by name
        ("revenue", {"region": "nordics"}, 2340.0),  # values match case-insensitively
        ("revenue", {"product_line": ["Platform", "Services"]}, 1190.0),
        ("quota_attainment", {"region": "Nordics"}, 2340 / 3000),
        ("quota_attainment", {"team": "A"}, 2340 / 3000),
        ("quota_attainment", {"owner": "r3"}, 190 / 500),
    ],
)
def test_filters(small_engine, metric, filters, expected):
    assert run(small_engine, metric, period=Q3, filters=filters).value == pytest.approx(expected)


def test_quarter_boundaries(small_engine):
    # o12 closes on 2026-09-30 and belongs to Q3; o9 on 2026-10-05 to Q4.
    assert run(small_engine, "revenue", period="2026-09-30").value == 100.0
    assert run(small_engine, "revenue", period="2026-10-01..2026-10-04").value == 0.0
    this_quarter = run(small_engine, "revenue", period="this quarter")
    assert this_quarter.value == 2000.0
    assert (str(this_quarter.period.start), str(this_quarter.period.end)) == ("2026-10-01", "2026-11-20")


def test_default_periods(small_engine):
    assert run(small_engine, "revenue").period.as_dict() == {"start": "2026-10-01", "end": "2026-11-20"}
    assert run(small_engine, "pipeline").period is None
    assert run(small_engine, "mrr").period.as_dict() == {"start": "2026-10-01", "end": "2026-10-31"}
    assert run(small_engine, "logo_churn_rate").period.as_dict() == {"start": "2026-10-01", "end": "2026-10-31"}


def test_attainment_this_quarter_uses_the_whole_quarter_target(small_engine):
    result = run(small_engine, "quota_attainment", period="this quarter")
    assert result.value == pytest.approx(2000 / 5000)
    assert any("2026-12-31" in n for n in notes(result))


def test_attainment_of_a_month_inside_a_quarters_target_says_the_target_is_the_quarters(small_engine):
    # "how am I tracking vs quota this month" said only "quota is zero or unknown": the small store's
    # targets are set for Q4 2026 (2026-10-01 to 2026-12-31), and none lies within November
    result = run(small_engine, "quota_attainment", period="this month")
    assert result.value is None
    assert any("Targets are set for whole periods (2026-10-01 to 2026-12-31)" in n for n in notes(result))
    assert not any("Targets are set" in n for n in notes(run(small_engine, "quota_attainment", period="this quarter")))


def test_growth_compares_equal_spans(small_engine):
    # Q3 2025 had no revenue, so growth against it has no value.
    assert run(small_engine, "revenue_growth", period=Q3, compare="year_ago").value is None
    # 2026 runs to as_of, so it is compared with 2025-01-01 … 2025-11-20, before o10 (2025-12-20).
    ytd = run(small_engine, "revenue_growth", period="2026", compare="year_ago")
    assert ytd.value is None
    assert "Compared with 2025-01-01 to 2025-11-20." in notes(ytd)
    # October (o9, 2000) against all of September (o12, 100)
    assert run(small_engine, "revenue_growth", period="last month").value == pytest.approx((2000 - 100) / 100)


class TestNoValue:
    def test_zero_denominator_ratio_has_no_value_and_says_so(self, small_engine):
        result = run(small_engine, "win_rate", period="Q1 2026")
        assert result.value is None
        assert any("no value" in n for n in notes(result))

    def test_cac_without_new_customers(self, small_engine):
        assert run(small_engine, "cac", period="this quarter").value is None

    def test_ltv_without_churn_is_unbounded(self, small_engine):
        result = run(small_engine, "ltv")  # October: nobody churned
        assert result.value is None
        assert any("unbounded" in n for n in notes(result))

    def test_zero_denominator_groups_are_none(self, small_engine):
        result = run(small_engine, "win_rate", period="this quarter", group_by=["region"])
        # Q4 so far: o9 won (Nordics); DACH has no closed deal at all → no row or a None
        values = {r["region"]: r["value"] for r in result.rows}
        assert values["Nordics"] == 1.0
        assert values.get("DACH") is None

    def test_future_period_has_no_value(self, small_engine):
        result = run(small_engine, "revenue", period="next quarter")
        assert result.value is None
        assert any("not started" in n for n in notes(result))

    def test_empty_period_says_no_data(self, small_engine):
        result = run(small_engine, "revenue", period="2024")
        assert result.value == 0.0
        assert any("No matching deals" in n for n in notes(result))


class TestNotes:
    def test_missing_amounts_are_counted(self, small_engine):
        result = run(small_engine, "pipeline")
        assert "1 of 3 deals had no amount and are not in the sum." in notes(result)

    def test_conversion_is_stated(self, small_engine):
        result = run(small_engine, "revenue", period=Q3)
        assert "Amounts in DKK, USD converted to EUR at monthly rates." in notes(result)
        eur_only = run(small_engine, "revenue", period=Q3, filters={"segment": "Mid-Market"})
        assert not any("converted" in n for n in notes(eur_only))


class TestTopN:
    def test_top_and_bottom(self, small_engine):
        top = run(small_engine, "revenue", period="this year", group_by=["owner"], limit=1)
        # 2026: r1 o1+o2+o11 = 3340, r2 o9 = 2000, r3 o4+o12 = 190
        assert [(r["owner"], r["owner_name"], r["value"]) for r in top.rows] == [("r1", "Alice Berg", 3340.0)]
        bottom = run(small_engine, "revenue", period="this year", group_by=["owner"], limit=2, order="asc")
        assert [r["owner"] for r in bottom.rows] == ["r3", "r2"]
        assert top.value == pytest.approx(3340 + 2000 + 190)

    def test_time_groups_are_chronological(self, small_engine):
        result = run(small_engine, "revenue", period="this year", group_by=["quarter"])
        # every quarter of the period asked, Q1 at 0: the small store won nothing before April
        assert [r["quarter"] for r in result.rows] == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"]
        assert result.rows[0]["value"] == 0.0

    def test_two_dimensions(self, small_engine):
        result = run(small_engine, "revenue", period=Q3, group_by=["region", "segment"])
        got = {(r["region"], r["segment"]): r["value"] for r in result.rows}
        assert got == {("Nordics", "Enterprise"): 1000.0, ("Nordics", "SMB"): 1340.0,
                       ("DACH", "Enterprise"): 90.0, ("DACH", "Mid-Market"): 100.0}


class TestScope:
    def test_scope_filters_rows_before_aggregation(self, small_engine):
        from bot.metrics.plan import QueryPlan
        from tests.conftest import AS_OF

        mine = small_engine.run(QueryPlan(metric="win_rate", period=Q3), as_of=AS_OF, scope=frozenset({"r1"}))
        # r1 won o1 and o2 and lost nothing in Q3
        assert mine.value == 1.0
        team = small_engine.run(QueryPlan(metric="revenue", period=Q3, group_by=["owner"]), as_of=AS_OF,
                                scope=frozenset({"r1", "r2"}))
        assert {r["owner"]: r["value"] for r in team.rows} == {"r1": 2340.0, "r2": 0.0}  # r2 won nothing in Q3
        assert team.value == 2340.0


@pytest.mark.parametrize("metric", ["revenue_growth", "mrr", "arr", "nrr", "ltv_to_cac"])
def test_kpis_that_need_a_period_say_so_for_all_time(small_engine, metric):
    from bot.errors import PlanError

    with pytest.raises(PlanError, match="need a period"):
        run(small_engine, metric, period="all")


def test_all_time(small_engine):
    # every won deal: 1000 + 1340 + 90 + 2000 + 3000 + 1000 + 100
    assert run(small_engine, "revenue", period="all").value == pytest.approx(8530.0)
    assert run(small_engine, "revenue", period="all").period is None
