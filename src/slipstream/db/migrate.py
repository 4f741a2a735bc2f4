"""Bringing a metadata database's schema to the version this Slipstream needs, from code.

Alembic runs in-process on the migrations shipped in the package (`db/migrations/`); users need
no `alembic.ini`. A database with no tables at all is created from the models at the newest
revision instead (as Airflow's `initdb` does), without importing Alembic: a fresh home is ready
sooner, and tests keep the models and the migrations in sync. A migration is one transaction
that first takes a lock, so any number of processes may call `migrate` at once: the first does
the work, the others wait and then find nothing to do. On SQLite the lock is the database's
write lock (`BEGIN IMMEDIATE`); on PostgreSQL a transaction-scoped advisory lock (DDL there is
transactional too).

Developers add a migration with `python -m slipstream.db.migrate revision "message"` (see
`migrations/env.py`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from slipstream.db.engine import WRITE_OPTION, Database

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

__all__ = [
    "HEAD_REVISION",
    "MIGRATIONS",
    "check",
    "current_revision",
    "database_exists",
    "head_revision",
    "migrate",
    "reset",
]

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD_REVISION = "0006"
"""The newest revision in `migrations/versions`, kept here so checking a database's schema needs
no Alembic import (a test keeps it equal to Alembic's head: bump it with each migration)."""
VERSION_TABLE = "alembic_version"
PG_ADVISORY_LOCK_KEY = 0x5_11B_57E4  # any constant shared by every Slipstream process


def migrate(db: Database, *, default_pool_slots: int | None = None) -> None:
    """Upgrade the schema to the newest revision and create `default_pool` if it is missing.

    Idempotent, and safe when several processes migrate the same database at once.
    `default_pool_slots` defaults to `core.default_pool_task_slot_count`; it only applies when
    the pool is created, so a size set by users is kept.
    """
    slots = _default_pool_slots() if default_pool_slots is None else default_pool_slots
    with _migration_transaction(db) as connection:
        revision = _revision_of(connection)
        if revision is None and not inspect(connection).get_table_names():
            _create_at_head(connection)
        elif revision != HEAD_REVISION:  # at head, Alembic is not even imported
            _upgrade(connection)
        _ensure_default_pool(connection, slots)


def reset(db: Database, *, default_pool_slots: int | None = None) -> None:
    """Drop every table (ours, Alembic's and any other in the schema), then migrate afresh.

    All data is lost. Runs as one transaction under the migration lock.
    """
    slots = _default_pool_slots() if default_pool_slots is None else default_pool_slots
    with _migration_transaction(db) as connection:
        existing = MetaData()
        existing.reflect(connection)
        existing.drop_all(connection)
        _create_at_head(connection)
        _ensure_default_pool(connection, slots)


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with db.engine.connect() as connection:
        return _revision_of(connection)


def _revision_of(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revision: str | None = connection.execute(
        text(f"SELECT version_num FROM {VERSION_TABLE}")
    ).scalar()
    return revision


def head_revision() -> str:
    """The newest revision shipped with this Slipstream (`HEAD_REVISION`)."""
    return HEAD_REVISION


def check(db: Database) -> bool:
    """Whether the database can be reached and is at the newest revision (never raises for an
    unreachable or unmigrated database; a missing SQLite file is not created)."""
    if not database_exists(db):
        return False
    try:
        return current_revision(db) == head_revision()
    except SQLAlchemyError:
        return False


def database_exists(db: Database) -> bool:
    """False only for a SQLite file that does not exist (a server database is assumed to)."""
    path = db.url.database if db.is_sqlite else None
    return not path or path == ":memory:" or os.path.exists(path)


# -- internals ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _migration_transaction(db: Database) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock; committed on success."""
    with db.engine.connect() as connection:
        if db.is_sqlite:
            with _sqlite_foreign_keys_off(connection):
                writer = connection.execution_options(**{WRITE_OPTION: True})
                with writer.begin():  # BEGIN IMMEDIATE: the database's write lock
                    yield writer
                    violations = writer.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if violations:
                        raise RuntimeError(f"migration broke foreign keys: {violations[:5]}")
        else:
            with connection.begin():
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_ADVISORY_LOCK_KEY}
                )
                yield connection


@contextlib.contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite enforces (and cascades) foreign keys while Alembic rebuilds a table in batch mode;
    the pragma only takes effect outside a transaction, so it is set on the raw connection."""
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        try:
            raw.execute("PRAGMA foreign_keys=ON")
        except Exception:
            connection.invalidate()
            raise


def _alembic_config(connection: Connection) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _create_at_head(connection: Connection) -> None:
    """Every table of the models, and Alembic's version table saying they are at head."""
    from sqlalchemy import Column, PrimaryKeyConstraint, String, Table

    from slipstream.db.models import Base

    Base.metadata.create_all(connection)
    version = Table(
        VERSION_TABLE,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )
    version.create(connection)
    connection.execute(version.insert().values(version_num=HEAD_REVISION))


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), "head")


def _ensure_default_pool(connection: Connection, slots: int) -> None:
    from slipstream.db.store import pools

    with Session(bind=connection) as session:
        pools.ensure_default_pool(session, slots)
        session.flush()


def _default_pool_slots() -> int:
    from slipstream.config import get_config

    return get_config().getint("core", "default_pool_task_slot_count")


# -- developer tool ----------------------------------------------------------------------------


def _new_revision(message: str) -> None:
    """Autogenerate `versions/NNNN_<message>.py` from the models against a database at head."""
    from alembic import command

    versions = sorted(p for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))
    rev_id = f"{len(versions) + 1:04d}"
    ruff = str(Path(sys.executable).with_name("ruff"))
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/revision.db")
        try:
            with _migration_transaction(db) as connection:
                if versions:
                    _upgrade(connection)
                config = _alembic_config(connection)
                config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
                config.set_section_option("post_write_hooks", "hooks", "format,fix")
                for name, args in (("format", "format"), ("fix", "check --fix --quiet")):
                    config.set_section_option("post_write_hooks", f"{name}.type", "exec")
                    config.set_section_option("post_write_hooks", f"{name}.executable", ruff)
                    config.set_section_option(
                        "post_write_hooks", f"{name}.options", f"{args} REVISION_SCRIPT_FILENAME"
                    )
                command.revision(config, message, autogenerate=True, rev_id=rev_id)
        finally:
            db.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m slipstream.db.migrate revision "what changed"')
    _new_revision(sys.argv[2])
