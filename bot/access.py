"""Who is asking, and what they may see (contracts/access.md).

Scope is applied to rows before aggregation: the engine receives the owner ids the asker
may see for owner-level questions, and a question outside that scope is denied with a
plain reason, never answered with a silently narrowed number.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bot.errors import UserError
from bot.metrics.plan import QueryPlan
from bot.metrics.store import MetricsStore

SEE_ALL = ("admin", "exec")


class Denied(UserError):
    """The asker may not see this; `reason` is a message code (bot.core.i18n) with params."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class Identity:
    user: str | None  # as given: a rep_id, an email or a Slack member id; None = the command line's admin
    rep_id: str | None
    name: str | None
    role: str  # admin, exec, manager, rep, or none (matched to no rep)
    team: str | None = None
    reports: frozenset[str] = frozenset()  # everyone below in the manager tree

    @property
    def matched(self) -> bool:
        return self.role != "none"

    @property
    def sees_all(self) -> bool:
        return self.role in SEE_ALL

    def deal_level(self) -> frozenset[str] | None:
        """Owners whose own numbers and deals this person may see (None: everyone)."""
        if self.sees_all:
            return None
        return frozenset({self.rep_id} | self.reports) if self.rep_id else frozenset()

    def owner_rows(self) -> frozenset[str] | None:
        """Owners shown in a breakdown by rep: managers see their reports, reps their own row."""
        if self.sees_all:
            return None
        if self.role == "manager":
            return self.reports
        return frozenset({self.rep_id}) if self.rep_id else frozenset()


ADMIN = Identity(user=None, rep_id=None, name=None, role="admin")


def identify(store: MetricsStore, user: str | None) -> Identity:
    """Match a chat or CLI user to a rep: Slack member id, then rep_id, then email."""
    if user is None:
        return ADMIN
    wanted = str(user).strip()
    index = rep_index(store)
    pos = next((index[k] for k in (("slack", wanted), ("rep", wanted), ("email", wanted.casefold())) if k in index),
               None)
    if pos is None or not wanted:
        return Identity(user=user, rep_id=None, name=None, role="none")
    row = store.tables["reps"].iloc[pos]
    rep_id = str(row["rep_id"])
    role = str(row["role"]) if pd.notna(row["role"]) else "rep"
    return Identity(user=user, rep_id=rep_id, name=str(row["name"]), role=role,
                    team=str(row["team"]) if pd.notna(row["team"]) else None,
                    reports=frozenset(reports_of(store, rep_id)))


def rep_index(store: MetricsStore) -> dict[tuple[str, str], int]:
    """(kind, key) → row of the reps table, for Slack ids, rep ids and emails (casefolded); made
    once per store, since every question and every channel member is looked up here."""
    def make() -> dict[tuple[str, str], int]:
        reps = store.tables.get("reps")
        if reps is None:
            return {}
        out: dict[tuple[str, str], int] = {}
        for kind, column in (("slack", "slack_user_id"), ("rep", "rep_id"), ("email", "email")):
            for pos, value in enumerate(reps[column].astype("string")):
                if isinstance(value, str) and value:
                    out.setdefault((kind, value.casefold() if kind == "email" else value), pos)
        return out

    return store.cached("rep_index", make)


def reports_of(store: MetricsStore, rep_id: str) -> set[str]:
    """Everyone below rep_id in the manager tree (manager_id followed transitively)."""
    children = store.cached("manager_tree", lambda: _tree(store))
    out: set[str] = set()
    todo = [rep_id]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out and child != rep_id:
                out.add(child)
                todo.append(child)
    return out


def _tree(store: MetricsStore) -> dict[str, list[str]]:
    reps = store.tables["reps"]
    tree: dict[str, list[str]] = {}
    for rep, manager in zip(reps["rep_id"].astype(str), reps["manager_id"].astype("string")):
        if isinstance(manager, str):
            tree.setdefault(manager, []).append(rep)
    return tree


def my_team(store: MetricsStore, who: Identity) -> list[str]:
    """'My team': the asker and everyone below them; without reports, the reps sharing their team."""
    if who.reports:
        return sorted({who.rep_id} | who.reports)
    reps = store.tables["reps"]
    if who.team is None:
        return [who.rep_id]
    return sorted(reps.loc[reps["team"].astype("string") == who.team, "rep_id"].astype(str))


def team_scope(store: MetricsStore, who: Identity, by_name: bool = False) -> dict[str, list[str]]:
    """Someone's team as filters: a manager and everyone below them (owners), or a rep's team. Asked
    for by name ("Erik Hansen's team"), it is their team by name when that is all of them: an
    aggregate any role may see, where a list of people is deal-level."""
    everyone = my_team(store, who)
    if who.reports and by_name and who.team:
        reps = store.tables["reps"]
        named = set(reps.loc[reps["team"].astype("string") == who.team, "rep_id"].astype(str))
        if set(everyone) <= named:
            return {"team": [who.team]}
    if who.reports or not who.team:
        return {"owner": everyone}
    return {"team": [who.team]}


def org_rows(store: MetricsStore, rep_ids: list[str]) -> list[dict]:
    """Who these people are, for an answer about the org (names, roles and teams are no figures:
    access.md lets anyone see them): rep_id, name, role, team and email, in the order given."""
    reps = store.tables.get("reps")
    if reps is None:
        return []
    index = rep_index(store)
    rows = []
    for rep in rep_ids:
        pos = index.get(("rep", rep))
        if pos is not None:
            row = reps.iloc[pos]
            rows.append({k: (str(row[k]) if k in reps.columns and pd.notna(row[k]) else None)
                         for k in ("rep_id", "name", "role", "team", "email")})
    return rows


def manager_of(store: MetricsStore, rep_id: str) -> str | None:
    reps = store.tables["reps"]
    row = reps.loc[reps["rep_id"].astype(str) == rep_id, "manager_id"]
    return str(row.iloc[0]) if len(row) and pd.notna(row.iloc[0]) else None


def team_people(store: MetricsStore, team: str) -> tuple[list[str], list[str]]:
    """A team's managers (role manager) and its other active people, by the reps table's team."""
    reps = store.tables["reps"]
    active = reps["active"].fillna(True).astype(bool) if "active" in reps.columns else True
    on = reps[(reps["team"].astype("string") == team).fillna(False) & active]
    managers = on["role"].astype("string") == "manager"
    return list(on.loc[managers, "rep_id"].astype(str)), list(on.loc[~managers, "rep_id"].astype(str))


def direct_reports(store: MetricsStore, rep_id: str) -> list[str]:
    return list(_tree(store).get(rep_id, []))


@dataclass(frozen=True)
class Grant:
    """What the engine may compute for this asker: the plan and the owner scope to apply first."""

    plan: QueryPlan
    scope: frozenset[str] | None
    narrowed: str | None = None  # "your_reports" / "your_row" when a breakdown by rep was limited


def authorise(plan: QueryPlan, who: Identity) -> Grant:
    """Apply contracts/access.md to a plan, or raise Denied with the reason."""
    if not who.matched:
        raise Denied("denied_unmatched")
    if who.sees_all:
        return Grant(plan, None)
    allowed = who.deal_level()
    asked = plan.filters.get("owner", [])
    outside = [o for o in asked if o not in allowed]
    if outside:
        raise Denied("denied_owner", owners=tuple(outside), reports=bool(who.reports))
    if "owner" in plan.group_by:
        rows = who.owner_rows()
        if asked:
            rows = frozenset(rows & set(asked)) if who.role != "manager" else frozenset(set(asked) & (rows | {who.rep_id}))
        if not rows:
            raise Denied("denied_breakdown")
        return Grant(plan, rows, "your_reports" if who.role == "manager" else "your_row")
    return Grant(plan, frozenset(asked) if asked else None)


def authorise_deals(owners: list[str], who: Identity) -> tuple[frozenset[str] | None, str | None]:
    """Lists of deals are deal-level rows (contracts/access.md): the owners whose deals the list may
    hold, and how the answer should say it was narrowed (None: not narrowed). Naming someone
    outside that is denied, never silently narrowed."""
    if not who.matched:
        raise Denied("denied_unmatched")
    if who.sees_all:
        return (frozenset(owners) if owners else None), None
    allowed = who.deal_level()
    outside = [o for o in owners if o not in allowed]
    if outside:
        raise Denied("denied_owner", owners=tuple(outside), reports=bool(who.reports))
    if owners:
        return frozenset(owners), None
    return allowed, "scope_own_and_reports" if who.reports else "scope_own"
