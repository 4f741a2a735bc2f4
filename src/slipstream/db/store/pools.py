"""Pools: named numbers of slots that limit how many task instances run at once.

A task instance occupies `pool_slots` slots of its pool while it is queued or running (and while
deferred, for pools with `include_deferred`). `default_pool` always exists (created by
`slipstream.db.migrate`) and cannot be deleted. A pool of `-1` slots is unlimited, as in Airflow.
The REST API lists pools a page at a time (`find_pools`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, select
from sqlalchemy.orm import Session

from slipstream.core.exceptions import AirflowBadRequest
from slipstream.core.states import TaskInstanceState
from slipstream.db.models import Pool, TaskInstance
from slipstream.db.store import AlreadyExistsError, text_patterns
from slipstream.db.store._sql import rowcount, upsert
from slipstream.db.store.paging import Page, paged, total_of

__all__ = [
    "DEFAULT_POOL",
    "ORDER_FIELDS",
    "UNLIMITED",
    "PoolInfo",
    "add_pool",
    "delete_pool",
    "ensure_default_pool",
    "existing_pool_names",
    "find_pools",
    "get_pool",
    "list_pools",
    "pool_usage",
    "set_pool",
]

DEFAULT_POOL = "default_pool"
UNLIMITED = -1
NAME_LENGTH = 256
MAX_SLOTS = 2**31 - 1  # the largest the `slots` column holds

ORDER_FIELDS: dict[str, Any] = {"id": Pool.id, "pool": Pool.pool, "name": Pool.pool}
"""What `find_pools` sorts by: Airflow's API field names and their columns."""

_COUNTED = (
    TaskInstanceState.RUNNING,
    TaskInstanceState.QUEUED,
    TaskInstanceState.SCHEDULED,
    TaskInstanceState.DEFERRED,
)


@dataclass(frozen=True)
class PoolInfo:
    """A pool with the slots its task instances take now, by state."""

    name: str
    slots: int
    description: str | None = None
    include_deferred: bool = False
    running_slots: int = 0
    queued_slots: int = 0
    scheduled_slots: int = 0
    deferred_slots: int = 0

    @property
    def occupied_slots(self) -> int:
        """Slots taken: running and queued task instances (and deferred ones, if counted)."""
        deferred = self.deferred_slots if self.include_deferred else 0
        return self.running_slots + self.queued_slots + deferred

    @property
    def open_slots(self) -> int:
        """Slots free now (never below 0); `-1` for an unlimited pool."""
        if self.slots == UNLIMITED:
            return UNLIMITED
        return max(self.slots - self.occupied_slots, 0)

    def to_dict(self) -> dict[str, Any]:
        """The fields of Airflow's pool API object."""
        data = asdict(self)
        data["occupied_slots"] = self.occupied_slots
        data["open_slots"] = self.open_slots
        return data


def set_pool(
    session: Session,
    name: str,
    slots: int,
    description: str | None = None,
    *,
    include_deferred: bool = False,
) -> None:
    """Create pool `name` or update its slots, description and `include_deferred`."""
    _validate(name, slots)
    values = {
        "pool": name,
        "slots": slots,
        "description": description,
        "include_deferred": include_deferred,
    }
    upsert(session, Pool.__table__, values, key=["pool"])  # type: ignore[arg-type]


def add_pool(
    session: Session,
    name: str,
    slots: int,
    description: str | None = None,
    *,
    include_deferred: bool = False,
) -> None:
    """Create pool `name`; `AlreadyExistsError` when the name is taken."""
    _validate(name, slots)
    if existing_pool_names(session, [name]):
        raise AlreadyExistsError(f"The Pool with name: `{name}` already exists")
    set_pool(session, name, slots, description, include_deferred=include_deferred)


def ensure_default_pool(session: Session, slots: int) -> None:
    """Create `default_pool` with `slots` slots unless it exists (its size is then kept)."""
    _validate(DEFAULT_POOL, slots)
    values = {
        "pool": DEFAULT_POOL,
        "slots": slots,
        "description": "Default pool",
        "include_deferred": False,
    }
    upsert(session, Pool.__table__, values, key=["pool"], update=[])  # type: ignore[arg-type]


def get_pool(session: Session, name: str) -> PoolInfo | None:
    """Pool `name` with its usage, or None."""
    row = session.execute(_usage_query().where(Pool.pool == name)).one_or_none()
    return None if row is None else _info(row)


def list_pools(session: Session) -> list[PoolInfo]:
    """Every pool with its usage, by name (one query)."""
    return [_info(row) for row in session.execute(_usage_query().order_by(Pool.pool))]


def find_pools(
    session: Session, page: Page, *, pattern: str | None = None, prefix: str | None = None
) -> tuple[list[PoolInfo], int]:
    """One page of the pools whose names match `pattern` / `prefix` (Airflow's
    `pool_name_pattern` / `pool_name_prefix_pattern`) with their usage, and how many match in
    all. The page sorts by the names of `ORDER_FIELDS`, then by id."""
    query = _usage_query().where(*text_patterns.conditions(Pool.pool, pattern, prefix))
    total = total_of(query, session)
    rows = session.execute(paged(query, page, ORDER_FIELDS, tiebreak=Pool.id))
    return [_info(row) for row in rows], total


def existing_pool_names(session: Session, names: Iterable[str]) -> set[str]:
    """Those of `names` that name a pool."""
    wanted = list(set(names))
    if not wanted:
        return set()
    return set(session.scalars(select(Pool.pool).where(Pool.pool.in_(wanted))))


def delete_pool(session: Session, name: str) -> bool:
    """Delete pool `name`; False when there was none. `default_pool` cannot be deleted."""
    if name == DEFAULT_POOL:
        raise AirflowBadRequest(f"{DEFAULT_POOL} cannot be deleted")
    return bool(rowcount(session.execute(delete(Pool).where(Pool.pool == name))))


def pool_usage(session: Session) -> dict[str, tuple[int, int]]:
    """`{pool: (slots, occupied_slots)}` for every pool (one query); slots `-1` is unlimited."""
    return {info.name: (info.slots, info.occupied_slots) for info in list_pools(session)}


def _usage_query() -> Select[Any]:
    ti = TaskInstance

    def slots_in(state: TaskInstanceState) -> Any:
        return func.coalesce(func.sum(case((ti.state == state.value, ti.pool_slots), else_=0)), 0)

    pool_columns = (Pool.pool, Pool.slots, Pool.description, Pool.include_deferred)
    return (
        select(
            *pool_columns,
            slots_in(TaskInstanceState.RUNNING),
            slots_in(TaskInstanceState.QUEUED),
            slots_in(TaskInstanceState.SCHEDULED),
            slots_in(TaskInstanceState.DEFERRED),
        )
        .outerjoin(ti, and_(ti.pool == Pool.pool, ti.state.in_([s.value for s in _COUNTED])))
        .group_by(Pool.id, *pool_columns)
    )


def _info(row: Any) -> PoolInfo:
    name, slots, description, include_deferred, running, queued, scheduled, deferred = row
    return PoolInfo(
        name=name,
        slots=slots,
        description=description,
        include_deferred=bool(include_deferred),
        running_slots=int(running),
        queued_slots=int(queued),
        scheduled_slots=int(scheduled),
        deferred_slots=int(deferred),
    )


def _validate(name: str, slots: int) -> None:
    if not name or not name.strip():
        raise AirflowBadRequest("a pool needs a name")
    if len(name) > NAME_LENGTH:
        raise AirflowBadRequest(f"pool name is longer than {NAME_LENGTH} characters: {name!r}")
    if isinstance(slots, bool) or not isinstance(slots, int) or not UNLIMITED <= slots <= MAX_SLOTS:
        raise AirflowBadRequest(
            f"pool {name!r}: slots must be a whole number from 0 to {MAX_SLOTS} "
            f"(or -1: unlimited), got {slots!r}"
        )
