"""Shared fixtures: small stores written as real CSV files, so the loader is always exercised."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from bot.metrics.engine import Engine
from bot.metrics.plan import QueryPlan
from bot.metrics.store import load_store

AS_OF = date(2026, 11, 20)


def write_store(root: Path, tables: dict[str, str], store_yml: str | None = None) -> Path:
    """Write each table as CSV (dedented) and an optional store.yml; return the folder."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).strip() + "\n", encoding="utf-8")
    if store_yml is not None:
        (root / "store.yml").write_text(textwrap.dedent(store_yml), encoding="utf-8")
    return root


# The hand-built company of tests/metrics/test_kpis.py. Every figure asserted there is
# worked out by hand in that file's comments from these rows.
SMALL = {
    "reps.csv": """
        rep_id,name,email,slack_user_id,manager_id,team,region,timezone,role,active
        x1,Erin Exec,erin@x.example,UX1,,,,Europe/Copenhagen,exec,true
        ad,Adam Admin,adam@x.example,UAD,,,,Europe/Copenhagen,admin,true
        m0,Greta Director,greta@x.example,UM0,x1,,,Europe/Copenhagen,manager,true
        m1,Mona Manager,mona@x.example,UM1,m0,A,Nordics,Europe/Copenhagen,manager,true
        m2,Max Manager,max@x.example,UM2,m0,B,DACH,Europe/Berlin,manager,true
        r1,Alice Berg,alice@x.example,UR1,m1,A,Nordics,Europe/Copenhagen,rep,true
        r2,Bob Lund,bob@x.example,UR2,m1,A,Nordics,Europe/Stockholm,rep,true
        r3,Carl Weber,carl@x.example,UR3,m2,B,DACH,Europe/Berlin,rep,true
        r4,Dora Gone,dora@x.example,UR4,m2,B,DACH,Europe/Berlin,rep,false
    """,
    "accounts.csv": """
        account_id,name,segment,industry,country,region,partner_id
        a1,Acme,Enterprise,Software,DK,Nordics,p1
        a2,Beta,SMB,Retail,SE,Nordics,
        a3,Gamma,Mid-Market,Energy,DE,DACH,
    """,
    "partners.csv": """
        partner_id,name,tier,margin_pct
        p1,Channel Co,Gold,0.2
    """,
    "opportunities.csv": """
        opportunity_id,account_id,owner_id,product_line,type,source,stage,is_closed,is_won,amount,currency,probability,created_date,close_date
        o1,a1,r1,Platform,new,inbound,Closed Won,true,true,1000,EUR,,2026-06-15,2026-07-15
        o2,a2,r1,Analytics,expansion,outbound,Closed Won,true,true,10000,DKK,,2026-07-31,2026-08-10
        o3,a3,r2,Platform,new,outbound,Closed Lost,true,false,500,EUR,,2026-08-01,2026-09-05
        o4,a1,r3,Services,new,partner,Closed Won,true,true,100,USD,,2026-07-10,2026-07-20
        o5,a2,r3,Platform,new,inbound,Closed Lost,true,false,700,EUR,,2026-06-01,2026-08-01
        o6,a3,r2,Platform,new,inbound,Proposal,false,false,2000,EUR,,2026-10-01,2026-12-10
        o7,a1,r1,Analytics,expansion,outbound,Negotiation,false,false,,EUR,0.8,2026-09-15,2027-01-15
        o8,a2,r3,Services,new,event,Prospecting,false,false,400,DKK,0.1,2026-11-01,2026-11-30
        o9,a3,r2,Analytics,new,inbound,Closed Won,true,true,2000,EUR,,2026-09-01,2026-10-05
        o10,a1,r1,Platform,new,outbound,Closed Won,true,true,3000,EUR,,2025-11-20,2025-12-20
        o11,a1,r1,Platform,renewal,inbound,Closed Won,true,true,1000,EUR,,2026-05-01,2026-05-10
        o12,a3,r3,Services,new,outbound,Closed Won,true,true,100,EUR,,2026-09-20,2026-09-30
    """,
    "fx_rates.csv": """
        month,currency,rate_to_base
        2026-07-01,DKK,0.134
        2026-09-01,DKK,0.135
        2026-08-01,USD,0.9
    """,
    "leads.csv": """
        lead_id,created_date,source,region,converted_date
        l1,2026-07-02,inbound,Nordics,2026-07-20
        l2,2026-08-15,inbound,DACH,
        l3,2026-09-30,outbound,Nordics,2026-10-03
        l4,2026-10-01,outbound,DACH,
    """,
    "revenue.csv": """
        month,account_id,mrr,currency
        2026-06-01,a1,100,EUR
        2026-07-01,a1,100,EUR
        2026-08-01,a1,110,EUR
        2026-09-01,a1,120,EUR
        2026-10-01,a1,130,EUR
        2026-09-01,a2,500,DKK
        2026-10-01,a2,500,DKK
        2026-06-01,a3,40,EUR
        2026-07-01,a3,40,EUR
        2026-08-01,a3,40,EUR
        2026-09-01,a3,0,EUR
    """,
    "marketing_spend.csv": """
        month,channel,region,amount,currency
        2026-07-01,Paid search,Nordics,300,EUR
        2026-08-01,Events,DACH,200,EUR
        2026-09-01,Content,Nordics,1000,DKK
    """,
    "nps_responses.csv": """
        response_date,account_id,score
        2026-07-03,a1,10
        2026-08-04,a2,9
        2026-09-05,a3,7
        2026-09-06,a1,3
        2026-10-02,a2,10
    """,
    "support_cases.csv": """
        case_id,account_id,opened_at,resolved_at
        c1,a1,2026-07-01T08:00:00Z,2026-07-01T20:00:00Z
        c2,a2,2026-08-01T00:00:00Z,2026-08-03T00:00:00Z
        c3,a3,2026-09-29T10:00:00Z,2026-10-01T10:00:00Z
        c4,a1,2026-11-19T10:00:00Z,
    """,
    "targets.csv": """
        period_start,period_end,amount,currency,rep_id,team,region
        2026-07-01,2026-09-30,2000,EUR,r1,,
        2026-07-01,2026-09-30,1000,EUR,r2,,
        2026-07-01,2026-09-30,500,EUR,r3,,
        2026-07-01,2026-09-30,3000,EUR,,A,
        2026-07-01,2026-09-30,3000,EUR,,,Nordics
        2026-07-01,2026-09-30,4000,EUR,,,
        2026-10-01,2026-12-31,5000,EUR,,,
        2026-10-01,2026-12-31,2000,EUR,r1,,
    """,
}


@pytest.fixture(scope="session")
def small_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_store(tmp_path_factory.mktemp("small"), SMALL, "base_currency: EUR\nas_of: 2026-11-20\n")


@pytest.fixture(scope="session")
def small_engine(small_store_dir: Path) -> Engine:
    """Shared by many tests: nothing may change its store (copy SMALL for that)."""
    return Engine(load_store(small_store_dir))


def run(engine: Engine, metric: str, **plan) -> object:
    """Run a plan as of AS_OF; returns the KpiResult."""
    return engine.run(QueryPlan(metric=metric, **plan), as_of=AS_OF)


def notes(result) -> list[str]:
    """A KpiResult's notes in English words."""
    from bot.core.fmt import note_text
    from bot.metrics.catalog import load_catalog

    return [note_text(n, "en", load_catalog()) for n in result.notes]


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server on 127.0.0.1 for the session (tests/pg.py); its URL. Skipped only when
    PostgreSQL is not installed and CCOBOT_REQUIRE_POSTGRES is not set, as .ci/run sets it."""
    import os

    from tests.pg import postgres_server

    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as exc:
        if os.environ.get("CCOBOT_REQUIRE_POSTGRES"):
            raise
        pytest.skip(str(exc))
