"""State databases for the digest tests: a SQLite file, and a fresh database on a real PostgreSQL
server (started once per session by tests/pg.py; skipped only when PostgreSQL is not installed
and CCOBOT_REQUIRE_POSTGRES is not set, as .ci/run sets it)."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.pg import postgres_server


@pytest.fixture(scope="session")
def pg_server():
    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as exc:
        if os.environ.get("CCOBOT_REQUIRE_POSTGRES"):
            raise
        pytest.skip(str(exc))


def fresh_pg_database(server_url: str) -> str:
    """A new, empty database on the server; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return fresh_pg_database(request.getfixturevalue("pg_server"))
