"""Users who log in to the API and UI. Passwords arrive here already hashed: hashing is the
auth layer's concern (`slipstream.api.auth.passwords`), storing is this module's."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from slipstream.core.exceptions import AirflowBadRequest, AirflowNotFoundException
from slipstream.db.models import User
from slipstream.db.store._sql import rowcount

__all__ = [
    "ROLES",
    "UserEntry",
    "count_users",
    "create_user",
    "delete_user",
    "get_user",
    "list_users",
    "lock_active_admins",
    "record_login",
    "set_password_hash",
    "update_user",
]

ROLES = ("admin", "op", "user", "viewer")
"""The roles, from the most to the least powerful (Airflow's simple auth manager's)."""


@dataclass(frozen=True)
class UserEntry:
    """A user as shown to people (never the password hash)."""

    username: str
    role: str
    email: str | None
    first_name: str | None
    last_name: str | None
    active: bool
    created_at: dt.datetime
    last_login: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def create_user(
    session: Session,
    username: str,
    *,
    role: str,
    password_hash: str,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> UserEntry:
    """Add a user; an existing username or an unknown role is refused."""
    if not username or username != username.strip():
        raise AirflowBadRequest(f"Invalid username {username!r}: it must be non-empty, no spaces")
    role = _valid_role(role)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AirflowBadRequest(f"User {username!r} already exists")
    now = dt.datetime.now(dt.UTC)
    row = User(
        username=username,
        role=role,
        password_hash=password_hash,
        email=email,
        first_name=first_name,
        last_name=last_name,
        active=True,
        created_at=now,
        changed_at=now,
    )
    session.add(row)
    session.flush()
    return _entry(row)


def get_user(session: Session, username: str) -> tuple[UserEntry, str] | None:
    """The user and their password hash, or None."""
    row = session.scalar(select(User).where(User.username == username))
    return None if row is None else (_entry(row), row.password_hash)


def list_users(session: Session) -> list[UserEntry]:
    return [_entry(row) for row in session.scalars(select(User).order_by(User.username))]


def count_users(session: Session, *, role: str | None = None, active: bool | None = None) -> int:
    query = select(func.count(User.id))
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    return int(session.scalar(query) or 0)


def lock_active_admins(session: Session) -> list[str]:
    """The usernames of the active admins, their rows locked until the transaction ends.

    A change that may remove an admin checks this list and writes in the same transaction: on
    PostgreSQL a concurrent change waits for the lock, then reads the admins as they are after
    the first change committed, so two admins demoting each other cannot leave none. SQLite has
    no row locks (SQLAlchemy omits `FOR UPDATE` there) and needs none: `Database.begin` starts
    writes with `BEGIN IMMEDIATE`, one writing transaction at a time.
    """
    query = (
        select(User.username)
        .where(User.role == "admin", User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def delete_user(session: Session, username: str) -> None:
    result = session.execute(delete(User).where(User.username == username))
    if not rowcount(result):
        raise AirflowNotFoundException(f"User {username!r} not found")


def set_password_hash(session: Session, username: str, password_hash: str) -> None:
    result = session.execute(
        update(User)
        .where(User.username == username)
        .values(password_hash=password_hash, changed_at=dt.datetime.now(dt.UTC))
    )
    if not rowcount(result):
        raise AirflowNotFoundException(f"User {username!r} not found")


def update_user(
    session: Session,
    username: str,
    *,
    role: str | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
) -> UserEntry:
    """Change what is given of a user's role, active flag and password hash; an unknown user
    or role is refused."""
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise AirflowNotFoundException(f"User {username!r} not found")
    if role is not None:
        row.role = _valid_role(role)
    if active is not None:
        row.active = active
    if password_hash is not None:
        row.password_hash = password_hash
    row.changed_at = dt.datetime.now(dt.UTC)
    session.flush()
    return _entry(row)


def record_login(session: Session, username: str) -> None:
    session.execute(
        update(User).where(User.username == username).values(last_login=dt.datetime.now(dt.UTC))
    )


def _valid_role(role: str) -> str:
    name = role.strip().lower()
    if name not in ROLES:
        raise AirflowBadRequest(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return name


def _entry(row: User) -> UserEntry:
    return UserEntry(
        username=row.username,
        role=row.role,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        active=row.active,
        created_at=row.created_at,
        last_login=row.last_login,
    )
