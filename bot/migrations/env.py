"""Alembic's environment: runs the revisions on the connection open_state hands over (under its lock,
in its transaction), or, from the `alembic` command line (alembic.ini at the repository root), on
the state database of the settings (DATABASE_URL, else the SQLite file under CCOBOT_HOME)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

from bot.migrations import include_object
from bot.state import Base, _register_tables

_register_tables()  # every model's table must be in Base.metadata before autogenerate compares

if context.config.config_file_name is not None:  # the `alembic` command: its output as alembic.ini says
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=Base.metadata,
        include_object=include_object,
        compare_type=True,
        # SQLite cannot ALTER most things: batch mode copies the table instead, in later revisions too.
        render_as_batch=True,
        **kwargs,
    )


def _url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.config import get_settings

    return get_settings().state_url


def run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():  # a no-op inside the caller's transaction
        context.run_migrations()


def run_offline() -> None:
    """`alembic upgrade --sql`: the SQL, printed."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_standalone() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
elif context.config.attributes.get("connection") is not None:
    run_on(context.config.attributes["connection"])
else:
    run_standalone()
