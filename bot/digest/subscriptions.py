"""Who gets a digest, where and when (contracts/digest.md, Who, when, over what).

Managers are subscribed by default without a row: a row is written only when someone
changes something (subscribes, unsubscribes, moves the time). Due recipients are worked
out from these settings and each person's time zone at every tick, so daylight-saving
changes and new subscribers need no scheduled jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from sqlalchemy import JSON, Boolean, DateTime, String
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.errors import UserError
from bot.metrics.store import MetricsStore
from bot.state import Base

log = logging.getLogger("ccobot.digest")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DAYS = "mon,tue,wed,thu,fri"
DEFAULT_TIME = "08:00"
# A language for people whose chat client has not told us theirs, from where they work.
TZ_LANG = {"Europe/Copenhagen": "da", "Atlantic/Faroe": "da", "America/Nuuk": "da", "Europe/Stockholm": "sv"}


class SubscriptionRow(Base):
    __tablename__ = "digest_subscriptions"

    rep_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    # None: as by default (on for managers); a row kept only for a time zone or language stays so
    active: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(200))  # None: a DM to the person
    local_time: Mapped[str] = mapped_column(String(5))
    days: Mapped[str] = mapped_column(String(40))
    quiet_days: Mapped[bool] = mapped_column(Boolean)  # send "Quiet day" digests
    tz: Mapped[str | None] = mapped_column(String(64))  # the chat platform's zone, when reps.timezone is empty
    lang: Mapped[str | None] = mapped_column(String(5))
    muted: Mapped[list] = mapped_column(JSON)  # opportunity ids left out of this person's digests
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Subscription:
    rep_id: str
    active: bool | None = True  # None only in a stored row: follow the default
    channel: str | None = None
    local_time: str = DEFAULT_TIME
    days: str = DEFAULT_DAYS
    quiet_days: bool = True
    tz: str | None = None
    lang: str | None = None
    muted: tuple[str, ...] = ()

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(d) for d in self.days.split(",") if d in WEEKDAYS)

    @property
    def at(self) -> time:
        return time.fromisoformat(self.local_time)

    def previous_due_day(self, day: date) -> date:
        """The last day before `day` on this schedule (the window of changes starts there)."""
        for back in range(1, 8):
            d = day - timedelta(days=back)
            if d.weekday() in self.weekdays:
                return d
        return day - timedelta(days=7)


class SubscriptionError(UserError):
    pass


def parse_time(text: str) -> str:
    """"7:30", "07.30", "0730", "7" → "07:30"; anything else is a SubscriptionError."""
    raw = text.strip().replace(".", ":")
    if raw.isdigit() and len(raw) in (3, 4):
        raw = f"{raw[:-2]}:{raw[-2:]}"
    elif raw.isdigit():
        raw = f"{raw}:00"
    try:
        hour, minute = (int(x) for x in raw.split(":"))
        return time(hour, minute).strftime("%H:%M")
    except ValueError:
        raise SubscriptionError(f"'{text}' is not a time of day (like 07:30)") from None


def parse_days(text: str) -> str:
    """"mon-fri", "weekdays", "mon,wed,fri", "every day" → "mon,tue,…"."""
    raw = text.strip().lower().replace(" ", "")
    if raw in ("weekdays", "mon-fri", "monday-friday", "workdays"):
        return DEFAULT_DAYS
    if raw in ("everyday", "daily", "all", "mon-sun"):
        return ",".join(WEEKDAYS)
    picked: list[int] = []
    for part in raw.split(","):
        ends = [p[:3] for p in part.split("-")]
        if not all(e in WEEKDAYS for e in ends) or len(ends) > 2:
            raise SubscriptionError(f"'{text}' is not a list of days (like mon-fri or mon,wed,fri)")
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        picked.extend(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
    return ",".join(WEEKDAYS[i] for i in sorted(set(picked)))


class Subscriptions:
    """Subscriptions over the state database and the store's reps."""

    def __init__(self, state: Engine) -> None:
        self.state = state

    def explicit(self) -> dict[str, Subscription]:
        with Session(self.state) as s:
            return {r.rep_id: _from_row(r) for r in s.query(SubscriptionRow)}

    def get(self, store: MetricsStore, rep_id: str) -> Subscription:
        """This person's settings: their row over the default, on or off decided (managers are on
        by default; someone no longer active in the reps table is off)."""
        return self._resolved(store, self.explicit().get(rep_id) or Subscription(rep_id, active=None))

    def all(self, store: MetricsStore) -> list[Subscription]:
        """Every subscription that is on: default managers, then explicit rows over them."""
        subs = {r: Subscription(r, active=None) for r in default_subscribers(store)}
        subs.update(self.explicit())
        return [sub for sub in (self._resolved(store, s) for s in subs.values()) if sub.active]

    @staticmethod
    def _resolved(store: MetricsStore, sub: Subscription) -> Subscription:
        if not is_active_rep(store, sub.rep_id):
            return replace(sub, active=False)
        return sub if sub.active is not None else replace(sub, active=sub.rep_id in default_subscribers(store))

    def update(self, store: MetricsStore, rep_id: str, **changes: object) -> Subscription:
        """Change some settings (subscribing is `active=True`) and write the person's row. What is
        not changed stays as stored: keeping someone's Slack time zone does not subscribe them."""
        raw = replace(self.explicit().get(rep_id) or Subscription(rep_id, active=None), **changes)  # type: ignore[arg-type]
        with Session(self.state) as s, s.begin():
            s.merge(SubscriptionRow(rep_id=raw.rep_id, active=raw.active, channel=raw.channel,
                                    local_time=raw.local_time, days=raw.days, quiet_days=raw.quiet_days, tz=raw.tz,
                                    lang=raw.lang, muted=list(raw.muted), updated_at=datetime.now(timezone.utc)))
        return self._resolved(store, raw)


def _from_row(r: SubscriptionRow) -> Subscription:
    return Subscription(r.rep_id, r.active, r.channel, r.local_time, r.days, r.quiet_days, r.tz, r.lang,
                        tuple(r.muted or ()))


def default_subscribers(store: MetricsStore) -> frozenset[str]:
    """Active reps whose role is manager."""
    def make() -> frozenset[str]:
        reps = store.tables.get("reps")
        if reps is None:
            return frozenset()
        active = reps["active"].astype("boolean").fillna(True) if "active" in reps else True
        managers = reps["role"].astype("string") == "manager"
        return frozenset(reps.loc[managers & active, "rep_id"].astype(str))

    return store.cached("digest_default_subscribers", make)


def is_active_rep(store: MetricsStore, rep_id: str) -> bool:
    """In the reps table and not marked inactive: someone who left gets no more digests."""
    value = rep_value(store, rep_id, "active")
    known = rep_value(store, rep_id, "rep_id") is not None
    return known and (value is None or value.strip().lower() not in ("false", "0", "no", "f"))


def zone_of(store: MetricsStore, sub: Subscription) -> ZoneInfo:
    """reps.timezone, else the chat platform's zone for the person, else UTC."""
    for name in (rep_value(store, sub.rep_id, "timezone"), sub.tz):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def language_of(store: MetricsStore, sub: Subscription) -> str:
    return sub.lang or TZ_LANG.get(str(zone_of(store, sub)), "en")


def rep_value(store: MetricsStore, rep_id: str, column: str) -> str | None:
    """One column of the reps table for one rep (None: empty or no such rep), found through the
    store's rep index (bot/access.py), made once per store."""
    from bot.access import rep_index

    pos = rep_index(store).get(("rep", rep_id))
    reps = store.tables.get("reps")
    if pos is None or reps is None or column not in reps:
        return None
    value = reps[column].iloc[pos]
    return None if value is None or pd.isna(value) or str(value) == "" else str(value)


@dataclass(frozen=True)
class Due:
    """One digest that should go out: whose, for which local date, due when (UTC)."""

    sub: Subscription
    day: date
    due_at: datetime  # UTC
    lang: str

    def late(self, at: datetime, after: timedelta) -> bool:
        return at - self.due_at > after


def due(store: MetricsStore, subs: list[Subscription], at: datetime, grace: timedelta) -> tuple[list[Due], list[Due]]:
    """At instant `at` (aware): the digests due and within grace, and those whose grace has
    passed today (to be skipped and logged). 08:00 local stays 08:00 local across DST."""
    ready, missed = [], []
    for sub in subs:
        try:
            sub.at
        except ValueError:  # a row written by hand or an old version: that person only is left out
            log.warning("digest subscription with a bad time", extra={"recipient": sub.rep_id})
            continue
        zone = zone_of(store, sub)
        local = at.astimezone(zone)
        for day in (local.date(), local.date() - timedelta(days=1)):  # a late evening time seen after midnight
            if day.weekday() not in sub.weekdays:
                continue
            due_at = datetime.combine(day, sub.at, zone).astimezone(timezone.utc)
            if due_at <= at < due_at + grace:
                ready.append(Due(sub, day, due_at, language_of(store, sub)))
            elif at >= due_at + grace and day == local.date():
                missed.append(Due(sub, day, due_at, language_of(store, sub)))
    return ready, missed
