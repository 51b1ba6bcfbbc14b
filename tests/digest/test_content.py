"""The morning digest's content (docs/contracts/digest.md) checked against an independent reference.

`tests/digest/reference.py` computes the digest in plain pandas from the contracts alone; here
`ccobot digest preview --json` is compared with it on the demo store (a manager whose team has
team targets, a manager of managers whose team has none, a rep, an exec; several dates), and
with hand-worked expectations on a small CSV store built below.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SMALL, write_store
from tests.digest import reference

MONEY = ("pipeline", "weighted_pipeline", "bookings_qtd", "target_quarter")
RATIOS = ("attainment", "pace", "coverage")


# ---------------------------------------------------------------------------------------------
# Running the product


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """preview(folder, rep_id, day) -> the parsed JSON of `ccobot digest preview` (cached)."""
    home = tmp_path_factory.mktemp("digest-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("CCOBOT_HOME", str(home))
    mp.delenv("CCOBOT_DATA", raising=False)
    mp.setenv("NO_COLOR", "1")
    cache: dict[tuple, dict] = {}

    def clear():
        try:
            from bot.config import get_settings

            get_settings.cache_clear()
        except Exception:  # noqa: BLE001 - only a cache
            pass

    clear()

    def run(folder: Path, rep_id: str, day: date) -> dict:
        key = (str(folder), rep_id, day)
        if key not in cache:
            res = invoke("digest", "preview", "--for", rep_id, "--as-of", day.isoformat(), "--json",
                         "--data", str(folder))
            assert res.exit_code == 0, f"digest preview --for {rep_id} --as-of {day}: exit {res.exit_code}\n{res.output}"
            cache[key] = json.loads(res.stdout)
        return cache[key]

    yield run
    mp.undo()
    clear()


def invoke(*args: str):
    from typer.testing import CliRunner

    from bot.cli import app

    return CliRunner().invoke(app, list(args))


# ---------------------------------------------------------------------------------------------
# Comparing a product digest with an expected one


def _money_eq(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-6)


def _cents_eq(a, b) -> bool:
    """A listed amount may be shown rounded to cents."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=0.005 + 1e-9)


def _ratio_eq(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-6


def change_key(c: dict) -> tuple:
    kind = c["change"]
    if kind in ("pushed", "pulled"):
        flag = "out_of_quarter" if kind == "pushed" else "into_quarter"
        return (c["opportunity_id"], kind, str(c.get("from"))[:10], str(c.get("to"))[:10], bool(c.get(flag, False)))
    if kind in ("amount_up", "amount_down"):
        return (c["opportunity_id"], kind, round(float(c["from"]), 6), round(float(c["to"]), 6), None)
    return (c["opportunity_id"], kind, None, None, None)


def risk_key(r: dict) -> tuple:
    return (r["opportunity_id"], tuple(sorted(r["reasons"])))


def mismatches(expected: dict, got: dict) -> list[str]:
    """Every difference in the compared fields, as readable lines."""
    out: list[str] = []
    for name in ("scope", "period", "window"):
        if expected[name] != got.get(name):
            out.append(f"{name}: expected {expected[name]!r}, got {got.get(name)!r}")
    fig_e, fig_g = expected["figures"], got.get("figures") or {}
    for name in MONEY + RATIOS:
        eq = _money_eq if name in MONEY else _ratio_eq
        if name not in fig_g or not eq(fig_e[name], fig_g[name]):
            out.append(f"figures.{name}: expected {fig_e[name]!r}, got {fig_g.get(name, '<absent>')!r}")

    ch_e = {change_key(c) for c in expected["changes"]}
    ch_g = {change_key(c) for c in got.get("changes", [])}
    if len(got.get("changes", [])) != len(ch_g):
        out.append(f"changes: {len(got['changes']) - len(ch_g)} duplicate entries")
    for k in sorted(ch_e - ch_g, key=str):
        out.append(f"changes: missing {k}")
    for k in sorted(ch_g - ch_e, key=str):
        out.append(f"changes: unexpected {k}")

    rk_e = {risk_key(r) for r in expected["risks"]}
    rk_g = {risk_key(r) for r in got.get("risks", [])}
    for k in sorted(rk_e - rk_g, key=str):
        out.append(f"risks: missing {k}")
    for k in sorted(rk_g - rk_e, key=str):
        out.append(f"risks: unexpected {k}")

    owners = {c["opportunity_id"]: c["owner_id"] for c in expected["changes"] + expected["risks"]
              + expected["closing_this_week"] if "owner_id" in c}
    for c in got.get("changes", []) + got.get("risks", []) + got.get("closing_this_week", []):
        oid = c.get("opportunity_id")
        if oid in owners and c.get("owner_id") != owners[oid]:
            out.append(f"owner_id of {oid}: expected {owners[oid]!r}, got {c.get('owner_id')!r}")

    out += closing_mismatches(expected["closing_this_week"], got.get("closing_this_week", []))
    return out


def closing_mismatches(expected: list[dict], got: list[dict]) -> list[str]:
    """Same ids in the same order (deals of equal amount may come in either order), same amounts."""
    ids_e, ids_g = [c["opportunity_id"] for c in expected], [c["opportunity_id"] for c in got]
    if len(got) > 10:
        return [f"closing_this_week: {len(got)} entries, at most 10 allowed"]
    if len(ids_e) != len(ids_g):
        return [f"closing_this_week: expected {ids_e}, got {ids_g}"]
    out = []
    amounts = {c["opportunity_id"]: c["amount"] for c in expected}
    for i, (e, g) in enumerate(zip(expected, got)):
        if e["opportunity_id"] == g["opportunity_id"]:
            pass
        elif g["opportunity_id"] in amounts and _money_eq(amounts[g["opportunity_id"]], e["amount"]):
            pass  # a tie in amount: either order is right
        else:
            return [f"closing_this_week: expected {ids_e}, got {ids_g}"]
        if not _cents_eq(g.get("amount"), amounts.get(g["opportunity_id"], e["amount"])):
            out.append(f"closing_this_week[{i}] {g['opportunity_id']}: amount expected "
                       f"{amounts.get(g['opportunity_id'])!r}, got {g.get('amount')!r}")
    return out


def assert_same(expected: dict, got: dict, what: str) -> None:
    diff = mismatches(expected, got)
    assert not diff, f"{what}:\n  " + "\n  ".join(diff)


# ---------------------------------------------------------------------------------------------
# The demo store


DEMO_AS_OF = date(2026, 11, 20)
DEMO_DATES = [
    date(2026, 11, 20),  # Friday: window Thursday 2026-11-19 only
    date(2026, 11, 16),  # Monday: window Friday 2026-11-13 ... Sunday 2026-11-15
    date(2026, 10, 1),   # Thursday, first day of Q4: window 2026-09-30 (in Q3); pace 1/92
    date(2026, 9, 30),   # Wednesday, last day of Q3: pace 1.0; pushes to 2026-10-xx leave the quarter
]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    from bot.metrics import demo

    out = tmp_path_factory.mktemp("digest-demo")
    demo.write_demo(out, seed=11, deals=12_000, as_of=DEMO_AS_OF)
    return out


@pytest.fixture(scope="module")
def demo_ref(demo_dir) -> reference.Store:
    return reference.load(demo_dir)


@pytest.fixture(scope="module")
def demo_people(demo_ref) -> dict[str, str]:
    """Who to preview, chosen by rule from the reps table (no hard-coded ids)."""
    reps = demo_ref.reps.sort_values("rep_id")
    managers_of = set(reps["manager_id"].dropna())
    role = dict(zip(reps["rep_id"], reps["role"]))
    team_rows = set(demo_ref.targets["team"].dropna())
    managers = [r for r in reps.itertuples() if r.role == "manager" and r.rep_id in managers_of]
    # A manager of managers (the team is two levels deep) ...
    deep = next(m.rep_id for m in managers
                if any(role[x] == "manager" for x in reps.loc[reps["manager_id"] == m.rep_id, "rep_id"]))
    # ... and, of the managers whose team has rows of its own in the targets table, the one with
    # the most direct reports (the first such by rep_id on a tie).
    direct = reps.groupby("manager_id").size()
    with_team_target = max((m for m in managers if m.team in team_rows),
                           key=lambda m: (direct.get(m.rep_id, 0), [-ord(ch) for ch in m.rep_id])).rep_id
    deals = demo_ref.deals
    open_by_owner = deals[~deals["is_closed"]].groupby("owner_id").size()
    active_reps = reps[(reps["role"] == "rep") & reps["active"].map(lambda v: str(v).lower() in ("true", "1"))]
    rep = max(active_reps["rep_id"], key=lambda r: (open_by_owner.get(r, 0), r))
    execs = reps.loc[reps["role"] == "exec", "rep_id"]
    return {"manager_of_managers": deep, "manager_with_team_target": with_team_target, "rep": rep,
            "exec": execs.iloc[0]}


def test_demo_people_are_as_the_rules_say(demo_ref, demo_people):
    reps = demo_ref.reps.set_index("rep_id")
    assert reps.loc[demo_people["rep"], "role"] == "rep"
    assert reps.loc[demo_people["exec"], "role"] == "exec"
    for who in ("manager_of_managers", "manager_with_team_target"):
        assert reps.loc[demo_people[who], "role"] == "manager"
        assert (reps["manager_id"] == demo_people[who]).any()
    assert demo_people["manager_of_managers"] != demo_people["manager_with_team_target"]
    # The store's quarters are calendar quarters.
    assert demo_ref.fy_start == 1


@pytest.mark.parametrize("who", ["manager_of_managers", "manager_with_team_target", "rep", "exec"])
@pytest.mark.parametrize("day", DEMO_DATES, ids=str)
def test_demo_digest_matches_reference(demo_dir, demo_ref, demo_people, preview, who, day):
    rep_id = demo_people[who]
    expected = reference.digest(demo_ref, rep_id, day)
    got = preview(demo_dir, rep_id, day)
    assert_same(expected, got, f"demo store, {who} {rep_id}, {day}")


def test_demo_reference_is_not_trivial(demo_ref, demo_people):
    """The demo dates exercise what they should: changes of many kinds, risks, a full week list."""
    kinds: set[str] = set()
    flags = set()
    for day in DEMO_DATES[:2]:
        d = reference.digest(demo_ref, demo_people["exec"], day)
        kinds |= {c["change"] for c in d["changes"]}
        flags |= {c["change"] for c in d["changes"] if c.get("out_of_quarter") or c.get("into_quarter")}
        assert d["risks"] and d["closing_this_week"]
    assert {"new", "won", "lost", "stage_forward"} <= kinds
    for who in ("manager_of_managers", "manager_with_team_target", "rep"):
        d = reference.digest(demo_ref, demo_people[who], DEMO_AS_OF)
        assert d["figures"]["pipeline"] > 0 and d["figures"]["target_quarter"] is not None
    boundary = reference.digest(demo_ref, demo_people["exec"], date(2026, 10, 1))
    assert boundary["period"] == {"start": "2026-10-01", "end": "2026-12-31"}
    assert boundary["window"] == {"start": "2026-09-30", "end": "2026-09-30"}
    assert boundary["figures"]["pace"] == pytest.approx(1 / 92)
    last = reference.digest(demo_ref, demo_people["exec"], date(2026, 9, 30))
    assert last["figures"]["pace"] == pytest.approx(1.0)


def test_a_message_holds_the_first_risks_and_counts_them_all(demo_dir, demo_ref, demo_people):
    """Built for a message (entries=SHOWN), a digest holds the first risks, largest amount first, and
    counts every one, in all and per reason, muted deals left out of both; for several recipients
    built together, each muting other deals. Expected: the reference's risks, ordered by its own base
    amounts (missing last, ties in file order)."""
    from datetime import timedelta

    from bot.digest.content import DigestBuilder
    from bot.digest.model import Recipient
    from bot.digest.render import SHOWN
    from bot.metrics.deals import RISKS
    from bot.metrics.engine import Engine
    from bot.metrics.store import load_store

    deals = demo_ref.deals.reset_index(drop=True)
    base = demo_ref.base_amounts(deals)
    rank = {oid: (math.inf if math.isnan(a) else -a, i)
            for i, (oid, a) in enumerate(zip(deals["opportunity_id"], base))}
    expected, recipients = {}, []
    for n, rep_id in enumerate(demo_people.values()):
        risks = sorted(reference.digest(demo_ref, rep_id, DEMO_AS_OF)["risks"], key=lambda r: rank[r["opportunity_id"]])
        muted = frozenset(r["opportunity_id"] for r in [*risks[:n], *risks[SHOWN + n:SHOWN + n + 1]])
        expected[rep_id] = [r for r in risks if r["opportunity_id"] not in muted]
        recipients.append(Recipient(rep_id, DEMO_AS_OF, DEMO_AS_OF - timedelta(days=1), muted=muted))
    got = DigestBuilder(Engine(load_store(demo_dir, with_history=True)), entries=SHOWN).build(recipients)
    for r, digest in zip(recipients, got):
        want = expected[r.rep_id]
        assert len(want) > SHOWN + 2
        assert [(e["opportunity_id"], sorted(e["reasons"])) for e in digest.risks] == \
            [(e["opportunity_id"], e["reasons"]) for e in want[:SHOWN]], r.rep_id
        assert digest.risk_counts == {"all": len(want), **{k: sum(k in e["reasons"] for e in want) for k in RISKS}}


def test_unknown_id_exits_2_with_a_message(demo_dir, preview):
    res = invoke("digest", "preview", "--for", "r-9999-nobody", "--as-of", "2026-11-20", "--json",
                 "--data", str(demo_dir))
    assert res.exit_code == 2, res.output
    assert "r-9999-nobody" in res.output or "unknown" in res.output.lower() or "not found" in res.output.lower(), \
        res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("who", ["manager_with_team_target", "rep", "exec"])
def test_text_is_a_non_empty_string(demo_dir, demo_people, preview, who):
    got = preview(demo_dir, demo_people[who], DEMO_AS_OF)
    assert isinstance(got.get("text"), str) and got["text"].strip()
    assert got["for"] == demo_people[who] and got["date"] == DEMO_AS_OF.isoformat()
    assert got["currency"] == "EUR"


# ---------------------------------------------------------------------------------------------
# A small hand-worked store: the SMALL company of tests/conftest.py plus the deals h01 ... h28
# and their history. Everything below is worked out by hand for D = 2026-11-16 (Monday).
#
#   D = 2026-11-16. Quarter Q4 2026 = 2026-10-01 ... 2026-12-31 (92 days; D is day 47).
#   Window (previous weekday to D - 1) = Fri 2026-11-13 00:00Z ... Sun 2026-11-15 23:59:59Z.
#   Stalled range: rows dated D - 30 ... D - 1 = 2026-10-17 ... 2026-11-15.
#   early_stage_closing range: D ... D + 13 = 2026-11-16 ... 2026-11-29.
#   Week containing D: Mon 2026-11-16 ... Sun 2026-11-22.
#   Manager m1 (team A): scope m1, r1, r2.  Rep r1: scope r1.  r3 belongs to m2 (team B).
#
# DKK rates: 2026-07 0.134, 2026-09 0.135 (SMALL), added 2026-11 0.130 and 2026-12 0.140.
# Stage default probabilities (catalog): Prospecting .1, Qualification .2, Discovery .2,
# Proposal .5, Negotiation .7, Commit .9.

HAND_DAY = date(2026, 11, 16)

HAND_DEALS = """
    h01,a1,r1,Platform,new,inbound,Qualification,false,false,6000,EUR,,2026-11-14,2026-12-20
    h02,a1,r1,Platform,new,inbound,Closed Won,true,true,3200,EUR,,2026-10-01,2026-11-13
    h03,a2,r2,Platform,new,inbound,Closed Lost,true,false,4000,EUR,,2026-09-20,2026-11-14
    h04,a1,r1,Platform,new,inbound,Proposal,false,false,8000,EUR,,2026-10-05,2026-12-15
    h05,a2,r2,Platform,new,inbound,Proposal,false,false,9000,EUR,,2026-10-10,2026-12-05
    h06,a1,r1,Platform,new,inbound,Proposal,false,false,7000,EUR,,2026-10-20,2027-01-15
    h07,a2,r2,Platform,new,inbound,Negotiation,false,false,6000,EUR,,2026-10-15,2026-12-18
    h08,a1,r1,Platform,new,inbound,Proposal,false,false,9900,DKK,,2026-08-01,2026-12-15
    h09,a2,r2,Platform,new,inbound,Proposal,false,false,20500,DKK,,2026-10-01,2026-11-25
    h10,a1,r1,Platform,new,inbound,Proposal,false,false,2000,EUR,,2026-10-01,2026-12-20
    h11,a2,r2,Platform,new,inbound,Qualification,false,false,5000,EUR,,2026-10-20,2026-12-30
    h12,a1,r1,Platform,new,inbound,Qualification,false,false,2500,EUR,,2026-10-25,2026-12-29
    h13,a1,r1,Platform,new,inbound,Negotiation,false,false,12000,EUR,,2026-09-01,2026-11-10
    h14,a2,r2,Platform,new,inbound,Proposal,false,false,3000,EUR,,2026-10-01,2026-12-22
    h15,a2,r2,Platform,new,inbound,Proposal,false,false,3500,EUR,,2026-10-01,2026-12-23
    h16,a1,r1,Platform,new,inbound,Proposal,false,false,1500,EUR,,2026-10-18,2026-12-12
    h17,a1,r1,Platform,new,inbound,Prospecting,false,false,2000,EUR,0.6,2026-11-01,2026-11-29
    h18,a2,r2,Platform,new,inbound,Qualification,false,false,2500,EUR,,2026-11-01,2026-11-30
    h19,a2,r2,Platform,new,inbound,Discovery,false,false,,EUR,,2026-11-05,2026-12-03
    h20,a1,r1,Platform,new,inbound,Qualification,false,false,3500,EUR,,2026-11-01,
    h21,a3,r3,Platform,new,inbound,Prospecting,false,false,1000,EUR,,2026-11-14,2026-12-20
    h22,a1,m1,Platform,new,inbound,Commit,false,false,15000,EUR,,2026-10-01,2026-12-21
    h23,a2,r2,Platform,new,inbound,Proposal,false,false,5000,EUR,,2026-10-01,2026-12-10
    h24,a1,r1,Platform,new,inbound,Negotiation,false,false,30000,DKK,,2026-10-01,2026-11-20
    h25,a2,r2,Platform,new,inbound,Proposal,false,false,3000,EUR,,2026-10-01,2026-11-18
    h26,a1,r1,Platform,new,inbound,Proposal,false,false,4000,EUR,,2026-10-01,2026-11-22
    h27,a2,r2,Platform,new,inbound,Proposal,false,false,10000,EUR,,2026-10-01,2026-11-23
    h28,a2,r2,Platform,new,inbound,Proposal,false,false,1000,EUR,,2026-10-17,2026-12-14
"""

# Each deal's history (the state after each change). The last row of every deal agrees with
# its row in opportunities. SMALL's deals o1 ... o12 have no history rows.
HAND_HISTORY = """
    opportunity_id,changed_at,stage,amount,close_date
    h01,2026-11-14T09:00:00Z,Prospecting,5000,2026-12-20
    h01,2026-11-15T10:00:00Z,Qualification,6000,2026-12-20
    h02,2026-10-01T08:00:00Z,Proposal,3000,2026-11-30
    h02,2026-11-13T15:00:00Z,Closed Won,3200,2026-11-13
    h03,2026-09-20T08:00:00Z,Negotiation,4000,2026-11-20
    h03,2026-11-14T12:00:00Z,Closed Lost,4000,2026-11-14
    h04,2026-10-05T08:00:00Z,Qualification,8000,2026-12-15
    h04,2026-11-13T00:00:00Z,Proposal,8000,2026-12-15
    h05,2026-10-10T08:00:00Z,Negotiation,9000,2026-12-05
    h05,2026-11-15T23:59:59Z,Proposal,9000,2026-12-05
    h06,2026-10-20T08:00:00Z,Proposal,7000,2026-12-28
    h06,2026-11-14T09:00:00Z,Proposal,7000,2027-01-15
    h07,2026-10-15T08:00:00Z,Negotiation,6000,2027-02-10
    h07,2026-11-13T10:00:00Z,Negotiation,6000,2026-12-18
    h08,2026-08-01T08:00:00Z,Proposal,10000,2026-09-15
    h08,2026-11-14T11:00:00Z,Proposal,9900,2026-12-15
    h09,2026-10-01T08:00:00Z,Proposal,20000,2026-12-10
    h09,2026-11-15T08:00:00Z,Proposal,20500,2026-11-25
    h10,2026-10-01T08:00:00Z,Prospecting,1000,2026-12-01
    h10,2026-11-12T23:59:59Z,Qualification,1500,2026-12-10
    h10,2026-11-16T00:00:00Z,Proposal,2000,2026-12-20
    h11,2026-10-20T08:00:00Z,Qualification,5000,
    h11,2026-11-14T08:00:00Z,Qualification,5000,2026-12-30
    h12,2026-10-25T08:00:00Z,Qualification,,2026-12-29
    h12,2026-11-13T08:00:00Z,Qualification,2500,2026-12-29
    h13,2026-09-01T08:00:00Z,Proposal,12000,2026-11-10
    h13,2026-11-02T08:00:00Z,Negotiation,12000,2026-11-10
    h14,2026-10-01T08:00:00Z,Qualification,3000,2026-12-22
    h14,2026-10-16T23:00:00Z,Proposal,3000,2026-12-22
    h15,2026-10-01T08:00:00Z,Qualification,3500,2026-12-23
    h15,2026-10-17T00:30:00Z,Proposal,3500,2026-12-23
    h17,2026-11-01T08:00:00Z,Prospecting,2000,2026-11-29
    h18,2026-11-01T08:00:00Z,Qualification,2500,2026-11-30
    h19,2026-11-05T08:00:00Z,Discovery,,2026-12-03
    h20,2026-11-01T08:00:00Z,Qualification,3500,2026-12-31
    h20,2026-11-14T08:00:00Z,Qualification,3500,
    h21,2026-11-14T08:00:00Z,Prospecting,1000,2026-12-20
    h22,2026-10-01T08:00:00Z,Negotiation,15000,2026-12-21
    h22,2026-11-13T12:00:00Z,Commit,15000,2026-12-21
    h23,2026-10-01T08:00:00Z,Proposal,5000,2026-12-10
    h23,2026-11-13T09:00:00Z,Proposal,6000,2026-12-10
    h23,2026-11-14T09:00:00Z,Proposal,5000,2026-12-10
    h24,2026-11-02T08:00:00Z,Negotiation,30000,2026-11-20
    h25,2026-11-02T08:00:00Z,Proposal,3000,2026-11-18
    h26,2026-11-02T08:00:00Z,Proposal,4000,2026-11-22
    h27,2026-11-02T08:00:00Z,Proposal,10000,2026-11-23
"""

# ---- Changes, window 2026-11-13 ... 2026-11-15 ---------------------------------------------
# h01  rows only from 11-14 (none before the window): new, and only new (its stage and amount
#      also moved inside the window).
# h02  Proposal at the start, Closed Won at the end: won, and only won (its amount 3000 -> 3200
#      and close date 11-30 -> 11-13 moved too).
# h03  Negotiation -> Closed Lost: lost only.
# h04  Qualification (.2) -> Proposal (.5), row at 11-13T00:00:00Z is the window's first
#      instant: stage_forward.
# h05  Negotiation (.7) -> Proposal (.5), row at 11-15T23:59:59Z is the window's last second:
#      stage_back.
# h06  close 2026-12-28 -> 2027-01-15, crosses 2026-12-31: pushed, out_of_quarter true.
# h07  close 2027-02-10 -> 2026-12-18, crosses 2026-12-31 inwards: pulled, into_quarter true.
# h08  DKK. close 2026-09-15 -> 2026-12-15: pushed, stays in the quarter (out_of_quarter
#      false). amount 10000 -> 9900 DKK: amount_down. Converted it would go UP
#      (10000 x 0.135 Sept = 1350 EUR -> 9900 x 0.140 Dec = 1386 EUR): comparing base
#      amounts would wrongly say amount_up.
# h09  DKK. amount 20000 -> 20500 DKK: amount_up (converted it goes DOWN: 20000 x 0.140 Dec =
#      2800 -> 20500 x 0.130 Nov = 2665). close 2026-12-10 -> 2026-11-25: pulled, into_quarter
#      false (both in Q4).
# h10  rows at 11-12T23:59:59Z (before) and 11-16T00:00:00Z (on D, after): no row in the
#      window, so no change although its state differs between those two rows.
# h11  close date empty -> 2026-12-30: appears, no pushed/pulled; nothing else moved: no entry.
# h12  amount empty -> 2500: appears, no amount change: no entry.
# h20  close date 2026-12-31 -> empty: disappears, no entry.
# h23  5000 -> 6000 -> 5000 inside the window: start and end equal, no entry.
# h21  new, but owned by r3 (team B): out of m1's and r1's scope.
# h22  m1's own deal, Negotiation (.7) -> Commit (.9): stage_forward (m1 only).
# Every other deal has no row in the window (or no history at all): no entry.
HAND_CHANGES = {
    "m1": [
        {"opportunity_id": "h01", "change": "new"},
        {"opportunity_id": "h02", "change": "won"},
        {"opportunity_id": "h03", "change": "lost"},
        {"opportunity_id": "h04", "change": "stage_forward"},
        {"opportunity_id": "h05", "change": "stage_back"},
        {"opportunity_id": "h06", "change": "pushed", "from": "2026-12-28", "to": "2027-01-15", "out_of_quarter": True},
        {"opportunity_id": "h07", "change": "pulled", "from": "2027-02-10", "to": "2026-12-18", "into_quarter": True},
        {"opportunity_id": "h08", "change": "pushed", "from": "2026-09-15", "to": "2026-12-15", "out_of_quarter": False},
        {"opportunity_id": "h08", "change": "amount_down", "from": 10000.0, "to": 9900.0},
        {"opportunity_id": "h09", "change": "amount_up", "from": 20000.0, "to": 20500.0},
        {"opportunity_id": "h09", "change": "pulled", "from": "2026-12-10", "to": "2026-11-25", "into_quarter": False},
        {"opportunity_id": "h22", "change": "stage_forward"},
    ],
}
HAND_CHANGES["r1"] = [c for c in HAND_CHANGES["m1"] if c["opportunity_id"] in {"h01", "h02", "h04", "h06", "h08"}]

# ---- Risks: open deals as opportunities stands ----------------------------------------------
# o6   r2, no history at all, created 2026-10-01 (46 days before D): stalled.
# o7   r1, no history, created 2026-09-15: stalled; no amount: missing_amount.
# h13  close 2026-11-10 < D: overdue (row 11-02 is recent: not stalled).
# h14  last row 2026-10-16T23:00Z, one day before the stalled range: stalled.
# h15  last row 2026-10-17T00:30Z, first day of the range: not stalled.
# h16  no history, created 2026-10-18 (29 days): not stalled.
# h28  no history, created 2026-10-17 (exactly 30 days): stalled.
# h17  Prospecting (.1), close 2026-11-29 = D + 13: early_stage_closing, although the row's own
#      probability is 0.6 (the rule uses the stage's default probability).
# h18  Qualification (.2), close 2026-11-30 = D + 14: outside, no risk.
# h09  Proposal (.5), close 2026-11-25: not early stage, no risk.
# h19  no amount: missing_amount.
# h20  no close date: missing_close_date.
# h10  table stage Proposal; rows 11-12 and 11-16 (the 11-12 row is in range): no risk.
# h21  (r3) and o8 (r3): outside both scopes. Closed deals (h02, h03, o1 ...) are never risks.
# All other open deals in scope have a row in the range, a close date on or after D, an
# amount, and are not early stage within 14 days: no risk.
HAND_RISKS = {
    "m1": {("o6", ("stalled",)), ("o7", ("missing_amount", "stalled")), ("h13", ("overdue",)),
           ("h14", ("stalled",)), ("h28", ("stalled",)), ("h17", ("early_stage_closing",)),
           ("h19", ("missing_amount",)), ("h20", ("missing_close_date",))},
    "r1": {("o7", ("missing_amount", "stalled")), ("h13", ("overdue",)), ("h17", ("early_stage_closing",)),
           ("h20", ("missing_close_date",))},
}

# ---- Closing this week (2026-11-16 ... 2026-11-22), base-currency amount, largest first ------
# h26 r1 4000 EUR (11-22); h24 r1 30000 DKK x 0.130 (Nov) = 3900 EUR (11-20) -- first if
# compared in DKK; h25 r2 3000 EUR (11-18). h27 closes 11-23 (next week); h13 is overdue
# (11-10); h02 closed 11-13 (closed); o8 (r3, 11-30) is out of scope and next week anyway.
HAND_CLOSING = {
    "m1": [("h26", 4000.0), ("h24", 3900.0), ("h25", 3000.0)],
    "r1": [("h26", 4000.0), ("h24", 3900.0)],
}

# ---- Figures --------------------------------------------------------------------------------
# r1, open deals with close_date in Q4 (base amount; weight = probability else stage default):
#   h01 6000 x .2 = 1200 | h04 8000 x .5 = 4000 | h08 9900 DKK x .140 = 1386 x .5 = 693
#   h10 2000 x .5 = 1000 | h12 2500 x .2 = 500  | h13 12000 x .7 = 8400 | h16 1500 x .5 = 750
#   h17 2000 x .6 (own probability) = 1200 | h24 30000 DKK x .130 = 3900 x .7 = 2730
#   h26 4000 x .5 = 2000. (o7 and h06 close in 2027; h20 has no close date.)
#   pipeline 43286, weighted 22473.
#   bookings_qtd: won with close 2026-10-01 ... 11-16: h02 3200. target: r1's Q4 row 2000.
#   attainment 3200 / 2000 = 1.6; coverage: 2000 - 3200 <= 0, so null. pace 47 / 92.
# r2 in Q4: o6 2000 (.5 -> 1000), h05 9000 (.5 -> 4500), h07 6000 (.7 -> 4200),
#   h09 20500 DKK x .130 = 2665 (.5 -> 1332.5), h11 5000 (.2 -> 1000), h14 3000 (.5 -> 1500),
#   h15 3500 (.5 -> 1750), h18 2500 (.2 -> 500), h19 no amount, h23 5000 (.5 -> 2500),
#   h25 3000 (.5 -> 1500), h27 10000 (.5 -> 5000), h28 1000 (.5 -> 500):
#   pipeline 52665, weighted 25282.5. Won in Q4 to D: o9 2000 (2026-10-05).
# m1 own: h22 15000 (Commit .9 -> 13500).
# m1 (team A) = r1 + r2 + m1: pipeline 43286 + 52665 + 15000 = 110951;
#   weighted 22473 + 25282.5 + 13500 = 61255.5; bookings 3200 + 2000 = 5200;
#   target: team A has team rows, so its Q4 team row: 6000 (not r1's 2000);
#   attainment 5200 / 6000; coverage 110951 / (6000 - 5200) = 138.68875.
# r2 alone: no Q4 target row: target, attainment and coverage are null.
HAND_FIGURES = {
    "m1": {"pipeline": 110951.0, "weighted_pipeline": 61255.5, "bookings_qtd": 5200.0, "target_quarter": 6000.0,
           "attainment": 5200 / 6000, "pace": 47 / 92, "coverage": 110951 / 800},
    "r1": {"pipeline": 43286.0, "weighted_pipeline": 22473.0, "bookings_qtd": 3200.0, "target_quarter": 2000.0,
           "attainment": 1.6, "pace": 47 / 92, "coverage": None},
    "r2": {"pipeline": 52665.0, "weighted_pipeline": 25282.5, "bookings_qtd": 2000.0, "target_quarter": None,
           "attainment": None, "pace": 47 / 92, "coverage": None},
}
HAND_SCOPE = {"m1": "team", "r1": "own", "r2": "own"}


def hand_expected(who: str) -> dict:
    owners = {line.split(",")[0].strip(): line.split(",")[2] for line in HAND_DEALS.strip().splitlines()}
    owners |= {"o6": "r2", "o7": "r1"}
    return {
        "scope": HAND_SCOPE[who],
        "period": {"start": "2026-10-01", "end": "2026-12-31"},
        "window": {"start": "2026-11-13", "end": "2026-11-15"},
        "figures": HAND_FIGURES[who],
        "changes": [{**c, "owner_id": owners[c["opportunity_id"]]} for c in HAND_CHANGES.get(who, [])],
        "risks": [{"opportunity_id": o, "owner_id": owners[o], "reasons": list(r)} for o, r in HAND_RISKS.get(who, ())],
        "closing_this_week": [{"opportunity_id": o, "owner_id": owners[o], "amount": a}
                              for o, a in HAND_CLOSING.get(who, [])],
    }


@pytest.fixture(scope="module")
def hand_dir(tmp_path_factory) -> Path:
    tables = dict(SMALL)
    tables["opportunities.csv"] = SMALL["opportunities.csv"].rstrip() + "\n" + "\n".join(
        "        " + line.strip() for line in HAND_DEALS.strip().splitlines()) + "\n"
    tables["fx_rates.csv"] = SMALL["fx_rates.csv"].rstrip() + "\n        2026-11-01,DKK,0.130\n        2026-12-01,DKK,0.140\n"
    tables["targets.csv"] = SMALL["targets.csv"].rstrip() + "\n        2026-10-01,2026-12-31,6000,EUR,,A,\n"
    tables["opportunity_history.csv"] = HAND_HISTORY
    return write_store(tmp_path_factory.mktemp("digest-hand"), tables, "base_currency: EUR\nas_of: 2026-11-20\n")


def test_hand_store_is_consistent(hand_dir):
    """Each deal's last history row agrees with its row in opportunities."""
    deals = pd.read_csv(hand_dir / "opportunities.csv", dtype=str).set_index("opportunity_id")
    hist = pd.read_csv(hand_dir / "opportunity_history.csv", dtype=str)
    assert len(deals) == 12 + 28
    for oid, rows in hist.groupby("opportunity_id"):
        last = rows.iloc[-1]
        for col in ("stage", "amount", "close_date"):
            a, b = deals.loc[oid, col], last[col]
            assert (pd.isna(a) and pd.isna(b)) or str(a) == str(b), (oid, col, a, b)


@pytest.mark.parametrize("who", ["m1", "r1", "r2"])
def test_reference_agrees_with_hand_worked_digest(hand_dir, who):
    """The reference alone (no product) against the hand-worked expectations above."""
    got = reference.digest(hand_dir, who, HAND_DAY)
    expected = hand_expected(who)
    if who == "r2":  # only the figures of r2 are worked out by hand
        for name in MONEY + RATIOS:
            eq = _money_eq if name in MONEY else _ratio_eq
            assert eq(got["figures"][name], expected["figures"][name]), (name, got["figures"][name])
        return
    assert_same(expected, got, f"reference, hand store, {who}, {HAND_DAY}")


@pytest.mark.parametrize("who", ["m1", "r1"])
def test_hand_store_digest(hand_dir, preview, who):
    assert_same(hand_expected(who), preview(hand_dir, who, HAND_DAY), f"hand store, {who}, {HAND_DAY}")


def test_hand_store_figures_without_target(hand_dir, preview):
    got = preview(hand_dir, "r2", HAND_DAY)
    assert got["scope"] == "own"
    for name in MONEY + RATIOS:
        eq = _money_eq if name in MONEY else _ratio_eq
        assert eq(HAND_FIGURES["r2"][name], got["figures"].get(name)), \
            f"r2 figures.{name}: expected {HAND_FIGURES['r2'][name]!r}, got {got['figures'].get(name)!r}"


@pytest.mark.parametrize("who", ["x1", "m0", "m2", "r2", "r3"])
@pytest.mark.parametrize("day", [HAND_DAY, date(2026, 11, 20), date(2026, 10, 1)], ids=str)
def test_hand_store_matches_reference(hand_dir, preview, who, day):
    """Everyone else on the hand store, on more dates, against the reference."""
    assert_same(reference.digest(hand_dir, who, day), preview(hand_dir, who, day), f"hand store, {who}, {day}")
