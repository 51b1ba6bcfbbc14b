"""Small CSV stores for the digest's scheduling and delivery tests (content has its own)."""

from __future__ import annotations

from pathlib import Path

ZONES = ("Europe/Copenhagen", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Europe/London")


def people_store(root: Path, managers: list[tuple[str, str]], reps_per_manager: int = 1) -> Path:
    """A store of managers (rep_id, timezone; "" for none) each with reps and a few deals.

    Manager m's Slack id is U<rep_id>; their reps are <rep_id>-r<k>, each with an open deal
    closing in November 2026, its history and a Q4 target, so their managers' digests are
    not quiet and have a chart."""
    root.mkdir(parents=True, exist_ok=True)
    reps = ["rep_id,name,email,slack_user_id,manager_id,team,region,timezone,role,active",
            "x1,Erin Exec,erin@x.example,UX1,,,,Europe/Copenhagen,exec,true"]
    deals = ["opportunity_id,account_id,owner_id,stage,is_closed,is_won,amount,currency,created_date,close_date"]
    history = ["opportunity_id,changed_at,stage,amount,close_date"]
    targets = ["period_start,period_end,amount,currency,rep_id,team,region"]
    for i, (rep, zone) in enumerate(managers):
        reps.append(f"{rep},Manager {rep},{rep}@x.example,U{rep},x1,T{i},Nordics,{zone},manager,true")
        for k in range(reps_per_manager):
            seller = f"{rep}-r{k}"
            reps.append(f"{seller},Rep {seller},{seller}@x.example,U{seller},{rep},T{i},Nordics,{zone},rep,true")
            deal = f"o-{seller}"
            deals.append(f"{deal},a1,{seller},Proposal,false,false,{1000 + i},EUR,2026-09-01,2026-11-27")
            history.append(f"{deal},2026-09-01T10:00:00,Qualification,{1000 + i},2026-11-27")
            history.append(f"{deal},2026-10-15T10:00:00,Proposal,{1000 + i},2026-11-27")
            targets.append(f"2026-10-01,2026-12-31,5000,EUR,{seller},,")
    (root / "reps.csv").write_text("\n".join(reps) + "\n", encoding="utf-8")
    (root / "accounts.csv").write_text("account_id,name,segment,industry,country,region\n"
                                       "a1,Acme,Enterprise,Software,DK,Nordics\n", encoding="utf-8")
    (root / "opportunities.csv").write_text("\n".join(deals) + "\n", encoding="utf-8")
    (root / "opportunity_history.csv").write_text("\n".join(history) + "\n", encoding="utf-8")
    (root / "targets.csv").write_text("\n".join(targets) + "\n", encoding="utf-8")
    (root / "store.yml").write_text("base_currency: EUR\nas_of: 2026-11-20\n", encoding="utf-8")
    return root
