"""Exactly once: one ledger row per (recipient, local date), claimed before anything is sent.

A claim is an INSERT that only one process can win (the primary key). The winner renews its
lease right before each attempt to post, and marks the row sent with Slack's ts after. A claim
whose lease ran out (its process died) may be taken over by another run, which first looks in
the destination for a message carrying this digest's metadata: a process killed after Slack
accepted the post but before it marked the row must not cause a second post.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Boolean, DateTime, Integer, String, Text, and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.state import Base, insert_for

log = logging.getLogger("ccobot.digest")
CLAIMED, SENT, FAILED, SKIPPED, QUIET = "claimed", "sent", "failed", "skipped", "quiet"
FINAL = (SENT, SKIPPED, QUIET)  # nothing more will ever be sent for these


class LedgerRow(Base):
    __tablename__ = "digest_ledger"

    rep_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    local_date: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    holder: Mapped[str] = mapped_column(String(40))  # the run that holds the claim
    lease_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    taken_over: Mapped[bool] = mapped_column(Boolean, default=False)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str | None] = mapped_column(String(200))
    ts: Mapped[str | None] = mapped_column(String(50))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Claim:
    rep_id: str
    day: date
    holder: str  # this claim's own token: a run never mistakes an old claim of its own for this one
    deadline: datetime  # wall-clock time when the grace runs out: no attempt to post after it
    # An earlier holder attempted to post (it died, or its send failed): look for its post first,
    # where it was going (`channel`, as recorded before its attempt).
    taken_over: bool = False
    channel: str | None = None


def _utc(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


class Ledger:
    def __init__(self, state: Engine, lease: timedelta = timedelta(minutes=5),
                 grace: timedelta = timedelta(hours=2)) -> None:
        self.state, self.lease, self.grace = state, lease, grace
        self._insert = insert_for(state)

    def claim(self, rep_id: str, day: date, due_at: datetime, now: datetime, at: datetime | None = None) -> Claim | None:
        """This run's claim on the digest, or None when another run has it or it is done. `now`
        is the wall clock (leases), `at` the instant the run is for (`digest run --at`; default
        now): the grace left at `at` is how long attempts may go on from now."""
        key, token = day.isoformat(), uuid.uuid4().hex
        deadline = now + (due_at + self.grace - (at or now))
        values = dict(rep_id=rep_id, local_date=key, status=CLAIMED, holder=token, lease_until=now + self.lease,
                      due_at=due_at, attempts=0, taken_over=False, late=False)
        with Session(self.state) as s, s.begin():
            # RETURNING, not rowcount: a driver may report -1 for an INSERT that did nothing.
            won = s.execute(self._insert(LedgerRow).values(**values).on_conflict_do_nothing()
                            .returning(LedgerRow.rep_id)).first() is not None
        if won:
            return Claim(rep_id, day, token, deadline)
        # Taken over: a claim whose holder stopped renewing it, or a send that failed (retried within grace).
        with Session(self.state) as s, s.begin():
            row = s.get(LedgerRow, (rep_id, key))
            if row is None or row.status not in (CLAIMED, FAILED):
                return None
            if row.status == CLAIMED and _utc(row.lease_until) > now:
                return None
            was, tried, channel = row.status, bool(row.attempts), row.channel
            # The same conditions again in the UPDATE: a holder renewing in between keeps its claim.
            took = s.execute(update(LedgerRow).where(
                LedgerRow.rep_id == rep_id, LedgerRow.local_date == key, LedgerRow.holder == row.holder,
                LedgerRow.status == was, or_(LedgerRow.status == FAILED, LedgerRow.lease_until <= now)).values(
                status=CLAIMED, holder=token, lease_until=now + self.lease, taken_over=tried)
                .execution_options(synchronize_session=False)).rowcount  # the row read above is not reused
        if not took:
            return None
        log.info("digest claim taken over", extra={"recipient": rep_id, "date": key, "was": was})
        return Claim(rep_id, day, token, deadline, taken_over=tried, channel=channel)

    def renew(self, claim: Claim, channel: str, now: datetime | None = None) -> bool:
        """Right before an attempt to post to `channel`: still ours, and within grace? The
        destination is recorded, for a run that has to look for this post after a crash."""
        now = now or datetime.now(timezone.utc)
        if now >= claim.deadline:
            return False
        return self._set(claim, lease_until=now + self.lease, attempts=LedgerRow.attempts + 1, channel=channel)

    def sent(self, claim: Claim, channel: str, ts: str, late: bool) -> bool:
        return self._set(claim, status=SENT, channel=channel, ts=ts, late=late,
                         sent_at=datetime.now(timezone.utc), error=None)

    def failed(self, claim: Claim, error: str) -> bool:
        return self._set(claim, status=FAILED, error=error[:500])

    def close(self, claim: Claim, status: str, error: str | None = None) -> bool:
        """Finish a claim without sending: a quiet day the person turned off, a person Slack
        does not know (SKIPPED: retrying would not help)."""
        return self._set(claim, status=status, error=error)

    def _set(self, claim: Claim, **values: object) -> bool:
        with Session(self.state) as s, s.begin():
            return bool(s.execute(update(LedgerRow).where(
                LedgerRow.rep_id == claim.rep_id, LedgerRow.local_date == claim.day.isoformat(),
                LedgerRow.holder == claim.holder, LedgerRow.status == CLAIMED).values(**values)).rowcount)

    def record(self, rep_id: str, day: date, due_at: datetime, status: str, error: str | None = None) -> bool:
        """A digest that will not be sent (grace passed), written once so it is logged once and
        never sent later."""
        with Session(self.state) as s, s.begin():
            return s.execute(self._insert(LedgerRow).values(
                rep_id=rep_id, local_date=day.isoformat(), status=status, holder=uuid.uuid4().hex,
                lease_until=datetime.now(timezone.utc), due_at=due_at, attempts=0, taken_over=False, late=False,
                error=error).on_conflict_do_nothing().returning(LedgerRow.rep_id)).first() is not None

    def give_up(self, rep_id: str, day: date) -> bool:
        """A failed digest whose grace has passed: reported, never retried."""
        with Session(self.state) as s, s.begin():
            return bool(s.execute(update(LedgerRow).where(
                LedgerRow.rep_id == rep_id, LedgerRow.local_date == day.isoformat(),
                or_(LedgerRow.status == FAILED,
                    and_(LedgerRow.status == CLAIMED, LedgerRow.lease_until < datetime.now(timezone.utc)))).values(
                status=SKIPPED)).rowcount)

    def statuses(self, keys: list[tuple[str, date]]) -> dict[tuple[str, str], tuple[str, datetime]]:
        """(rep_id, local date) → (status, lease_until) for those of `keys` that have a row."""
        if not keys:
            return {}
        days = sorted({d.isoformat() for _, d in keys})
        with Session(self.state) as s:
            rows = s.execute(select(LedgerRow.rep_id, LedgerRow.local_date, LedgerRow.status, LedgerRow.lease_until)
                             .where(LedgerRow.local_date.in_(days)))
            wanted = {(r, d.isoformat()) for r, d in keys}
            return {(r, d): (st, _utc(lease)) for r, d, st, lease in rows if (r, d) in wanted}

    def rows(self, day: date | None = None) -> list[LedgerRow]:
        with Session(self.state) as s:
            q = select(LedgerRow)
            if day is not None:
                q = q.where(LedgerRow.local_date == day.isoformat())
            return list(s.scalars(q))
