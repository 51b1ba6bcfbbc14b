"""The state database's schema history (Alembic), configured in code so that it works from a clone and
from an installed wheel alike (no alembic.ini is read at run time).

open_state (bot/state.py) brings every database to head when it opens it, under a lock. A new model,
column or index needs a new revision in versions/; tests/test_migrations.py fails until it has one.
From the repository root (alembic.ini), against a state database at head:

    alembic revision --autogenerate -m "what changed"     # then read and fix the file it wrote
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.schema import SchemaItem

from bot.errors import SettingsError

log = logging.getLogger("ccobot.state")

FOLDER = Path(__file__).resolve().parent
# The schema of every database that create_all made before there were migrations.
FIRST = "0001"
# slack_sdk's OAuth stores create and own these tables in the same database (bot/channels/slack/oauth.py);
# comparing or generating migrations must not see them as tables ccobot dropped.
FOREIGN_TABLES = frozenset({"slack_installations", "slack_bots", "slack_oauth_states"})


class SchemaTooNew(SettingsError):
    """The database was migrated by a newer ccobot than this one."""


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration; env.py runs on `connection` when one is given."""
    cfg = Config()
    # configparser reads "%" as interpolation: a folder whose path holds one must double it.
    cfg.set_main_option("script_location", str(FOLDER).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    return script().get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def include_object(obj: SchemaItem, name: str | None, type_: str, reflected: bool,
                   compare_to: SchemaItem | None) -> bool:
    """Compare and generate ccobot's own tables only."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def upgrade(connection: Connection, tables: set[str]) -> None:
    """Bring the database to head on `connection`, inside the transaction the caller commits.
    `tables` are the names the models declare: finding some of them but no alembic_version means
    create_all made the database before migrations, so it is stamped at FIRST, rows kept."""
    found = set(inspect(connection).get_table_names())
    cfg = config(connection)
    if "alembic_version" in found:
        at = _versions(connection)
    elif found & tables:
        log.info("state database made before migrations: stamping it at revision %s", FIRST)
        command.stamp(cfg, FIRST)
        at = [FIRST]
    else:
        at = []
    for revision in at:
        _check_known(revision)
    if at != [head()]:
        log.info("state database: migrating to revision %s", head())
        command.upgrade(cfg, "head")


def _versions(connection: Connection) -> list[str]:
    # Read directly: the usual case, already at head, then costs one query and no Alembic context
    # (whose set-up logs two INFO lines at every start).
    return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _check_known(revision: str) -> None:
    """A revision this ccobot does not have would make Alembic fail with a bare "Can't locate"."""
    try:
        script().get_revision(revision)
    except CommandError:
        raise SchemaTooNew(f"the state database is at schema revision {revision}, which a newer ccobot wrote; "
                           f"this one knows up to {head()}: run the newer version") from None
