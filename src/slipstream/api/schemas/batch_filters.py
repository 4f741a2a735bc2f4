"""The range filters that the listings sent as POST (`POST /dags/~/dagRuns/list`,
`POST /dags/~/dagRuns/~/taskInstances/list`) take in their bodies: `<field>_gte`, `_gt`,
`_lte` and `_lt` on a run's dates and a duration."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from slipstream.db.store.ranges import Bounds

RANGE_FIELDS = ("run_after", "logical_date", "start_date", "end_date", "duration")


class RangeFilters(BaseModel):
    """Bounds on times (with a zone) and durations (seconds); every one optional."""

    model_config = ConfigDict(extra="forbid")

    run_after_gte: AwareDatetime | None = None
    run_after_gt: AwareDatetime | None = None
    run_after_lte: AwareDatetime | None = None
    run_after_lt: AwareDatetime | None = None
    logical_date_gte: AwareDatetime | None = None
    logical_date_gt: AwareDatetime | None = None
    logical_date_lte: AwareDatetime | None = None
    logical_date_lt: AwareDatetime | None = None
    start_date_gte: AwareDatetime | None = None
    start_date_gt: AwareDatetime | None = None
    start_date_lte: AwareDatetime | None = None
    start_date_lt: AwareDatetime | None = None
    end_date_gte: AwareDatetime | None = None
    end_date_gt: AwareDatetime | None = None
    end_date_lte: AwareDatetime | None = None
    end_date_lt: AwareDatetime | None = None
    duration_gte: float | None = None
    duration_gt: float | None = None
    duration_lte: float | None = None
    duration_lt: float | None = None

    def bounds(self, name: str) -> Bounds:
        """The bounds on `name` (one of `RANGE_FIELDS`)."""
        return Bounds(*(getattr(self, f"{name}_{side}") for side in ("gte", "gt", "lte", "lt")))
