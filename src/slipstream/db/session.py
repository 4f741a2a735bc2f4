"""Opening the metadata database a configuration names (`[database] sql_alchemy_conn`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from slipstream.core.exceptions import AirflowException
from slipstream.db.engine import Database

if TYPE_CHECKING:
    from slipstream.config import Config

__all__ = ["SchemaNotCurrentError", "open_database", "require_current_schema"]


class SchemaNotCurrentError(AirflowException):
    """The database cannot be reached, was never migrated, or is at another schema revision."""


def open_database(config: Config | None = None, *, require_migrated: bool = False) -> Database:
    """The metadata database of `config` (default: `get_config()`).

    Connects lazily. With `require_migrated`, first checks that the schema is the one this
    Slipstream needs and raises `SchemaNotCurrentError` (saying to run `slipstream db migrate`)
    otherwise.
    """
    if config is None:
        from slipstream.config import get_config

        config = get_config()
    db = Database(
        config.get("database", "sql_alchemy_conn"),
        pool_size=config.getint("database", "sql_alchemy_pool_size"),
    )
    if require_migrated:
        try:
            require_current_schema(db)
        except SchemaNotCurrentError:
            db.dispose()
            raise
    return db


def require_current_schema(db: Database) -> None:
    """Raise `SchemaNotCurrentError` unless `db` is reachable and at the newest revision."""
    from slipstream.db import migrate

    where = db.url.render_as_string(hide_password=True)
    if migrate.check(db):
        return
    try:
        current = migrate.current_revision(db) if migrate.database_exists(db) else None
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or err).strip()
        raise SchemaNotCurrentError(
            f"Cannot reach the metadata database {where}: {reason}"
        ) from None
    head = migrate.head_revision()
    if current is None:
        state = "has not been migrated yet"
    else:
        state = f"is at schema revision {current}, this Slipstream needs {head}"
    raise SchemaNotCurrentError(
        f"The metadata database {where} {state}. Run `slipstream db migrate`."
    )
