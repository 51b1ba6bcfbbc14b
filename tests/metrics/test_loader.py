"""Loading stores: bad cells reported with file, row and column, the rest still loading; CRM mappings."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from bot.errors import StoreError
from bot.metrics.deals import history_deal
from bot.metrics.engine import Engine
from bot.metrics.store import StoreHolder, load_store
from tests.conftest import SMALL, run, write_store, notes

OPP_HEADER = "opportunity_id,owner_id,stage,is_closed,is_won,amount,currency,created_date,close_date"


def opp_store(tmp_path: Path, rows: str, extra: dict[str, str] | None = None) -> Path:
    tables = {"opportunities.csv": OPP_HEADER + "\n" + rows, **(extra or {})}
    return write_store(tmp_path / "s", tables, "as_of: 2026-11-20\n")


def problems(store, column: str | None = None) -> list:
    return [p for p in store.report.problems if column is None or p.column == column]


class TestBadCells:
    def test_unparseable_dates_are_reported_with_file_row_and_column(self, tmp_path):
        root = opp_store(tmp_path, """
o1,r1,Closed Won,true,true,100,EUR,2026-01-05,2026-02-01
o2,r1,Closed Won,true,true,200,EUR,2017-02-30,2026-02-01
o3,r1,Closed Won,true,true,300,EUR,2026-01-05,not a date
""".strip())
        store = load_store(root)
        created = problems(store, "created_date")[0]
        # o2 is on line 3 of the file (line 1 is the header); created_date is required: row set aside
        assert (created.file, created.rows, created.action) == ("opportunities.csv", [3], "row set aside")
        assert created.values == ["2017-02-30"]
        # close_date is optional for the contract: the value is ignored, the deal stays
        closed = problems(store, "close_date")[0]
        assert (closed.rows, closed.action) == ([4], "value ignored")
        assert sorted(store.deals["opportunity_id"]) == ["o1", "o3"]
        assert store.report.tables["opportunities"].rows_set_aside == 1
        assert "opportunities.csv, column created_date, row 3" in created.describe()

    def test_bad_amounts_and_booleans(self, tmp_path):
        root = opp_store(tmp_path, """
o1,r1,Closed Won,true,true,n/a,EUR,2026-01-05,2026-02-01
o2,r1,Closed Won,maybe,true,200,EUR,2026-01-05,2026-02-01
o3,r1,Closed Won,yes,1,1 500,EUR,2026-01-05,2026-02-01
""".strip())
        store = load_store(root)
        assert problems(store, "amount")[0].rows == [2]
        assert problems(store, "is_closed")[0].rows == [3]
        # o1 stays with no amount; o2 is set aside (is_closed is required); o3 parses "yes", "1", "1 500"
        assert sorted(store.deals["opportunity_id"]) == ["o1", "o3"]
        result = run(Engine(store), "revenue", period="2026-02")
        assert result.value == 1500.0
        assert "1 of 2 deals had no amount and are not in the sum." in notes(result)

    def test_duplicate_ids_keep_the_first(self, tmp_path):
        root = opp_store(tmp_path, """
o1,r1,Closed Won,true,true,100,EUR,2026-01-05,2026-02-01
o1,r1,Closed Won,true,true,999,EUR,2026-01-05,2026-02-01
o2,r1,Closed Won,true,true,5,EUR,2026-01-05,2026-02-01
""".strip())
        store = load_store(root)
        dup = problems(store, "opportunity_id")[0]
        assert (dup.rows, dup.action, dup.values) == ([3], "row set aside", ["o1"])
        assert run(Engine(store), "revenue", period="2026-02").value == 105.0

    def test_unknown_currency_names_currency_and_rows_never_zero(self, tmp_path):
        fx = {"fx_rates.csv": "month,currency,rate_to_base\n2026-01-01,USD,0.9\n"}
        root = opp_store(tmp_path, """
o1,r1,Closed Won,true,true,100,USD,2026-01-05,2026-02-01
o2,r1,Closed Won,true,true,100,XYZ,2026-01-05,2026-02-01
o3,r1,Closed Won,true,true,100,EUR,2026-01-05,2026-02-01
""".strip(), fx)
        store = load_store(root)
        p = problems(store, "amount")[0]
        assert "XYZ" in p.problem and p.rows == [3] and p.action == "amount ignored"
        result = run(Engine(store), "revenue", period="2026-02")
        assert result.value == pytest.approx(190.0)
        assert "1 of 3 deals had no amount and are not in the sum." in notes(result)

    def test_without_fx_table_foreign_amounts_are_base_with_a_note(self, tmp_path):
        root = opp_store(tmp_path, "o1,r1,Closed Won,true,true,100,USD,2026-01-05,2026-02-01")
        store = load_store(root)
        assert any("no fx_rates table" in p.problem for p in store.report.problems)
        assert run(Engine(store), "revenue", period="2026-02").value == 100.0

    def test_out_of_range_probability_is_ignored(self, tmp_path):
        header = OPP_HEADER + ",probability"
        tables = {"opportunities.csv": header + "\no1,r1,Proposal,false,false,100,EUR,2026-01-05,2026-12-01,1.7\n"}
        store = load_store(write_store(tmp_path / "p", tables))
        assert problems(store, "probability")[0].action == "value ignored"
        # falls back to the stage default (Proposal 0.5)
        assert run(Engine(store), "weighted_pipeline").value == 50.0

    def test_a_bad_optional_table_does_not_stop_the_store(self, tmp_path):
        root = opp_store(tmp_path, "o1,r1,Closed Won,true,true,100,EUR,2026-01-05,2026-02-01",
                         {"leads.csv": "lead_id,source\nl1,inbound\n"})
        store = load_store(root)
        assert not store.has("leads")
        assert any(p.action == "table not loaded" and p.file == "leads.csv" for p in store.report.problems)


class TestStages:
    def test_outcome_derived_from_recognised_stage_names(self, tmp_path):
        tables = {"opportunities.csv": """
            opportunity_id,owner_id,stage,amount,created_date,close_date
            o1,r1,Closed Won,100,2026-01-05,2026-02-01
            o2,r1,Closed Lost,100,2026-01-05,2026-02-01
            o3,r1,Negotiation,100,2026-01-05,2026-12-01
        """}
        store = load_store(write_store(tmp_path / "s", tables, "as_of: 2026-11-20\n"))
        engine = Engine(store)
        assert run(engine, "win_rate", period="2026-02").value == 0.5
        assert run(engine, "open_deals").value == 1.0

    def test_underivable_is_won_is_a_clear_error(self, tmp_path):
        tables = {"opportunities.csv": """
            opportunity_id,owner_id,stage,amount,created_date,close_date
            o1,r1,Stage 1,100,2026-01-05,2026-02-01
            o2,r1,Stage 9,100,2026-01-05,2026-02-01
        """}
        with pytest.raises(StoreError) as exc:
            load_store(write_store(tmp_path / "s", tables))
        msg = str(exc.value)
        assert "is_won" in msg and "Stage 1, Stage 9" in msg and "stages" in msg

    def test_stage_list_without_won_is_a_clear_error(self, tmp_path):
        tables = {"opportunities.csv": """
            opportunity_id,owner_id,stage,amount,created_date,close_date
            o1,r1,Won,100,2026-01-05,2026-02-01
        """}
        root = write_store(tmp_path / "s", tables, "stages:\n  lost: [Lost]\n")
        with pytest.raises(StoreError, match="names no won stage"):
            load_store(root)


# A CRM export in its own names, shaped like the well-known Maven sales-pipeline sample.
MAVEN = {
    "exports/sales_pipeline.csv": """
        opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
        1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054
        Z063OYW0,Darcel Schlecht,GTXPro,Isdom,Won,2016-10-25,2017-03-11,4514
        EC4QE1BX,Darcel Schlecht,MG Special,Cancity,Won,2016-10-25,2017-03-07,50
        MV1LWRNH,Moses Frase,GT-X Basic,Codehow,Lost,2016-10-25,2017-03-09,0
        PE84CX4O,Zane Levy,GTX Plus Basic,Hatfan,Engaging,2016-10-25,,
        ZNBS69V1,Anna Snelling,GT-X Basic,Ron-tech,Lost,2016-10-29,2017-03-01,0
        BADDATE1,Anna Snelling,GT-X Basic,Ron-tech,Won,2016-10-29,2017-02-30,100
    """,
    "exports/sales_teams.csv": """
        sales_agent,manager,regional_office
        Moses Frase,Dustin Brinkmann,Central
        Darcel Schlecht,Melvin Marxen,Central
        Zane Levy,Summer Sewald,West
        Anna Snelling,Dustin Brinkmann,Central
    """,
    "exports/accounts.csv": """
        account,sector,office_location
        Cancity,retail,United States
        Isdom,medical,United States
        Codehow,software,United States
        Hatfan,services,United States
        Ron-tech,medical,United States
    """,
}
MAVEN_MAPPING = """
base_currency: USD
as_of: 2017-12-31
tables:
  opportunities:
    file: exports/sales_pipeline.csv
    columns: {opportunity_id: opportunity_id, owner_id: sales_agent, account_id: account, product_line: product,
              stage: deal_stage, created_date: engage_date, close_date: close_date, amount: close_value}
    stages: {won: [Won], lost: [Lost]}
  reps:
    file: exports/sales_teams.csv
    columns: {rep_id: sales_agent, name: sales_agent, manager_id: manager, region: regional_office}
    add_missing_managers: true
  accounts:
    file: exports/accounts.csv
    columns: {account_id: account, name: account, industry: sector, country: office_location}
"""


class TestMapping:
    def test_crm_export_through_a_mapping(self, tmp_path):
        root = write_store(tmp_path / "crm", MAVEN)
        (root / "mapping.yml").write_text(MAVEN_MAPPING)
        store = load_store(root / "mapping.yml")
        # 2017-02-30 is not a date: reported at line 8 of the export, and the deal stays (close_date optional)
        bad = problems(store, "close_date")[0]
        assert (bad.file, bad.rows) == ("exports/sales_pipeline.csv", [8])
        engine = Engine(store)
        # Q1 2017 closed: won 1054 + 4514 + 50 (Central), lost Moses (Central) and Anna (Central)
        result = run(engine, "win_rate", period="Q1 2017", group_by=["region"])
        assert {r["region"]: r["value"] for r in result.rows} == {"Central": pytest.approx(3 / 5)}
        assert run(engine, "revenue", period="Q1 2017").value == 1054 + 4514 + 50
        assert store.base_currency == "USD"
        # managers named only in manager_id became rows with role manager
        reps = store.tables["reps"]
        assert reps.loc[reps["rep_id"] == "Dustin Brinkmann", "role"].item() == "manager"
        assert run(engine, "revenue", period="Q1 2017", filters={"industry": "medical"}).value == 4514

    def test_mapping_that_names_a_missing_required_column(self, tmp_path):
        root = write_store(tmp_path / "crm", MAVEN)
        (root / "mapping.yml").write_text(MAVEN_MAPPING.replace("owner_id: sales_agent", "owner_id: salesagent"))
        with pytest.raises(StoreError) as exc:
            load_store(root / "mapping.yml")
        assert "salesagent" in str(exc.value) and "sales_pipeline.csv" in str(exc.value)

    def test_mapping_that_names_a_missing_optional_column(self, tmp_path):
        root = write_store(tmp_path / "crm", MAVEN)
        (root / "mapping.yml").write_text(MAVEN_MAPPING.replace("product_line: product", "product_line: prodct"))
        store = load_store(root / "mapping.yml")
        p = problems(store, "prodct")[0]
        assert p.action == "column ignored" and "prodct" in p.problem
        assert run(Engine(store), "deals_won", period="Q1 2017").value == 3.0

    def test_mapping_of_an_unknown_table_or_column(self, tmp_path):
        root = write_store(tmp_path / "crm", MAVEN)
        (root / "mapping.yml").write_text(MAVEN_MAPPING.replace("  reps:", "  people:"))
        with pytest.raises(StoreError, match="'people' is not a canonical table"):
            load_store(root / "mapping.yml")

    def test_missing_store_and_missing_opportunities(self, tmp_path):
        with pytest.raises(StoreError, match="does not exist"):
            load_store(tmp_path / "nowhere")
        (tmp_path / "empty").mkdir()
        with pytest.raises(StoreError, match="no opportunities table"):
            load_store(tmp_path / "empty")


def test_store_reloads_when_files_change(tmp_path):
    root = write_store(tmp_path / "s", dict(SMALL), "as_of: 2026-11-20\n")
    holder = StoreHolder(root, check_every=0)
    engine = Engine(holder)
    assert run(engine, "deals_won", period="last quarter").value == 4.0
    first = holder.get()
    assert holder.get() is first  # unchanged files: the same hot store
    path = root / "opportunities.csv"
    path.write_text(path.read_text() + "o13,a3,r3,Services,new,outbound,Closed Won,true,true,50,EUR,,2026-09-01,2026-09-02\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert run(engine, "deals_won", period="last quarter").value == 5.0


def test_typed_hot_frames(small_store_dir):
    deals = load_store(small_store_dir).deals
    for col in ("owner_id", "region", "segment", "stage", "product_line", "currency"):
        assert str(deals[col].dtype) == "category", col
    assert str(deals["opportunity_id"].dtype) in ("string", "str")
    assert str(deals["close_date"].dtype).startswith("datetime64")
    assert deals["amount"].dtype == "float64"


def test_history_loads_on_first_use_in_the_deals_currency(tmp_path):
    tables = dict(SMALL)
    tables["opportunity_history.csv"] = """
        opportunity_id,changed_at,stage,amount,close_date
        o2,2026-07-31T09:00:00Z,Prospecting,8000,2026-08-30
        o2,2026-08-10T12:00:00Z,Closed Won,10000,2026-08-10
        o99,2026-08-10T12:00:00Z,Closed Won,5,2026-08-10
    """
    store = load_store(write_store(tmp_path / "h", tables))
    assert "opportunity_history" not in store.tables  # not needed to answer KPIs
    hist = store.history()
    # Each row's deal is kept as its position among the deals (-1: unknown), not as its id.
    deal = history_deal(store)
    assert "opportunity_id" not in hist.columns and deal.dtype == np.int32
    assert deal.tolist() == [store.deals["opportunity_id"].tolist().index("o2")] * 2 + [-1]
    # o2 is a DKK deal: July's 0.134 for both changes (no August rate)
    assert hist["amount"].tolist()[:2] == pytest.approx([8000 * 0.134, 10000 * 0.134])
    assert hist["amount"].tolist()[2] == 5.0  # o99, an unknown deal: base currency
    assert load_store(tmp_path / "h", with_history=True).tables["opportunity_history"].shape[0] == 3


def test_rule_checks_across_columns(tmp_path):
    tables = {
        "opportunities.csv": OPP_HEADER + "\no1,r1,Closed Won,false,true,100,EUR,2026-01-05,2026-02-01\n",
        "targets.csv": "period_start,period_end,amount,rep_id,team,region\n"
                       "2026-01-01,2026-03-31,500,r1,,\n2026-01-01,2026-03-31,900,r1,A,\n",
    }
    store = load_store(write_store(tmp_path / "r", tables, "as_of: 2026-11-20\n"))
    won_open = problems(store, "is_closed")[0]
    assert won_open.rows == [2] and "treated as closed" in won_open.problem
    both = problems(store, "rep_id/team/region")[0]
    assert both.rows == [3] and both.action == "row set aside"
    assert store.report.tables["targets"].rows_set_aside == 1
    engine = Engine(store)
    assert run(engine, "deals_won", period="Q1 2026").value == 1.0
    assert run(engine, "quota", period="Q1 2026", filters={"owner": "r1"}).value == 500.0


def test_duplicate_keys_are_found_as_pandas_finds_them() -> None:
    # The load's own check (a stable sort of the key's codes) against DataFrame.duplicated on the
    # same rows: labels, dates, text, missing values, one and two key columns.
    import pandas as pd

    from bot.metrics.loader import _duplicated

    rng = np.random.default_rng(7)
    n = 5000
    ids = pd.Series(rng.choice([f"id-{i}" for i in range(3000)] + [None], n), dtype="str")
    labels = pd.Series(rng.choice(["EUR", "SEK", "DKK", None], n)).astype("category")
    months = pd.Series(pd.to_datetime(rng.choice(["2026-01-01", "2026-02-01", "2026-03-01", None], n)))
    frame = pd.DataFrame({"id": ids, "label": labels, "month": months})
    for key in (["id"], ["label"], ["month"], ["month", "label"], ["month", "id"], ["id", "label", "month"]):
        got = _duplicated([frame[c] for c in key])
        expected = frame.duplicated(key, keep="first").to_numpy()
        assert got.dtype == bool and (got == expected).all(), key
        assert expected.any() and not expected.all()
    assert _duplicated([frame["id"].iloc[:0]]).tolist() == []


def test_each_accounts_first_mrr_is_its_first_paying_month() -> None:
    # Rows out of order, a month of zero MRR first, two rows in the first paying month (the first
    # of them counts), an account that never pays: against a plain sort in pandas.
    import pandas as pd

    from bot.metrics.store import _first_mrr

    rev = pd.DataFrame({
        "m": np.array([5, 3, 4, 4, 2, 6, 3, 3], dtype=np.int32),
        "account_id": pd.Categorical(["a", "a", "b", "b", "b", "c", "c", "a"]),
        "mrr": [50.0, 0.0, 20.0, 30.0, 0.0, 0.0, 0.0, 10.0],
    })
    got = _first_mrr(rev)["first_mrr"]
    paying = rev[rev["mrr"] > 0].sort_values("m", kind="stable").drop_duplicates("account_id")
    expected = pd.Series(paying["mrr"].to_numpy(), index=paying["account_id"].astype(str))
    assert got.sort_index().to_dict() == expected.sort_index().to_dict() == {"a": 10.0, "b": 20.0}


def test_deals_of_unknown_owners_and_accounts_are_reported_by_file_row(tmp_path: Path) -> None:
    # The file's own row numbers (CSV: the header is row 1) for the deals whose owner or account
    # the other tables lack; their dimensions from that table are empty, the others' are joined.
    write_store(tmp_path, {
        "reps.csv": """
            rep_id,name,team,region
            r1,Alice,A,Nordics
        """,
        "accounts.csv": """
            account_id,name,segment
            a1,Acme,Enterprise
        """,
        "opportunities.csv": """
            opportunity_id,owner_id,account_id,stage,amount,created_date,close_date,is_won,is_closed
            o1,r1,a1,Won,100,2026-01-05,2026-02-01,true,true
            o2,r9,a1,Won,100,2026-01-05,2026-02-01,true,true
            o3,r1,a7,Won,100,2026-01-05,2026-02-01,true,true
            o4,r9,a7,Won,100,2026-01-05,2026-02-01,true,true
        """,
    })
    store = load_store(tmp_path)
    by_column = {p.column: p for p in store.report.problems if "not in" in p.problem}
    assert by_column["owner_id"].rows == [3, 5] and by_column["owner_id"].count == 2
    assert by_column["account_id"].rows == [4, 5] and set(by_column["account_id"].values) == {"a7"}
    d = store.deals.set_index("opportunity_id")
    assert d["region"].astype(object).where(d["region"].notna(), None).to_dict() == {
        "o1": "Nordics", "o2": None, "o3": "Nordics", "o4": None}
    assert d["segment"].astype(object).where(d["segment"].notna(), None).to_dict() == {
        "o1": "Enterprise", "o2": "Enterprise", "o3": None, "o4": None}
