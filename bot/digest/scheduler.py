"""One active scheduler, whatever the number of bot processes.

Each process may run a scheduler (APScheduler 3.11: a tick at second 0 of every minute), but a
tick only does `digest run` while its process holds the leader lock: a PostgreSQL advisory lock
held on its own connection (released by the server when the process dies), or with SQLite a
lock row with a lease that the holder renews every tick. The ledger keeps even two leaders
(a paused one waking up) from sending a digest twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import DateTime, String, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.state import Base

log = logging.getLogger("ccobot.digest")
LOCK_KEY = 0x0CC0B07  # the advisory lock's number: any fixed 64-bit value of our own
LEASE = timedelta(seconds=150)  # SQLite: a holder that missed two ticks loses the lock


class SchedulerLock(Base):
    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(40))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LeaderLock:
    """held() is True while this process is the one scheduler; asked at every tick."""

    def __init__(self, state: Engine, lease: timedelta = LEASE) -> None:
        self.state, self.lease = state, lease
        self.me = uuid.uuid4().hex
        self._conn: Connection | None = None

    def held(self, now: datetime | None = None) -> bool:
        if self.state.dialect.name == "postgresql":
            return self._advisory()
        return self._row(now or datetime.now(timezone.utc))

    def _advisory(self) -> bool:
        if self._conn is not None:
            try:  # still connected: the lock is ours for as long as this session lives
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 (a dropped connection lost the lock with it)
                self._conn = None
        # Autocommit: a session-level lock needs no transaction, and an open one would sit "idle in
        # transaction" (a server's idle_in_transaction_session_timeout would end it, and the lock).
        conn = self.state.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def _row(self, now: datetime) -> bool:
        with Session(self.state) as s, s.begin():
            s.execute(sqlite_insert(SchedulerLock).values(name="digest", holder=self.me, until=now + self.lease)
                      .on_conflict_do_nothing())
            took = s.execute(update(SchedulerLock).where(SchedulerLock.name == "digest").where(
                (SchedulerLock.holder == self.me) | (SchedulerLock.until < now)).values(
                holder=self.me, until=now + self.lease)).rowcount
        return bool(took)

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                self._conn.close()
            except Exception:  # noqa: BLE001 (closing the session releases it anyway)
                pass
            self._conn = None
        elif self.state.dialect.name != "postgresql":
            with Session(self.state) as s, s.begin():
                s.execute(update(SchedulerLock).where(SchedulerLock.name == "digest",
                                                      SchedulerLock.holder == self.me).values(
                    until=datetime.now(timezone.utc) - timedelta(seconds=1)))

    def holder(self) -> str | None:
        with Session(self.state) as s:
            row = s.scalar(select(SchedulerLock).where(SchedulerLock.name == "digest"))
            return row.holder if row else None


class DigestScheduler:
    """A tick every minute that runs `tick(now)` while the leader lock is held."""

    def __init__(self, lock: LeaderLock, tick: Callable[[datetime], object]) -> None:
        self.lock, self.tick = lock, tick
        self._busy = threading.Lock()
        self.scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 50})
        # The first tick runs at start rather than at the next whole minute: digests that fell due
        # while no scheduler ran (a restart, a deploy) go out at once; the ledger keeps them single.
        self.scheduler.add_job(self._tick, CronTrigger(second=0, timezone=timezone.utc), id="digest-tick",
                               next_run_time=datetime.now(timezone.utc))

    def _tick(self) -> None:
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        if not self.lock.held():
            return
        if not self._busy.acquire(blocking=False):  # the last tick's fan-out is still going
            return
        try:
            self.tick(now)
        except Exception:  # noqa: BLE001 (one bad tick must not stop the scheduler)
            log.exception("digest tick failed")
        finally:
            self._busy.release()

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.lock.release()
