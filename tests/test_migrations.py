"""The state database's migrations (bot/migrations): head equals the models on SQLite and PostgreSQL,
a database made by create_all before migrations is stamped with its rows kept, instances starting at
once migrate once, and a server that is not up is waited for within CCOBOT_DB_WAIT_SECONDS."""

from __future__ import annotations

import logging
import multiprocessing
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, create_engine, inspect, text
from sqlalchemy.engine import Engine

from bot.migrations import FIRST, SchemaTooNew, current, head, include_object
from bot.state import AuditLog, Base, DatabaseUnavailable, _register_tables, open_state
from tests.digest.conftest import fresh_pg_database
from tests.pg import _free_port

_register_tables()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_url(request, tmp_path) -> Callable[[], str]:
    """Makes URLs of new, empty state databases: SQLite files, or databases on the session's server."""
    if request.param == "sqlite":
        return lambda: f"sqlite:///{tmp_path / uuid.uuid4().hex}.db"
    server = request.getfixturevalue("pg_server")
    return lambda: fresh_pg_database(server)


@pytest.fixture
def url(new_url) -> str:
    return new_url()


def diffs(engine: Engine, metadata: MetaData = Base.metadata) -> list:
    """What autogenerate would write to bring the database to the models: nothing, at head."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        return compare_metadata(ctx, metadata)


def versions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def test_head_is_the_models(url):
    engine = open_state(url)
    assert diffs(engine) == []
    assert versions(engine) == [head()]
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}


def test_head_is_what_create_all_made(new_url):
    """Beyond what autogenerate compares: the same DDL, constraint and index names, sequences."""
    migrated, made = open_state(new_url()), create_engine(new_url())
    Base.metadata.create_all(made)
    assert schema(migrated) == schema(made)


def schema(engine: Engine) -> set[tuple]:
    """The database's own description of ccobot's tables, indexes and constraints."""
    if engine.dialect.name == "sqlite":
        query = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name != 'alembic_version'"
        with engine.connect() as conn:
            return {(*row[:3], " ".join((row[3] or "").split())) for row in conn.execute(text(query))}
    queries = (
        "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public'",
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = 'public'::regnamespace",
        "SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences",
    )
    with engine.connect() as conn:
        rows = {tuple(row) for query in queries for row in conn.execute(text(query))}
    return {row for row in rows if not any("alembic_version" in str(value) for value in row)}


def test_a_model_change_without_a_migration_shows(tmp_path):
    """The comparison above is what catches a column added to a model without a revision."""
    engine = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["audit"].append_column(Column("extra", String(20)))
    found = diffs(engine, changed)
    assert [(d[0], d[2], d[3].name) for d in found] == [("add_column", "audit", "extra")]


def test_create_all_database_is_stamped(url):
    old = create_engine(url)
    Base.metadata.create_all(old)  # what open_state did before migrations
    _slack_tables(old)
    AuditLog(old, channel="slack").write(user_id="U1", rep_id="r1", kind="kpi", question="revenue?",
                                         query=None, scope={"role": "rep"})
    with old.begin() as conn:
        conn.execute(text("INSERT INTO llm_usage (month, tokens) VALUES ('2026-11', 42)"))
    old.dispose()

    engine = open_state(url)
    assert versions(engine) == [head()]
    assert diffs(engine) == []  # slack_sdk's tables beside ours are not ccobot's to compare
    assert [(e.user_id, e.question) for e in AuditLog(engine).entries()] == [("U1", "revenue?")]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT tokens FROM llm_usage")).scalar() == 42
    assert versions(open_state(url)) == [head()]  # and the next start finds it at head


def _slack_tables(engine: Engine) -> None:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    SQLAlchemyInstallationStore(client_id="C1", engine=engine).create_tables()
    SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine).create_tables()


def test_a_failed_upgrade_leaves_nothing_behind(url, monkeypatch):
    """One transaction: a process killed half-way leaves no tables that the next start would take
    for a database made before migrations and stamp; on PostgreSQL the lock is released too."""
    import bot.migrations

    upgrade = bot.migrations.command.upgrade

    def killed(cfg, revision: str) -> None:
        upgrade(cfg, revision)
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(bot.migrations.command, "upgrade", killed)
    with pytest.raises(RuntimeError, match="half-way"):
        open_state(url)
    assert inspect(create_engine(url)).get_table_names() == []
    monkeypatch.undo()
    assert versions(open_state(url)) == [head()]


def test_a_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    open_state(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew, match="9999"):
        open_state(url)


def _open_in_child(url: str, barrier, results) -> None:
    """One instance starting: open_state at the same moment as the others; report the revision it
    found and whether it was the one that migrated."""
    said: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())
    logger = logging.getLogger("ccobot.state")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    barrier.wait(60)
    with open_state(url).connect() as conn:
        results.put((current(conn), any("migrating" in line for line in said)))


def test_instances_starting_at_once_migrate_once(url):
    ctx = multiprocessing.get_context("fork")  # the children start from this process's imports: fast
    barrier, results = ctx.Barrier(4), ctx.Queue()
    children = [ctx.Process(target=_open_in_child, args=(url, barrier, results)) for _ in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0, 0, 0]
    reports = [results.get(timeout=5) for _ in children]
    assert [revision for revision, _ in reports] == [head()] * 4
    assert sum(migrated for _, migrated in reports) == 1
    engine = create_engine(url)
    assert versions(engine) == [head()] and diffs(engine) == []


@pytest.fixture
def short_wait(monkeypatch):
    from bot.config import get_settings

    monkeypatch.setenv("CCOBOT_DB_WAIT_SECONDS", "2")
    get_settings.cache_clear()
    yield 2.0
    get_settings.cache_clear()  # before monkeypatch restores the environment: the next read is afresh


def test_waits_for_the_server_then_says_so(short_wait, caplog):
    url = f"postgresql+psycopg://ccobot:s3cret@127.0.0.1:{_free_port()}/postgres"  # nothing listens
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="ccobot.state"):
        with pytest.raises(DatabaseUnavailable) as raised:
            open_state(url)
    took = time.monotonic() - start
    assert short_wait <= took < short_wait + 3
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) >= 2 and all("127.0.0.1" in line for line in retries)
    message = str(raised.value)
    assert "did not answer within 2 s" in message and "DATABASE_URL" in message
    assert "s3cret" not in message + caplog.text and "***" in message


def test_old_databases_are_stamped_at_the_root():
    """create_all made the tables of the first revision: stamping anywhere else would skip work."""
    from bot.migrations import script

    assert script().get_base() == FIRST


def test_the_state_module_knows_the_head():
    from bot.state import SCHEMA_HEAD

    assert SCHEMA_HEAD == head()  # a new revision must move it, or every start would miss the fast path


def test_a_database_at_head_is_opened_without_alembic(new_url, tmp_path):
    url = new_url()
    open_state(url).dispose()  # migrates: a new database
    script = ("import sys; from bot.state import open_state; open_state(sys.argv[1]).dispose(); "
              "print('alembic' in sys.modules)")
    root = Path(__file__).resolve().parents[1]
    again = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True, cwd=root, check=True)
    assert again.stdout.split() == ["False"]
    engine = create_engine(url)
    with engine.begin() as conn:  # behind head: the next start migrates (and imports Alembic) again
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        conn.execute(text("DROP TABLE answer_jobs"))
    engine.dispose()
    behind = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True, cwd=root, check=True)
    assert behind.stdout.split() == ["True"]
    opened = open_state(url)
    assert versions(opened) == [head()] and "answer_jobs" in inspect(opened).get_table_names()
