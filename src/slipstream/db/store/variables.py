"""Variables in the metadata database, their values encrypted with the Fernet key(s) of
`[core] fernet_key` (`slipstream.config.fernet`), and `DbSecretsBackend`, which serves variables
and connections to running tasks from here.

Values are strings, as in Airflow; `import_variables` stores non-string values as JSON. Rows
written by other tools with `is_encrypted` false are read as plain text. Functions that encrypt or
decrypt take the `Config` whose key to use (default: `get_config()`). The REST API reads them as
`StoredVariable`s, a page at a time (`find_variables`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Select, String, cast, delete, null, select
from sqlalchemy.orm import Session

from slipstream.core.exceptions import AirflowBadRequest
from slipstream.db.models import ID_LENGTH, Variable
from slipstream.db.store import AlreadyExistsError, text_patterns
from slipstream.db.store._crypto import decrypt, encrypt
from slipstream.db.store._sql import rowcount, upsert
from slipstream.db.store.paging import Page, paged, total_of

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.db.engine import Database

__all__ = [
    "ORDER_FIELDS",
    "DbSecretsBackend",
    "ImportResult",
    "StoredVariable",
    "VariableEntry",
    "add_variable",
    "delete_variable",
    "existing_variable_keys",
    "export_variables",
    "find_variables",
    "get_stored_variable",
    "get_variable",
    "get_variable_entry",
    "import_variables",
    "list_variables",
    "set_variable",
]

OnExisting = Literal["overwrite", "skip", "fail"]

ORDER_FIELDS: dict[str, Any] = {
    "key": Variable.key,
    "id": Variable.id,
    "_val": Variable.val,
    "description": Variable.description,
    "is_encrypted": Variable.is_encrypted,
    "team_name": cast(null(), String),  # no teams here: every variable has none
}
"""What `find_variables` sorts by: Airflow's API field names and their columns."""


@dataclass(frozen=True)
class VariableEntry:
    """A variable as users see it (Airflow's API field names)."""

    key: str
    value: str | None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoredVariable:
    """A variable as the REST API shows it: its value decrypted and whether it is stored
    encrypted."""

    key: str
    value: str | None
    description: str | None
    is_encrypted: bool


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    updated: list[str]
    skipped: list[str]


def get_variable(session: Session, key: str, *, config: Config | None = None) -> str | None:
    """The value of variable `key`, or None when there is none."""
    entry = get_variable_entry(session, key, config=config)
    return None if entry is None else entry.value


def get_variable_entry(
    session: Session, key: str, *, config: Config | None = None
) -> VariableEntry | None:
    row = session.execute(
        select(Variable.key, Variable.val, Variable.description, Variable.is_encrypted).where(
            Variable.key == key
        )
    ).one_or_none()
    return None if row is None else _entry(row, config)


def set_variable(
    session: Session,
    key: str,
    value: str,
    description: str | None = None,
    *,
    config: Config | None = None,
) -> bool:
    """Create or replace variable `key` (its description too, as Airflow does). True when it was
    created, False when it replaced a value."""
    _validate_key(key)
    if not isinstance(value, str):
        raise AirflowBadRequest(f"variable {key!r}: the value must be a string, got {value!r}")
    existed = session.scalar(select(Variable.id).where(Variable.key == key)) is not None
    values = {
        "key": key,
        "val": encrypt(value, config),
        "description": description,
        "is_encrypted": True,
    }
    upsert(session, Variable.__table__, values, key=["key"])  # type: ignore[arg-type]
    return not existed


def add_variable(
    session: Session,
    key: str,
    value: str,
    description: str | None = None,
    *,
    config: Config | None = None,
) -> None:
    """Create variable `key`; `AlreadyExistsError` when the key is taken."""
    if existing_variable_keys(session, [key]):
        raise AlreadyExistsError(f"The Variable with key: `{key}` already exists")
    set_variable(session, key, value, description, config=config)


def get_stored_variable(
    session: Session, key: str, *, config: Config | None = None
) -> StoredVariable | None:
    """Variable `key` with its value decrypted, or None."""
    row = session.execute(_stored_columns().where(Variable.key == key)).one_or_none()
    return None if row is None else _stored(row, config)


def find_variables(
    session: Session,
    page: Page,
    *,
    pattern: str | None = None,
    prefix: str | None = None,
    config: Config | None = None,
) -> tuple[list[StoredVariable], int]:
    """One page of the variables whose keys match `pattern` / `prefix` (Airflow's
    `variable_key_pattern` / `variable_key_prefix_pattern`), and how many match in all.

    The page sorts by the names of `ORDER_FIELDS`, then by id.
    """
    query = _stored_columns().where(*text_patterns.conditions(Variable.key, pattern, prefix))
    total = total_of(query, session)
    rows = session.execute(paged(query, page, ORDER_FIELDS, tiebreak=Variable.id))
    return [_stored(row, config) for row in rows], total


def existing_variable_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Those of `keys` that name a stored variable."""
    wanted = list(set(keys))
    if not wanted:
        return set()
    return set(session.scalars(select(Variable.key).where(Variable.key.in_(wanted))))


def delete_variable(session: Session, key: str) -> bool:
    """Delete variable `key`; False when there was none."""
    result = session.execute(delete(Variable).where(Variable.key == key))
    return bool(rowcount(result))


def list_variables(session: Session, *, config: Config | None = None) -> list[VariableEntry]:
    """Every variable, by key, values decrypted."""
    rows = session.execute(
        select(Variable.key, Variable.val, Variable.description, Variable.is_encrypted).order_by(
            Variable.key
        )
    )
    return [_entry(row, config) for row in rows]


def import_variables(
    session: Session,
    data: Mapping[str, Any],
    *,
    on_existing: OnExisting = "overwrite",
    config: Config | None = None,
) -> ImportResult:
    """Store the variables of an import file's content (Airflow's format).

    `data` maps keys to values; a value that is not a string is stored as JSON, and a mapping
    with a `"value"` key gives the value and its `"description"`. Existing keys are overwritten,
    skipped, or (`"fail"`) make the whole import fail before anything is written.
    """
    entries = {key: _import_entry(key, item) for key, item in data.items()}
    existing = set(
        session.scalars(select(Variable.key).where(Variable.key.in_(list(entries)))).all()
    )
    if on_existing == "fail" and existing:
        raise AirflowBadRequest(f"these variables already exist: {sorted(existing)}")
    result = ImportResult(created=[], updated=[], skipped=[])
    for key, (value, description) in entries.items():
        if key in existing and on_existing == "skip":
            result.skipped.append(key)
            continue
        set_variable(session, key, value, description, config=config)
        (result.updated if key in existing else result.created).append(key)
    return result


def export_variables(session: Session, *, config: Config | None = None) -> dict[str, Any]:
    """Every variable in the form `import_variables` reads back to the same values.

    A value that is JSON of something other than a string is exported decoded; a variable with a
    description (or whose value would read as one) is exported as `{"value", "description"}`.
    """
    exported: dict[str, Any] = {}
    for entry in list_variables(session, config=config):
        value: Any = entry.value
        try:
            decoded = json.loads(value) if value is not None else None
        except ValueError:
            decoded = None
        if decoded is not None and not isinstance(decoded, str):
            value = decoded
        if entry.description or (isinstance(value, dict) and "value" in value):
            exported[entry.key] = {"value": value, "description": entry.description}
        else:
            exported[entry.key] = value
    return exported


class DbSecretsBackend:
    """The runtime backend (`slipstream.sdk.secrets.RuntimeBackend`) over the metadata database:
    what the task supervisor installs so tasks read and write variables and connections.

    Each call is its own short transaction. `config` gives the Fernet key (default: the
    process's configuration).
    """

    def __init__(self, db: Database, config: Config | None = None) -> None:
        self.db = db
        self.config = config

    def __repr__(self) -> str:
        return f"DbSecretsBackend({self.db.url.render_as_string(hide_password=True)!r})"

    def get_variable(self, key: str) -> str | None:
        with self.db.session() as session:
            return get_variable(session, key, config=self.config)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.db.run_write(set_variable, key, value, description, config=self.config)

    def delete_variable(self, key: str) -> None:
        self.db.run_write(delete_variable, key)

    def get_connection(self, conn_id: str) -> dict[str, Any] | None:
        from slipstream.db.store.connections import get_connection

        with self.db.session() as session:
            conn = get_connection(session, conn_id, config=self.config)
        return None if conn is None else conn.as_dict()


def _entry(row: Any, config: Config | None) -> VariableEntry:
    key, val, description, is_encrypted = row
    if val is not None and is_encrypted:
        val = decrypt(val, f"variable {key!r}", config)
    return VariableEntry(key=key, value=val, description=description)


_STORED_COLUMNS: tuple[Any, ...] = (
    Variable.key,
    Variable.val,
    Variable.description,
    Variable.is_encrypted,
)


def _stored_columns() -> Select[Any]:
    return select(*_STORED_COLUMNS)


def _stored(row: Any, config: Config | None) -> StoredVariable:
    entry = _entry(row, config)
    return StoredVariable(entry.key, entry.value, entry.description, bool(row.is_encrypted))


def _import_entry(key: str, item: Any) -> tuple[str, str | None]:
    description = None
    if isinstance(item, Mapping) and "value" in item:
        item, description = item["value"], item.get("description")
    value = item if isinstance(item, str) else json.dumps(item)
    return value, description


def _validate_key(key: str) -> None:
    if not isinstance(key, str) or not key.strip():
        raise AirflowBadRequest("a variable needs a key")
    if len(key) > ID_LENGTH:
        raise AirflowBadRequest(f"variable key is longer than {ID_LENGTH} characters: {key!r}")
