"""The state database (SQLAlchemy): a SQLite file under CCOBOT_HOME by default, PostgreSQL
in production (DATABASE_URL). Holds the audit log, seen events, feedback, posted answers,
and the digests' subscriptions, delivery ledger and scheduler lock (bot/digest/).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import JSON, DateTime, Integer, String, Text, create_engine, event, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

from bot.errors import SettingsError

log = logging.getLogger("ccobot.state")


class Base(DeclarativeBase):
    pass


class AuditEntry(Base):
    """One KPI answer or denial: who (ids only), what was asked and resolved, under which scope.
    Never the numbers, never tokens."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[str | None] = mapped_column(String(200), index=True)
    rep_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    query: Mapped[dict | None] = mapped_column(JSON)
    scope: Mapped[dict] = mapped_column(JSON)


class SeenEvent(Base):
    """A chat event already taken: Slack retries and a second instance must not answer twice."""

    __tablename__ = "seen_events"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Feedback(Base):
    """A 👍 or 👎 on an answer (ids only)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(200))
    message_ts: Mapped[str | None] = mapped_column(String(50))
    question: Mapped[str] = mapped_column(Text)
    vote: Mapped[str] = mapped_column(String(10))


class PostedAnswer(Base):
    """An answer the bot posted, keyed by where it went: buttons on the message (👍/👎, Chart)
    find the question and the answer here instead of carrying them in the button's value."""

    __tablename__ = "posted_answers"

    channel: Mapped[str] = mapped_column(String(200), primary_key=True)
    ts: Mapped[str] = mapped_column(String(50), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    answer: Mapped[dict] = mapped_column(JSON)


class AnswerJob(Base):
    """An event being answered (bot/channels/slack/jobs.py): claimed with a lease by one instance,
    renewed while it works and right before it posts; an unanswered job whose lease ran out is taken
    over by another instance. The question is kept only until the answer is posted."""

    __tablename__ = "answer_jobs"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)  # open, answered, given_up
    team_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(200))
    channel_type: Mapped[str | None] = mapped_column(String(20))
    thread_ts: Mapped[str | None] = mapped_column(String(50))
    user_id: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    claimed_by: Mapped[str] = mapped_column(String(40))
    lease_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    takeovers: Mapped[int] = mapped_column(Integer, default=0)
    attempted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempt_channel: Mapped[str | None] = mapped_column(String(200))
    answered_ts: Mapped[str | None] = mapped_column(String(50))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def remember_post(engine: Engine, *, channel: str, ts: str, user_id: str, question: str, kind: str,
                  answer: dict) -> None:
    with Session(engine) as session, session.begin():
        session.merge(PostedAnswer(channel=channel, ts=ts, at=datetime.now(timezone.utc), user_id=user_id,
                                   question=question[:2000], kind=kind, answer=_jsonable(answer)))


def posted_answer(engine: Engine, channel: str, ts: str) -> PostedAnswer | None:
    with Session(engine) as session:
        return session.get(PostedAnswer, (channel, ts))


def claim_event(engine: Engine, event_id: str) -> bool:
    """True the first time an event id is seen, False after (across processes: a unique key)."""
    try:
        with Session(engine) as session, session.begin():
            session.add(SeenEvent(event_id=event_id, at=datetime.now(timezone.utc)))
        return True
    except IntegrityError:
        return False


def save_feedback(engine: Engine, *, user_id: str, channel: str, message_ts: str | None, question: str,
                  vote: str) -> None:
    with Session(engine) as session, session.begin():
        session.add(Feedback(at=datetime.now(timezone.utc), user_id=user_id, channel=channel, message_ts=message_ts,
                             question=question[:2000], vote=vote))


def insert_for(engine: Engine):
    """The dialect's INSERT with ON CONFLICT (PostgreSQL's, else SQLite's): claims and counters."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def open_state(url: str) -> Engine:
    """Connect, waiting for a database server that is still starting (CCOBOT_DB_WAIT_SECONDS), and
    bring the tables to the newest migration (bot/migrations)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    _register_tables()
    _migrate(engine)
    return engine


class DatabaseUnavailable(SettingsError):
    """The state database did not answer within CCOBOT_DB_WAIT_SECONDS. A SettingsError: the command
    line says so and exits 2 (a wrong DATABASE_URL is the usual cause), never a chat user."""


# The number the create_all of earlier versions locked too: an old and a new instance starting
# side by side never set up tables at the same time.
MIGRATION_LOCK_KEY = 4242001
SQLITE_BUSY_SECONDS = 120  # how long a process waits for another one's migration of the same file
CONNECT_TIMEOUT_SECONDS = 10  # one attempt to reach a server (libpq would otherwise wait for TCP)


# bot/migrations' newest revision (tests/test_migrations.py checks it): a database already there is
# opened without importing Alembic, about 10 MB resident in every instance that did not migrate.
SCHEMA_HEAD = "0002"


def _migrate(engine: Engine) -> None:
    """Upgrade to head, one process at a time: a PostgreSQL advisory lock, or SQLite's write lock."""
    tables = set(Base.metadata.tables)
    if _in_memory(engine):  # a second engine would open a second, empty database
        from bot.migrations import upgrade

        with engine.begin() as conn:
            upgrade(conn, tables)
        return
    setup = _setup_engine(engine)
    try:
        with _connect_waiting(setup) as conn:
            if _at_head(conn):
                return
            from bot.migrations import upgrade

            if setup.dialect.name == "postgresql":
                _upgrade_locked(conn, tables)
            else:
                with conn.begin():
                    upgrade(conn, tables)
    finally:
        setup.dispose()


def _at_head(conn: Connection) -> bool:
    """Is the database at SCHEMA_HEAD? An upgrade writes its version in the transaction that changes
    the schema, so one found there needs neither the lock nor Alembic."""
    try:
        if not inspect(conn).has_table("alembic_version"):
            return False
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [SCHEMA_HEAD]
    finally:
        conn.rollback()


def _in_memory(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def _setup_engine(engine: Engine) -> Engine:
    """A short-lived engine for the migration: one connection, no pool, bounded connects; on SQLite,
    transactions that begin with BEGIN IMMEDIATE, so the whole upgrade (DDL included, which Python's
    sqlite3 would otherwise commit statement by statement) is one transaction holding the write lock
    and other processes wait for it, then find the database at head."""
    if engine.dialect.name == "sqlite":
        setup = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(setup, "connect", _sqlite_manual_transactions)
        event.listen(setup, "connect", _sqlite_pragmas)
        event.listen(setup, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return setup
    connect_args = {}
    if engine.dialect.driver in ("psycopg", "psycopg2") and "connect_timeout" not in engine.url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return create_engine(engine.url, poolclass=NullPool, connect_args=connect_args)


def _sqlite_manual_transactions(conn, _record) -> None:
    conn.isolation_level = None  # sqlite3 issues no BEGIN of its own; the "begin" listener does


def _upgrade_locked(conn: Connection, tables: set[str]) -> None:
    """Session-level advisory lock around the upgrade: instances starting together wait here while
    the first migrates, then find the database at head. The upgrade is one transaction (PostgreSQL's
    DDL is transactional), so a process killed half-way leaves the schema as it was."""
    from bot.migrations import upgrade

    conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    conn.commit()
    try:
        with conn.begin():
            upgrade(conn, tables)
    finally:
        if not conn.invalidated:  # a lost connection took its lock with it
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()


def _connect_waiting(engine: Engine) -> Connection:
    """The first connection, retried with backoff while the server is not up yet (a container that
    starts beside the bot), for up to CCOBOT_DB_WAIT_SECONDS. A SQLite file is there or not."""
    if engine.dialect.name == "sqlite":
        return engine.connect()
    bound = _wait_seconds()
    deadline, pause, attempt = time.monotonic() + bound, 0.5, 0
    where = engine.url.render_as_string(hide_password=True)
    while True:
        try:
            return engine.connect()
        except OperationalError as exc:
            attempt += 1
            reason = _reason(exc, engine.url.password)
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseUnavailable(
                    f"the state database at {where} did not answer within {bound:g} s ({reason}). Check "
                    "DATABASE_URL and that the server is running; CCOBOT_DB_WAIT_SECONDS sets how long "
                    "to wait") from None
            pause = min(pause, left)
            log.warning("state database at %s not answering yet (%s); attempt %d failed, retrying in %.1f s",
                        where, reason, attempt, pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _wait_seconds() -> float:
    from bot.config import get_settings

    return get_settings().ccobot_db_wait_seconds


def _reason(exc: OperationalError, password: str | None) -> str:
    """The driver's first line, which names host and port; never the password."""
    lines = str(exc.orig or exc).strip().splitlines() or ["no reason given"]
    return lines[0].replace(password, "***") if password else lines[0]


def _register_tables() -> None:
    """The digest and model-usage tables live with their code; importing it adds them to Base.metadata."""
    import bot.digest.ledger  # noqa: F401
    import bot.digest.scheduler  # noqa: F401
    import bot.digest.subscriptions  # noqa: F401
    import bot.llm.model  # noqa: F401
    import bot.channels.teams.references  # noqa: F401


def _sqlite_pragmas(conn, _record) -> None:
    # WAL lets readers and the writer work at once; NORMAL sync is durable at each checkpoint
    # and keeps a commit well under a millisecond.
    cur = conn.cursor()
    _wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _wal(cur, tries: int = 100) -> None:
    """Switch a database to WAL once. Switching takes an exclusive lock, and SQLite answers "database
    is locked" at once, not after its busy timeout, when several processes open a new file together
    (instances starting at once): wait and look again; one of them has switched it by then."""
    for attempt in range(tries):
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)


class AuditLog:
    def __init__(self, engine: Engine, channel: str = "cli") -> None:
        self.engine = engine
        self.channel = channel

    def write(self, *, user_id: str | None, rep_id: str | None, kind: str, question: str,
              query: dict | None, scope: dict) -> None:
        entry = AuditEntry(at=datetime.now(timezone.utc), user_id=user_id, rep_id=rep_id, channel=self.channel,
                           kind=kind, question=question[:2000], query=_jsonable(query), scope=_jsonable(scope))
        with Session(self.engine) as session, session.begin():
            session.add(entry)

    def entries(self, limit: int = 100) -> list[AuditEntry]:
        with Session(self.engine) as session:
            rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()
            session.expunge_all()
            return list(reversed(rows))


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value, default=str)) if value is not None else None


SEEN_EVENTS_KEPT_DAYS = 1  # Slack retries within minutes; a day covers any retry or second instance
POSTED_ANSWERS_KEPT_DAYS = 30  # buttons on answers older than this find nothing and say so


def prune(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """Delete answered event ids older than a day and posted answers older than 30 days; return
    how many rows of each table went. Run at start and hourly while serving."""
    from datetime import timedelta

    from sqlalchemy import delete

    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    gone = {}
    with Session(engine) as session, session.begin():
        for model, days in ((SeenEvent, SEEN_EVENTS_KEPT_DAYS), (PostedAnswer, POSTED_ANSWERS_KEPT_DAYS)):
            result = session.execute(delete(model).where(model.at < now - timedelta(days=days)))
            gone[model.__tablename__] = result.rowcount or 0
    return gone
