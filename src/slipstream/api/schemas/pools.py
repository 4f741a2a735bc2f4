"""Shapes of `/api/v2/pools` (Airflow's `PoolBody`, `PoolPatchBody`, `PoolResponse`,
`PoolCollectionResponse`). Slots of -1 make a pool unlimited."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from slipstream.api.schemas.teams import TeamName
from slipstream.db.store.pools import MAX_SLOTS, NAME_LENGTH, UNLIMITED

Slots = Annotated[
    int, Field(ge=UNLIMITED, le=MAX_SLOTS, description="Number of slots. Use -1 for unlimited.")
]


class PoolBody(BaseModel):
    """A pool to create (or, in a bulk request, update)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_LENGTH)
    slots: Slots
    description: str | None = None
    include_deferred: bool = False
    team_name: TeamName = None


class PoolPatchBody(BaseModel):
    """The fields of a pool to change; `pool` (its name) may be given but not changed."""

    model_config = ConfigDict(extra="forbid")

    pool: str | None = None
    slots: Slots | None = None
    description: str | None = None
    include_deferred: bool | None = None
    team_name: TeamName = None


class PoolResponse(BaseModel):
    """A pool and the slots its task instances take, by state."""

    name: str
    slots: int
    description: str | None
    include_deferred: bool
    occupied_slots: int
    running_slots: int
    queued_slots: int
    scheduled_slots: int
    deferred_slots: int
    open_slots: int
    team_name: str | None = None


class PoolCollectionResponse(BaseModel):
    pools: list[PoolResponse]
    total_entries: int
