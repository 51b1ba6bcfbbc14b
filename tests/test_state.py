"""The audit log in a real state database: SQLite (the default) and PostgreSQL (production)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.assistant import Assistant
from bot.metrics.engine import Engine
from bot.metrics.store import load_store
from bot.state import AuditLog, open_state

AS_OF = date(2026, 11, 20)


def audited(url: str, store_dir) -> list:
    audit = AuditLog(open_state(url), channel="slack")
    bot = Assistant(Engine(load_store(store_dir)), audit)
    bot.ask("revenue by region last quarter", user="UR1", as_of=AS_OF)
    bot.ask("Carl Weber's pipeline", user="UR1", as_of=AS_OF)
    bot.ask("help", user="UR1", as_of=AS_OF)
    # a second connection sees what the first wrote
    return AuditLog(open_state(url)).entries(10)


def check(entries: list) -> None:
    assert [e.kind for e in entries] == ["kpi", "denied"]
    kpi, denied = entries
    assert (kpi.user_id, kpi.rep_id, kpi.channel) == ("UR1", "r1", "slack")
    assert kpi.query["group_by"] == ["region"] and kpi.query["resolved_period"]["start"] == "2026-07-01"
    assert kpi.scope == {"role": "rep", "owners": "all"}
    assert denied.query["filters"] == {"owner": ["r3"]}
    assert kpi.at.tzinfo is not None or kpi.at.year == date.today().year


def test_sqlite_audit(small_store_dir, tmp_path):
    check(audited(f"sqlite:///{tmp_path / 'state.db'}", small_store_dir))


def test_postgres_audit(small_store_dir, pg_server):
    check(audited(pg_server, small_store_dir))


def test_wal_is_switched_on_while_another_process_holds_the_new_file(tmp_path):
    # four instances starting at once on a new SQLite file: one failed with "database is locked",
    # which SQLite says at once (not after its busy timeout) when switching the journal mode
    import sqlite3
    import threading

    from bot.state import _wal

    path = tmp_path / "state.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    other = sqlite3.connect(path, timeout=0, check_same_thread=False)
    _wal(other.cursor())
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
