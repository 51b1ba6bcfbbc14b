"""Deal lists and digests over the warehouse (issue 15, item 5) answer as the file store does.

On the 3,000-deal demo store loaded into DuckDB (embedded) and into the real PostgreSQL the suite
starts (tests/pg.py), a table of deal lists (DealQuery values: every status, each risk and several
together, every order both ways, filters on every kind of dimension, periods on close and created
dates, upcoming, amount bounds, limits), asked as an exec, a manager and a rep, must give the result
the file store's pandas engine gives: rows (names, owners, amounts in the base currency, reasons),
total, notes, period and filters. So must deal-list questions asked through the assistant, every
manager's digest of a fixed day (its figures to 1e-9, as KPIs are compared, and all else exactly,
rendered text too), and a digest's deal buttons. The file store is the independent computation here:
the warehouse reaches it through SQL (bot/metrics/warehouse_deals.py).
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from bot.access import identify
from bot.core.assistant import Assistant
from bot.digest.content import DigestBuilder
from bot.digest.deal import deal_row
from bot.digest.model import Recipient
from bot.digest.render import SHOWN, digest_text
from bot.metrics import warehouse_deals
from bot.metrics.deals import RISKS, DealQuery, DealResult
from bot.metrics.demo import write_demo
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.metrics.warehouse import WarehouseEngine, load_into
from tests.conftest import AS_OF
from tests.warehouse.test_equal import _pg_database

pytestmark = [pytest.mark.filterwarnings("ignore:.*fetch_arrow_table:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.*infer_string.*")]

DEALS = 3000


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wh_deals_demo")
    write_demo(out, deals=DEALS, as_of=AS_OF)
    for name in ("opportunities", "opportunity_history"):  # a file order that is neither the ids' nor the dates'
        path = out / f"{name}.parquet"
        pd.read_parquet(path).sample(frac=1.0, random_state=15).to_parquet(path, index=False)
    return out


@pytest.fixture(scope="module")
def files(demo_dir) -> Engine:
    return Engine(load_store(demo_dir, with_history=True))


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def wh(request, demo_dir, tmp_path_factory) -> WarehouseEngine:
    if request.param == "duckdb":
        url = f"duckdb://{tmp_path_factory.mktemp('wh_deals') / 'warehouse.duckdb'}"
    else:
        url = _pg_database(request.getfixturevalue("pg_server"))
    written = load_into(url, demo_dir)
    assert written["opportunity_history"] > DEALS  # the history is in the warehouse too
    return WarehouseEngine(url)


@pytest.fixture(scope="module")
def askers(files) -> dict[str, str]:
    """An exec, a manager with a team that owns deals, and a rep who owns deals."""
    reps = files.store.tables["reps"]
    reps = reps[reps["active"]]
    owners = set(files.store.deals["owner_id"].astype(str))
    managers = reps[(reps["role"] == "manager") & reps["rep_id"].isin(reps["manager_id"].dropna())]
    sellers = reps[(reps["role"] == "rep") & reps["rep_id"].astype(str).isin(owners)]
    return {"exec": str(reps[reps["role"] == "exec"]["rep_id"].iloc[0]),
            "manager": str(managers["rep_id"].iloc[-1]), "rep": str(sellers["rep_id"].iloc[0])}


# ---------------------------------------------------------------- the table of deal lists

def queries(store) -> list[DealQuery]:
    """≥ 40 deal lists over the demo store's own values (a region, segment, stage … that exist)."""
    first = lambda table, col: store.values(table, col)[0]  # noqa: E731
    region, segment, stage = first("reps", "region"), first("accounts", "segment"), "Negotiation"
    q = DealQuery
    return [
        # every status, default order (amount, largest first)
        q(), q(status="won"), q(status="lost"), q(status="closed"), q(status="any"),
        # each risk, several at once, with orders and statuses
        *(q(risks=[r]) for r in ("overdue", "stalled", "early_stage_closing", "missing_amount",
                                 "missing_close_date")),
        q(risks=["overdue", "stalled"], limit=50), q(risks=["stalled", "missing_amount"], order_by="close_date"),
        q(risks=["early_stage_closing", "missing_close_date"], order_by="age", desc=False),
        q(risks=["stalled"], order_by="last_change", limit=25), q(risks=["overdue"], status="any"),
        q(risks=["stalled"], stalled_days=60), q(risks=["stalled", "overdue"], stalled_days=7, order_by="last_change"),
        # every order, both ways (missing values last either way)
        q(desc=False), q(order_by="close_date"), q(order_by="close_date", desc=False),
        q(order_by="age"), q(order_by="age", desc=False), q(order_by="last_change"),
        q(order_by="last_change", desc=False), q(status="any", order_by="close_date", limit=200),
        # filters on the owner's, the account's and the deal's own dimensions
        q(filters={"region": [region]}), q(filters={"segment": [segment]}, status="won"),
        q(filters={"stage": [stage]}, order_by="close_date", desc=False),
        q(filters={"product_line": [first("opportunities", "product_line")]}, status="any", limit=30),
        q(filters={"type": [first("opportunities", "type")], "source": [first("opportunities", "source")]}),
        q(filters={"country": [first("accounts", "country")], "industry": [first("accounts", "industry")]},
          status="any"),
        q(filters={"team": [first("reps", "team")]}, risks=["stalled"]),
        q(filters={"owner": [str(store.deals["owner_id"].iloc[0])]}, status="any", order_by="age"),
        q(filters={"account": [str(store.deals["account_id"].dropna().iloc[0])]}, status="any"),
        # periods on the close date and the created date, upcoming
        q(period="this quarter"), q(period="this month", limit=1), q(status="won", period="last quarter"),
        q(status="lost", period="this year", order_by="close_date"), q(period="next quarter", order_by="close_date"),
        q(status="any", period="last month", date_field="created", order_by="age"),
        q(status="won", period="2026-07-01..2026-09-30", filters={"region": [region]}),
        q(upcoming=True, order_by="close_date", desc=False, limit=1), q(upcoming=True, risks=["early_stage_closing"]),
        # amount bounds (converted to the base currency; deals without an amount never match)
        q(amount_min=100_000), q(amount_max=20_000, order_by="amount", desc=False),
        q(status="any", amount_min=30_000, amount_max=60_000, order_by="close_date", limit=1000),
        q(status="won", period="this year", amount_min=50_000, filters={"segment": [segment]}),
        q(amount_min=50_000, risks=["overdue", "stalled", "early_stage_closing"], limit=100),
    ]


def _scope(engine: Engine, rep_id: str) -> frozenset[str] | None:
    return identify(engine.store, rep_id).deal_level()


def test_deal_lists_equal(files, wh, askers):
    table = queries(files.store)
    assert len(table) >= 40
    unequal, empty = [], 0
    for who, rep_id in askers.items():
        for query in table:
            expected = files.deals(query, as_of=AS_OF, scope=_scope(files, rep_id))
            got = wh.deals(query, as_of=AS_OF, scope=_scope(wh, rep_id))
            empty += not expected.rows
            if got != expected or got.amount != pytest.approx(expected.amount, abs=0.011):
                unequal.append((who, query, _diff(expected, got)))
    asked = len(table) * len(askers)
    print(f"\n{wh.url}: {len(table)} deal lists × {len(askers)} askers: {asked - len(unequal)} equal, {empty} empty")
    assert not unequal, "\n".join(f"{who} {q.model_dump(exclude_defaults=True)}: {d}" for who, q, d in unequal[:5])
    assert empty < asked / 4  # the table lists deals, not mostly nothing


def _diff(a: DealResult, b: DealResult) -> str:
    for name in ("total", "amount", "notes", "period", "filters", "currency", "as_of"):
        if getattr(a, name) != getattr(b, name):
            return f"{name}: file {getattr(a, name)} warehouse {getattr(b, name)}"
    rows = [(x, y) for x, y in zip(a.rows, b.rows) if x != y]
    return f"rows: {len(a.rows)} vs {len(b.rows)}; first unequal: {rows[:1]}"


def test_a_short_list_fetches_only_the_rows_shown(files, wh, monkeypatch):
    """Any list: risk reasons, ORDER BY (the last change too), LIMIT and COUNT run in the warehouse,
    and no more deals than shown come back (with at most two history rows each for their reasons and
    last change), however many match."""
    fetched = []
    execute = warehouse_deals._execute

    def spy(engine, expr):
        got = execute(engine, expr)
        fetched.append(len(got) if hasattr(got, "__len__") else 1)
        return got

    monkeypatch.setattr(warehouse_deals, "_execute", spy)
    for order in ("amount", "close_date", "age"):
        fetched.clear()
        result = wh.deals(DealQuery(status="any", order_by=order, limit=5), as_of=AS_OF)
        assert result.total == DEALS and len(result.rows) == 5
        assert max(fetched) <= 5, fetched
    for query in (DealQuery(risks=["stalled"], limit=5), DealQuery(order_by="last_change", limit=5),
                  DealQuery(status="any", risks=["overdue", "missing_amount", "early_stage_closing"], limit=5,
                            order_by="last_change", desc=False)):
        fetched.clear()
        result = wh.deals(query, as_of=AS_OF)
        expected = files.deals(query, as_of=AS_OF)
        assert result == expected and expected.total > 50 and len(result.rows) == 5
        assert max(fetched) <= 2 * 5, (query, fetched)


ASKED = ["my open deals", "which of my deals are stuck?", "my biggest deal closing this month",
         "next deal to close", "open deals over 100k", "which deals are overdue", "deals won last quarter",
         "deals lost this year", "oldest open deals", "my deals closing next quarter"]


def test_deal_questions_equal(files, wh, askers):
    """The same through the assistant: the parser's query, scope by the asker, the answer's text."""
    file_bot, wh_bot = Assistant(files), Assistant(wh)
    kinds = []
    for who, rep_id in askers.items():
        for question in ASKED:
            expected = file_bot.ask(question, user=rep_id, as_of=AS_OF)
            got = wh_bot.ask(question, user=rep_id, as_of=AS_OF)
            kinds.append(expected.kind)
            assert _answer(got) == _answer(expected), f"{who}: {question}"
    assert kinds.count("deals") >= 0.8 * len(kinds)


def _answer(answer) -> dict:  # noqa: ANN001 (an Answer)
    """The answer but how long it took."""
    return {k: v for k, v in asdict(answer).items() if k != "elapsed_ms"}


# ---------------------------------------------------------------- digests

def _recipients(files: Engine, day: date, start: date) -> list[Recipient]:
    """Every manager of the demo store, its exec, and a rep."""
    reps = files.store.tables["reps"]
    people = [*reps[reps["role"] == "manager"]["rep_id"], *reps[reps["role"] == "exec"]["rep_id"],
              reps[reps["role"] == "rep"]["rep_id"].iloc[0]]
    return [Recipient(str(p), day, start) for p in people]


@pytest.mark.parametrize("day,start", [(AS_OF, AS_OF - timedelta(days=1)),  # a Friday's window: Thursday
                                       (date(2026, 11, 16), date(2026, 11, 13)),  # Monday's: Friday to Sunday
                                       (AS_OF, date(2026, 10, 1))])  # a long window: many changes
def test_digests_equal(files, wh, day, start):
    recipients = _recipients(files, day, start)
    expected = DigestBuilder(files).build(recipients)
    got = DigestBuilder(wh).build(recipients)
    for e, g in zip(expected, got):
        assert _same_figures(e.figures, g.figures), (e.rep_id, e.figures, g.figures)
        assert replace(g, figures=e.figures) == e, e.rep_id
        fiscal = files.store.fiscal_year_start_month
        assert digest_text(g, fiscal) == digest_text(e, fiscal)
    assert len(recipients) >= 8
    assert sum(len(d.changes) for d in expected) > 0 and sum(len(d.risks) for d in expected) > 0
    assert sum(len(d.closing_this_week) for d in expected) > 0


def test_message_digests_fetch_only_each_owners_first_risks(files, wh):
    """Built for messages, warehouse digests equal the file store's, recipients muting deals among their
    first risks; the slice holds each owner's first risks and deals closing this week, not every open
    deal, and the risky deals are counted per owner in SQL as the full digests count them."""
    day, start = AS_OF, AS_OF - timedelta(days=1)
    full = DigestBuilder(files).build(_recipients(files, day, start))
    recipients = [Recipient(d.rep_id, day, start, muted=frozenset(e["opportunity_id"] for e in d.risks[:i % 3]))
                  for i, d in enumerate(full)]
    expected = DigestBuilder(files, entries=SHOWN).build(recipients)
    got = DigestBuilder(wh, entries=SHOWN).build(recipients)
    for e, g in zip(expected, got):
        assert replace(g, figures=e.figures) == e, e.rep_id
        assert digest_text(g) == digest_text(e)
    assert sum(bool(r.muted) for r in recipients) >= 4 and any(d.risk_total > SHOWN for d in expected)
    picked = warehouse_deals.digest_deals(wh, day, [start], None, per_owner=2)
    company = next(d for d in full if d.scope == "company")
    owners = files.store.deals["owner_id"].nunique()
    changed = {e["opportunity_id"] for e in company.changes}
    assert len(picked.store.deals) <= len(changed) + 2 * 2 * owners < (~files.store.deals["is_closed"]).sum() / 2
    firsts = pd.DataFrame(company.risks).groupby("owner_id", sort=False).head(2)["opportunity_id"]  # largest first
    assert len(firsts) < len(company.risks) and set(firsts) <= set(picked.store.deals["opportunity_id"])
    tally = pd.DataFrame([{"owner_id": e["owner_id"], "all": 1, **{r: int(r in e["reasons"]) for r in RISKS}}
                          for e in company.risks]).groupby("owner_id").sum()
    assert picked.risk_tally.sort_index().loc[:, tally.columns].equals(tally.sort_index())


def _same_figures(a: dict, b: dict) -> bool:
    """Figures are sums over many deals: equal to 1e-9, as test_equal.py compares KPIs."""
    return a.keys() == b.keys() and all(
        (a[k] is None and b[k] is None) or (a[k] is not None and b[k] is not None
                                            and math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-9)) for k in a)


def test_a_digests_deal_buttons_read_one_deal(files, wh):
    ids = [*files.store.deals["opportunity_id"].astype(str).iloc[::300]]
    assert [deal_row(wh, i) for i in ids] == [deal_row(files, i) for i in ids]
    assert deal_row(wh, "no-such-deal") is None


def test_deals_are_read_from_a_warehouse_only_as_a_slice(wh):
    """Digests read a slice of the warehouse's deals; asking the store for every deal at once is refused."""
    from bot.errors import PlanError

    with pytest.raises(PlanError):
        wh.store.deals  # noqa: B018 (the property is the test)
    assert isinstance(warehouse_deals.digest_deals(wh, AS_OF, [AS_OF], None).store, warehouse_deals.DealSlice)
