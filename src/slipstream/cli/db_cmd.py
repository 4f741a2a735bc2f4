"""`slipstream db migrate | check | reset`, and how every data command opens the database.

Data commands (`variables`, `connections`, `pools`, ...) never migrate: they need a database at
this Slipstream's schema and otherwise stop, saying to run `slipstream db migrate`. Each change
they make is recorded in the audit log in the same transaction, owner the OS user.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from slipstream.config import Config
    from slipstream.db.engine import Database


@click.group(name="db")
def db_group() -> None:
    """Manage the metadata database (`[database] sql_alchemy_conn`)."""


@db_group.command("migrate")
def migrate_db() -> None:
    """Create or upgrade the schema to this Slipstream's version, and `default_pool`.

    Safe to run any number of times, also by several processes at once.
    """
    from slipstream.db import migrate

    _, db = open_cli_database(migrated=False)
    with _database_errors(db):
        before = migrate.current_revision(db) if migrate.database_exists(db) else None
        migrate.migrate(db)
        after = migrate.current_revision(db)
        if before != after:
            with db.begin() as session:
                audit(session, "cli_db_migrate", extra={"from": before, "to": after})
    where = db.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"Database {where} is already at revision {after}.")
    else:
        click.echo(f"Database {where} migrated to revision {after}.")


@db_group.command("check")
def check_db() -> None:
    """Check that the database can be reached and is migrated. Exit code 1 if not."""
    from slipstream.core.exceptions import AirflowException
    from slipstream.db import migrate
    from slipstream.db.session import require_current_schema

    _, db = open_cli_database(migrated=False)
    try:
        require_current_schema(db)
    except AirflowException as err:
        raise click.ClickException(str(err)) from None
    finally:
        db.dispose()
    click.echo(f"Database is reachable and at revision {migrate.head_revision()}.")


@db_group.command("reset")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def reset_db(yes: bool) -> None:
    """Drop every table and all data, then migrate afresh."""
    from slipstream.db import migrate

    _, db = open_cli_database(migrated=False)
    where = db.url.render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"This drops all data in {where}. Proceed?", abort=True)
    with _database_errors(db):
        migrate.reset(db)
        with db.begin() as session:
            audit(session, "cli_db_reset")
    click.echo(f"Database {where} reset to revision {migrate.head_revision()}.")


# -- shared by the data commands ---------------------------------------------------------------


def open_cli_database(*, migrated: bool = True) -> tuple[Config, Database]:
    """The configuration (its home created with `ensure_home`) and the metadata database.

    With `migrated`, stops with a clear message unless the database is at this Slipstream's
    schema (`slipstream db migrate` fixes that).
    """
    from slipstream.config import ensure_home, get_config
    from slipstream.core.exceptions import AirflowException
    from slipstream.db.session import open_database

    try:
        ensure_home(get_config())
        config = get_config()  # reloaded if ensure_home wrote the config file
        return config, open_database(config, require_migrated=migrated)
    except AirflowException as err:
        raise click.ClickException(str(err)) from None


def audit(session: Session, event: str, **fields: Any) -> None:
    """Record a CLI change in the audit log; owner is the OS user running the command."""
    from slipstream.db.store import audit as audit_log

    audit_log.record(session, event, owner=os_user(), **fields)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """Turn store and database errors into clean CLI errors (no traceback)."""
    from sqlalchemy.exc import SQLAlchemyError

    from slipstream.core.exceptions import AirflowException

    try:
        yield
    except AirflowException as err:
        raise click.ClickException(str(err)) from None
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or err).strip()
        raise click.ClickException(f"Database error: {reason}") from None


def extra_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """Audit `extra` without empty fields."""
    return {k: v for k, v in values.items() if v is not None}


@contextlib.contextmanager
def _database_errors(db: Database) -> Iterator[None]:
    try:
        with store_errors():
            yield
    finally:
        db.dispose()
