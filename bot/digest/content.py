"""What each digest holds (contracts/digest.md), for every recipient of a tick together.

The store is read once per local date, not once per recipient: the engine computes each
figure grouped by owner, changes, risks and closing deals are worked out for every deal and
indexed by owner, and each recipient's digest is then summed or gathered over the owners in
their access scope. Figures come from the engine's KPIs and the deal rows and risk reasons
from the deal-list code, so a digest and an answer to "my pipeline this quarter" agree. Over a
warehouse the deal sections read the same code over a slice: the deals and history rows the
day's digests need, fetched through SQL (bot/metrics/warehouse_deals.py, digest_deals).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
import pandas as pd

from bot.access import Identity, identify
from bot.errors import PlanError
from bot.digest.model import CHANGE_KINDS, Digest, Recipient
from bot.digest.render import SHOWN
from bot.metrics.context import day_seconds, store_array
from bot.metrics.deals import NO_DATE, deal_rows, history_deal, risk_flags
from bot.metrics.engine import Engine
from bot.metrics.loader import LOST_STAGE_RE, WON_STAGE_RE
from bot.metrics.periods import Calendar, Period
from bot.metrics.plan import QueryPlan
from bot.metrics.store import MetricsStore
from bot.metrics.warehouse_deals import digest_deals

if TYPE_CHECKING:
    from bot.digest.subscriptions import Subscription
    from bot.llm.narrate import Narrator

log = logging.getLogger("ccobot.digest")
CLOSING_SHOWN = 10
# Highlights (CCOBOT_NARRATE): the model is asked for a tick's digests a few at a time, and no
# longer than this in all, so claims (5 minutes' lease) are sent well within their lease; digests
# left when the time is up go without highlights.
NARRATE_SECONDS = 45.0
NARRATE_AT_ONCE = 4
OPEN, WON, LOST = 0, 1, 2
ADDITIVE = {"pipeline": "pipeline", "weighted_pipeline": "weighted_pipeline", "bookings_qtd": "revenue"}


def todays_digest(engine: Engine, narrator: Narrator | None, sub: Subscription, lang: str, zone: tzinfo) -> Digest:
    """The digest `sub`'s person would get today (the store's as_of, else today in `zone`), muted
    deals left out, built as the scheduler builds it: every face's preview."""
    day = engine.store.config.as_of or datetime.now(zone).date()
    recipient = Recipient(sub.rep_id, day, sub.previous_due_day(day), lang, muted=frozenset(sub.muted))
    return DigestBuilder(engine, narrator, entries=SHOWN).build([recipient])[0]


def scope_kind(who: Identity) -> str:
    return "company" if who.sees_all else "team" if who.reports else "own"


class DigestBuilder:
    """Builds digests for many recipients over one engine's store."""

    def __init__(self, engine: Engine, narrator: "Narrator | None" = None,
                 narrate_seconds: float = NARRATE_SECONDS, entries: int | None = None) -> None:
        self.engine = engine
        self.narrator = narrator  # "three things to know today", when CCOBOT_NARRATE is on
        self.narrate_seconds = narrate_seconds
        # Risk entries each digest holds (None: every one, as the preview's JSON lists them). A message
        # shows a few and counts the rest, and a warehouse then sends only each owner's first few.
        self.entries = entries

    def build(self, recipients: Iterable[Recipient]) -> list[Digest]:
        """One Digest per recipient, in order. Recipients who match no rep raise KeyError."""
        recipients = list(recipients)
        store = self.engine.store
        people = {r.rep_id: identify(store, r.rep_id) for r in recipients}
        missing = [r for r, who in people.items() if not who.matched]
        if missing:
            raise KeyError(", ".join(missing))
        out: dict[int, Digest] = {}
        by_day: dict[date, list[int]] = defaultdict(list)
        for i, r in enumerate(recipients):
            by_day[r.date].append(i)
        for day, members in by_day.items():
            day_parts = _Day(self.engine, day, [recipients[i] for i in members],
                             _owners(people[recipients[i].rep_id] for i in members), self.entries)
            windows: dict[date, _Entries] = {}
            day_parts.prefetch([people[recipients[i].rep_id] for i in members], [recipients[i] for i in members])
            for i in members:
                r = recipients[i]
                if r.window_start not in windows:
                    windows[r.window_start] = day_parts.changes(r.window_start)
                out[i] = day_parts.digest(r, people[r.rep_id], windows[r.window_start])
        digests = [out[i] for i in range(len(recipients))]
        if self.narrator is not None:
            self._highlights(digests)
        return digests

    def _highlights(self, digests: list[Digest]) -> None:
        """Each digest's three things to know, from its own figures and counts (one model call a
        recipient: acceptable only because narration is opt-in). A quiet digest needs none; a
        failure, or the tick's narration time running out, leaves the highlights empty."""
        deadline = time.monotonic() + self.narrate_seconds
        fiscal = self.engine.store.fiscal_year_start_month

        def one(d: Digest) -> None:
            left = deadline - time.monotonic()
            if d.quiet or left < 1.0:
                return
            try:
                from bot.llm.narrate import DIGEST_BUDGET

                d.highlights = self.narrator.three_things(d, fiscal, budget=min(DIGEST_BUDGET, left)) or []
            except Exception:  # noqa: BLE001 (highlights are an extra: the digest goes out without them)
                log.warning("digest highlights failed", exc_info=True)

        with ThreadPoolExecutor(NARRATE_AT_ONCE, thread_name_prefix="narrate") as pool:
            list(pool.map(one, digests))


@dataclass
class _Entries:
    """Deal entries in one order for everyone, indexed by owner so a scope gathers them cheaply. The
    rows are made when first picked (`make`: the rows at these indices), for all recipients at once
    (`prefetch`): a company's risks are many, its messages show a few of them."""

    ids: list[str]
    by_owner: dict[str, list[int]]
    make: Callable[[list[int]], list[dict]]
    rows: dict[int, dict] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: list[dict]) -> "_Entries":
        out = cls.lazy([e["opportunity_id"] for e in entries], [e["owner_id"] for e in entries], None)
        out.rows = dict(enumerate(entries))
        return out

    @classmethod
    def lazy(cls, ids: list[str], owners: list[str | None], make: Callable | None) -> "_Entries":
        by_owner: dict[str, list[int]] = defaultdict(list)
        for i, owner in enumerate(owners):
            by_owner[owner].append(i)
        return cls(ids, by_owner, make)

    def within(self, owners: frozenset[str] | None, muted: frozenset[str], limit: int | None = None) -> list[dict]:
        """The entries of these owners (None: all), muted deals left out, in the common order."""
        picked = self._pick(owners, muted, limit)
        self.prefetch([picked])
        return [self.rows[i] for i in picked]

    def prefetch(self, picks: Iterable[list[int]]) -> None:
        missing = sorted({i for pick in picks for i in pick} - self.rows.keys())
        if missing:
            self.rows.update(zip(missing, self.make(missing)))

    def _pick(self, owners: frozenset[str] | None, muted: frozenset[str], limit: int | None) -> list[int]:
        if owners is None:
            picked: Iterable[int] = range(len(self.ids))
        else:  # each owner's first `limit` beyond the muted are enough to fill the list
            picked = sorted(i for o in owners for i in self.by_owner.get(o, ())[:(limit + len(muted)) if limit else None])
        out = [i for i in picked if not muted or self.ids[i] not in muted]
        return out[:limit] if limit else out


def _owners(people: Iterable[Identity]) -> frozenset[str] | None:
    """The owners whose deals any of these people see at deal level (None: everyone's)."""
    out: set[str] = set()
    for who in people:
        owners = who.deal_level()
        if owners is None:
            return None
        out |= owners
    return frozenset(out)


class _Day:
    """Everything of one local date D that does not depend on the recipient. Figures and targets come
    from the engine; the deal sections from `self.deals`, a store holding at least the deals they read
    (the file store itself, or a warehouse's slice: digest_deals). With `entries`, each owner's first
    few risks are enough for any recipient's first `entries`, and the rest are only counted."""

    def __init__(self, engine: Engine, day: date, recipients: list[Recipient], owners: frozenset[str] | None,
                 entries: int | None) -> None:
        self.engine, self.store, self.day, self.entries = engine, engine.store, day, entries
        muted = frozenset().union(*(r.muted for r in recipients))
        keep = None if entries is None else max(entries, CLOSING_SHOWN) + len(muted)
        picked = digest_deals(engine, day, {r.window_start for r in recipients}, owners, keep, muted)
        self.deals = picked.store
        cal = Calendar(day, self.store.fiscal_year_start_month)
        start = cal.unit_start(day, "quarter")
        self.quarter: Period = cal.unit(start, "quarter", "this quarter", forward=True)
        self.figures = self._figures()
        self.targets = self._targets()
        open_pos = np.flatnonzero(~store_array(self.deals, "opportunities", "is_closed"))
        flags = risk_flags(self.deals, self.engine.catalog, open_pos, self.day)
        risky = np.flatnonzero(np.logical_or.reduce(list(flags.values())))
        flags = {reason: hit[risky] for reason, hit in flags.items()}  # over the risky deals, open_pos[risky]
        self.tally = _tally(self.deals, open_pos[risky], flags) if picked.risk_tally is None else picked.risk_tally
        self.muted_risks = _muted_risks(self.deals, open_pos[risky], flags, muted)
        self.risks = self._risks(open_pos[risky], flags, keep)
        self.closing = self._closing(open_pos)

    # ------------------------------------------------------------ per recipient

    def digest(self, r: Recipient, who: Identity, changes: _Entries) -> Digest:
        owners = who.deal_level()
        figures = {name: self._sum(name, owners) for name in ADDITIVE}
        target = self._target(who, owners)
        booked, pipeline = figures["bookings_qtd"], figures["pipeline"]
        left = None if target is None else target - booked
        q = self.quarter
        figures.update(
            target_quarter=target,
            attainment=booked / target if target else None,
            pace=round(((self.day - q.start).days + 1) / ((q.nominal_end - q.start).days + 1), 6),
            coverage=pipeline / left if left is not None and left > 0 else None)
        return Digest(rep_id=who.rep_id or r.rep_id, name=who.name or r.rep_id, date=self.day, lang=r.lang,
                      scope=scope_kind(who), currency=self.store.base_currency, period=(q.start, q.nominal_end),
                      window=(r.window_start, self.day - timedelta(days=1)), figures=figures,
                      changes=changes.within(owners, r.muted),
                      risks=self.risks.within(owners, r.muted, self.entries),
                      risk_counts=self._risk_counts(owners, r.muted),
                      closing_this_week=self.closing.within(owners, r.muted, CLOSING_SHOWN), late=r.late)

    def prefetch(self, people: list[Identity], recipients: list[Recipient]) -> None:
        """Makes the risk rows all these digests show in one go (one lookup of names, not one each)."""
        for entries, limit in ((self.risks, self.entries), (self.closing, CLOSING_SHOWN)):
            entries.prefetch(entries._pick(who.deal_level(), r.muted, limit) for who, r in zip(people, recipients))

    def _risk_counts(self, owners: frozenset[str] | None, muted: frozenset[str]) -> dict[str, int]:
        """The scope's risky deals, in all and per reason, muted deals left out."""
        tally = self.tally if owners is None else self.tally[self.tally.index.isin(list(owners))]
        counts = {"all": 0, **{k: int(v) for k, v in tally.sum().items()}}
        for deal in muted & self.muted_risks.keys():
            owner, reasons = self.muted_risks[deal]
            if owners is None or owner in owners:
                for k in ("all", *reasons):
                    counts[k] -= 1
        return counts

    def _sum(self, name: str, owners: frozenset[str] | None) -> float:
        total, per_owner = self.figures[name]
        if owners is None:
            return total
        return float(sum(per_owner.get(o, 0.0) for o in owners))

    def _target(self, who: Identity, owners: frozenset[str] | None) -> float | None:
        """digest.md: a rep their own rows; a manager their team's row when the targets table has
        one, else the sum of their reps' rows; everyone else the company-wide rows."""
        if self.targets is None:
            return None
        company, by_team, by_owner = self.targets
        if owners is None:
            return company
        if who.reports and who.team is not None and who.team in by_team:
            return by_team[who.team]
        rows = [by_owner[o] for o in owners if o in by_owner]
        return float(sum(rows)) if rows else None

    # ------------------------------------------------------------ once per day

    def _run(self, metric: str, period: Period, by: list[str]):
        plan = QueryPlan(metric=metric, period=f"{period.start.isoformat()}..{period.nominal_end.isoformat()}",
                         group_by=by)
        return self.engine.run(plan, as_of=self.day)

    def _figures(self) -> dict[str, tuple[float, dict[str, float]]]:
        """Each additive figure for the whole company and per owner: one pass each."""
        q = self.quarter
        to_date = Period(q.start, self.day, "quarter to date", "range", self.day)
        out = {}
        for name, metric in ADDITIVE.items():
            period = to_date if name == "bookings_qtd" else q
            total = self._run(metric, period, []).value or 0.0
            rows = self._run(metric, period, ["owner"]).rows
            out[name] = (total, {r["owner"]: r["value"] or 0.0 for r in rows if r["owner"] is not None})
        return out

    def _targets(self) -> tuple[float | None, dict[str, float], dict[str, float]] | None:
        """Targets within the quarter: company-wide, per team (team rows), per rep (rep rows)."""
        if not self.store.has("targets"):
            return None
        try:
            company = self._run("quota", self.quarter, [])
            teams = self._run("quota", self.quarter, ["team"]).rows
            owners = self._run("quota", self.quarter, ["owner"]).rows
        except PlanError:
            return None
        t = self.store.tables["targets"]
        start, end = pd.Timestamp(self.quarter.start), pd.Timestamp(self.quarter.nominal_end)
        level = t["rep_id"].isna() & t["team"].isna() & t["region"].isna()
        has_company = bool((level & (t["period_start"] >= start) & (t["period_end"] <= end)).any())
        return ((company.value if has_company else None),
                {r["team"]: r["value"] for r in teams if r["team"] is not None and r["value"] is not None},
                {r["owner"]: r["value"] for r in owners if r["owner"] is not None and r["value"] is not None})

    def _risks(self, pos: np.ndarray, flags: dict[str, np.ndarray], keep: int | None) -> _Entries:
        """The risky deals at `pos` (their reasons: `flags`), largest amount first; with `keep`, only
        each owner's first `keep`."""
        pick = _amount_order(self.deals, pos)
        if keep is not None:
            pick = pick[_first_of_owner(store_array(self.deals, "opportunities", "owner_id")[pos[pick]], keep)]
        return self._lazy(pos[pick], {reason: hit[pick] for reason, hit in flags.items()})

    def _lazy(self, pos: np.ndarray, flags: dict[str, np.ndarray]) -> _Entries:
        """The deals at `pos` as entries whose rows are made when picked (with reasons when `flags` has any)."""
        deals = self.deals.tables["opportunities"]
        ids = deals["opportunity_id"].iloc[pos].astype(str).tolist()
        owners = [None if pd.isna(o) else str(o) for o in deals["owner_id"].iloc[pos]]

        def make(at: list[int]) -> list[dict]:
            return deal_rows(self.deals, self.engine.catalog, pos[at], self.day, with_reasons=bool(flags),
                             flags={reason: hit[at] for reason, hit in flags.items()})

        return _Entries.lazy(ids, owners, make)

    def _closing(self, open_pos: np.ndarray) -> _Entries:
        """Open deals closing Monday to Sunday of D's week, largest amount first."""
        monday = self.day - timedelta(days=self.day.weekday())
        close = store_array(self.deals, "opportunities", "close_date")[open_pos]
        week = (close >= day_seconds(monday)) & (close < day_seconds(monday + timedelta(days=7)))
        return self._lazy(_by_amount(self.deals, open_pos[week]), {})

    def changes(self, first: date) -> _Entries:
        """What changed from the window's first day to D − 1 (whole UTC days), deal by deal."""
        return _Entries.of(deal_changes(self.deals, self.engine.catalog, first, self.day - timedelta(days=1),
                                        self.quarter.nominal_end))


def _first_of_owner(owner: np.ndarray, n: int) -> np.ndarray:
    """Whether each entry is among the first `n` of its owner (owner codes, in the entries' order)."""
    order = np.argsort(owner, kind="stable")
    grouped = owner[order]
    first = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])  # where each owner's run starts
    rank = np.empty(len(owner), dtype=np.int64)
    rank[order] = np.arange(len(owner)) - np.repeat(first, np.diff(np.r_[first, len(owner)]))
    return rank < n


def _tally(store: MetricsStore, pos: np.ndarray, flags: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per owner (digest_deals' risk_tally): the risky deals at `pos`, and those with each reason."""
    owner = store.tables["opportunities"]["owner_id"].to_numpy()[pos]
    frame = pd.DataFrame({"all": 1, **{r: hit.astype(np.int64) for r, hit in flags.items()}},
                         index=pd.Index(owner, name="owner_id"))
    return frame.groupby(level=0, dropna=False).sum()


def _muted_risks(store: MetricsStore, pos: np.ndarray, flags: dict[str, np.ndarray],
                 muted: frozenset[str]) -> dict[str, tuple[str, list[str]]]:
    """The muted deals among the risky ones at `pos`: their owner and reasons, to take off the counts."""
    if not muted:
        return {}
    deals = store.tables["opportunities"]
    out = {}
    for i in np.flatnonzero(deals["opportunity_id"].iloc[pos].isin(muted).to_numpy()):
        row = deals.iloc[pos[i]]
        out[str(row["opportunity_id"])] = (row["owner_id"], [r for r, hit in flags.items() if hit[i]])
    return out


def _by_amount(store: MetricsStore, pos: np.ndarray) -> np.ndarray:
    """Positions sorted by amount, largest first, deals without an amount last (ties: store order)."""
    return pos[_amount_order(store, pos)]


def _amount_order(store: MetricsStore, pos: np.ndarray) -> np.ndarray:
    amount = store_array(store, "opportunities", "amount")[pos]
    return np.lexsort((pos, np.where(np.isnan(amount), np.inf, -amount)))


# ---------------------------------------------------------------- changes

def deal_changes(store: MetricsStore, catalog, first: date, last: date, quarter_end: date) -> list[dict]:
    """One entry per kind of change per deal (digest.md, Changes), in CHANGE_KINDS order and
    largest amount first within a kind."""
    hist = _sorted_history(store)
    if hist is None or last < first:
        return []
    deal, at = hist["deal"], hist["at"]
    lo, hi = day_seconds(first), day_seconds(last + timedelta(days=1))
    end_rows = _last_per_deal(deal, (deal >= 0) & (at >= lo) & (at < hi))
    if not len(end_rows):
        return []
    start_of = np.full(len(store.deals), -1, dtype=np.int64)
    before = _last_per_deal(deal, (deal >= 0) & (at < lo))
    start_of[deal[before]] = before
    pos, s = deal[end_rows], start_of[deal[end_rows]]
    kinds = _kinds(store, catalog, hist, s, end_rows, day_seconds(quarter_end + timedelta(days=1)))
    rows = deal_rows(store, catalog, pos, last, with_reasons=False)
    entries: list[tuple[int, float, int, dict]] = []
    for i, row in enumerate(rows):
        for kind in CHANGE_KINDS:
            if kinds[kind][i]:
                entry = _entry(row, kind, hist, int(s[i]), int(end_rows[i]), store, quarter_end)
                amount = row["amount"] if row["amount"] is not None else -1.0
                entries.append((CHANGE_KINDS.index(kind), -amount, int(pos[i]), entry))
    entries.sort(key=lambda e: e[:3])
    return [e[3] for e in entries]


def _kinds(store: MetricsStore, catalog, hist: dict, s: np.ndarray, e: np.ndarray,
           after_quarter: int) -> dict[str, np.ndarray]:
    outcome, prob = _stage_tables(store, catalog, hist["stage_names"])
    existed = s >= 0
    s0 = np.where(existed, s, 0)
    st0, st1 = hist["stage"][s0], hist["stage"][e]
    out0 = np.where(existed & (st0 >= 0), outcome[st0], OPEN)
    out1 = np.where(st1 >= 0, outcome[st1], OPEN)
    new = ~existed
    closed_now = existed & (out0 == OPEN) & (out1 != OPEN)
    rest = existed & ~closed_now
    p0, p1 = prob[st0], prob[st1]
    moved = rest & (out0 == OPEN) & (out1 == OPEN) & (st0 != st1) & (st0 >= 0) & (st1 >= 0)
    c0, c1 = hist["close"][s0], hist["close"][e]
    both_dates = rest & (c0 != NO_DATE) & (c1 != NO_DATE)
    a0, a1 = hist["amount_local"][s0], hist["amount_local"][e]
    both_amounts = rest & ~np.isnan(a0) & ~np.isnan(a1)
    return {
        "new": new, "won": closed_now & (out1 == WON), "lost": closed_now & (out1 == LOST),
        "stage_forward": moved & (p1 > p0), "stage_back": moved & (p1 < p0),
        "pushed": both_dates & (c1 > c0), "pulled": both_dates & (c1 < c0),
        "amount_up": both_amounts & (a1 > a0), "amount_down": both_amounts & (a1 < a0),
    }


def _entry(row: dict, kind: str, hist: dict, s: int, e: int, store: MetricsStore, quarter_end: date) -> dict:
    entry = {"opportunity_id": row["opportunity_id"], "owner_id": row["owner_id"], "change": kind,
             "name": row["name"], "account": row["account"], "owner": row["owner"]}
    names = hist["stage_names"]
    if kind in ("new", "won", "lost"):  # the deal's figures at the end of the window
        amount = hist["amount"][e]
        entry.update(amount=None if np.isnan(amount) else round(float(amount), 2), currency=store.base_currency,
                     close_date=_iso(hist["close"][e]), stage=names[hist["stage"][e]] if hist["stage"][e] >= 0 else None)
    elif kind.startswith("stage"):
        entry.update({"from": names[hist["stage"][s]], "to": names[hist["stage"][e]]})
    elif kind in ("pushed", "pulled"):
        end = day_seconds(quarter_end + timedelta(days=1))
        c0, c1 = int(hist["close"][s]), int(hist["close"][e])
        entry.update({"from": _iso(c0), "to": _iso(c1), "out_of_quarter": c0 < end <= c1,
                      "into_quarter": c1 < end <= c0})
    else:  # amounts in the deal's own currency: a rate change is not a revised deal
        entry.update({"from": float(hist["amount_local"][s]), "to": float(hist["amount_local"][e]),
                      "currency": hist["currency_names"][hist["currency"][e]]})
    return entry


def _iso(secs: int) -> str | None:
    return None if secs == NO_DATE else (date(1970, 1, 1) + timedelta(seconds=int(secs))).isoformat()


def _last_per_deal(deal: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """In history sorted by (deal, time): the last masked row of each deal that has one."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return idx
    d = deal[idx]
    return idx[np.append(d[1:] != d[:-1], True)]


def _sorted_history(store: MetricsStore) -> dict | None:
    """History as arrays sorted by deal position then time, made once per store (views of the
    loaded columns when the file is in that order already, as CRM exports usually are)."""
    def make() -> dict | None:
        history = store.history()
        if history is None or not len(history):
            return None
        deal = history_deal(store)
        at = store_array(store, "opportunity_history", "changed_at")
        order = _deal_time_order(deal, at)
        take = (lambda a: a) if order is None else (lambda a: a[order])  # noqa: E731
        stage = history["stage"]
        currency = history["currency"].astype("category")  # codes, not millions of strings
        return {
            "deal": take(deal), "at": take(at),
            "stage": take(stage.cat.codes.to_numpy()), "stage_names": [str(c) for c in stage.cat.categories],
            "close": take(store_array(store, "opportunity_history", "close_date")),
            "amount": take(store_array(store, "opportunity_history", "amount")),
            "amount_local": take(store_array(store, "opportunity_history", "amount_local")),
            "currency": take(currency.cat.codes.to_numpy()),
            "currency_names": [str(c) for c in currency.cat.categories],
        }

    return store.cached("digest_history", make)


def _deal_time_order(deal: np.ndarray, at: np.ndarray) -> np.ndarray | None:
    """Row order by deal, then time; None when the rows are in that order already (one pass
    checks it before anything is sorted)."""
    known = at != NO_DATE
    base = at[known].min() if known.any() else 0
    key = (deal + 1).astype(np.int64) << 33 | np.where(known, at - base, 0).clip(0, (1 << 33) - 1)
    if len(key) < 2 or bool((key[1:] >= key[:-1]).all()):
        return None
    return np.argsort(key, kind="stable")


def _stage_tables(store: MetricsStore, catalog, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per history stage name: won/lost/open (from how the opportunities table closes deals in that
    stage, else the loader's recognisers) and the catalog's default probability (NaN: none)."""
    def make() -> tuple[np.ndarray, np.ndarray]:
        seen = store.stage_outcomes()
        defaults = {k.lower(): float(v) for k, v in catalog.setting("stage_probability", {}).items()}
        outcome = np.zeros(len(names), dtype=np.int64)
        for i, name in enumerate(names):
            if name in seen.index:
                outcome[i] = WON if seen.at[name, "won"] > 0.5 else LOST if seen.at[name, "lost"] > 0.5 else OPEN
            else:
                outcome[i] = WON if WON_STAGE_RE.search(name) else LOST if LOST_STAGE_RE.search(name) else OPEN
        prob = np.array([defaults.get(n.lower(), np.nan) for n in names] + [np.nan])  # code -1 → NaN
        return outcome, prob

    outcome, prob = store.cached(("digest_stages", tuple(names)), make)
    return np.append(outcome, OPEN), prob
