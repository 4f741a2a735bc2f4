"""The timetable protocol: when a DAG runs and which data interval each run covers.

Mirrors `airflow.timetables.base`. Every datetime a timetable returns is an aware pendulum DateTime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from slipstream.core.exceptions import AirflowException

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator

    from pendulum import DateTime


class TimetableError(AirflowException, ValueError):
    """A schedule is invalid (Airflow's `AirflowTimetableInvalid`); the message names it."""


@dataclass(frozen=True)
class DataInterval:
    """The span of data a DAG run covers; both ends are aware datetimes."""

    start: DateTime
    end: DateTime

    @classmethod
    def exact(cls, at: DateTime) -> DataInterval:
        """An interval holding a single instant, as used by manual and event runs."""
        return cls(at, at)

    def __iter__(self) -> Iterator[DateTime]:
        """Unpack like Airflow's NamedTuple: `start, end = interval`."""
        return iter((self.start, self.end))


@dataclass(frozen=True)
class TimeRestriction:
    """Bounds from the DAG: `earliest`/`latest` are start/end dates (inclusive) and `catchup`."""

    earliest: DateTime | None
    latest: DateTime | None
    catchup: bool

    def __post_init__(self) -> None:
        """Make the bounds aware pendulum DateTimes (a naive bound is taken as UTC)."""
        from slipstream.timetables._time import coerce_datetime

        for field in ("earliest", "latest"):
            value = getattr(self, field)
            if value is not None:
                object.__setattr__(self, field, coerce_datetime(value))


@dataclass(frozen=True)
class DagRunInfo:
    """What a timetable answers: when the next run may start and the interval it covers."""

    run_after: DateTime
    data_interval: DataInterval

    @classmethod
    def exact(cls, at: DateTime) -> DagRunInfo:
        """A run at one instant whose data interval is that instant."""
        return cls(at, DataInterval.exact(at))

    @classmethod
    def interval(cls, start: DateTime, end: DateTime) -> DagRunInfo:
        """A run that starts once its data interval [start, end] has ended."""
        return cls(end, DataInterval(start, end))

    @property
    def logical_date(self) -> DateTime:
        """Airflow's logical date of the run: the start of its data interval."""
        return self.data_interval.start


_REGISTRY: dict[str, type[Timetable]] = {}
_BUILTIN_PREFIX = "slipstream.timetables."


class Timetable:
    """Base of all timetables; subclasses override the scheduling methods.

    Class attributes carry Airflow's meaning: `periodic` (runs repeat), `can_be_scheduled`
    (the scheduler creates runs at all) and `active_runs_limit` (a cap on concurrent runs).
    """

    description: str = ""
    periodic: bool = True
    can_be_scheduled: bool = True
    active_runs_limit: int | None = None
    asset_condition: Any = None
    run_ordering: ClassVar[tuple[str, ...]] = ("data_interval_end", "logical_date")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Register every subclass so `deserialize_timetable` can find it by type name."""
        super().__init_subclass__(**kwargs)
        _REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls
        if cls.__module__.startswith(_BUILTIN_PREFIX) and not cls.__name__.startswith("_"):
            _REGISTRY[cls.__name__] = cls

    @property
    def summary(self) -> str:
        """Short text shown in listings; the class name unless a subclass says better."""
        return type(self).__name__

    @property
    def type_name(self) -> str:
        """The key stored under `__type` when serialized."""
        cls = type(self)
        if _REGISTRY.get(cls.__name__) is cls:
            return cls.__name__
        return f"{cls.__module__}.{cls.__qualname__}"

    def validate(self) -> None:
        """Raise `TimetableError` when the timetable cannot work; the default accepts all."""

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        """The data interval of a run triggered by hand at `run_after`."""
        raise NotImplementedError

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        """The next scheduled run after the last automated one, or None for no run (yet)."""
        raise NotImplementedError

    def serialize(self) -> dict[str, Any]:
        """A JSON-able dict that `deserialize_timetable` turns back into an equal timetable."""
        return {"__type": self.type_name, **self._serialize_fields()}

    def _serialize_fields(self) -> dict[str, Any]:
        return {}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        """Build the timetable from `serialize()` output minus `__type`."""
        return cls()

    def generate_run_id(
        self,
        run_type: Any,
        logical_date: dt.datetime | None = None,
        *,
        run_after: dt.datetime | None = None,
        data_interval: DataInterval | None = None,
        **extra: Any,
    ) -> str:
        """Airflow's run id `<run_type>__<UTC ISO time>`: `scheduled__2024-01-01T00:00:00+00:00`.

        Like Airflow 3 the time is `run_after` when given, else the logical date.
        """
        return make_run_id(run_type, run_after or logical_date or _start_of(data_interval))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.summary))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.summary!r})"


def _start_of(interval: DataInterval | None) -> DateTime | None:
    return None if interval is None else interval.start


def make_run_id(run_type: Any, when: dt.datetime | None) -> str:
    """`<run_type>__<when in UTC, ISO 8601>`; run_type may be a string or a string enum."""
    from slipstream.timetables._time import to_utc

    if when is None:
        raise ValueError("a run id needs run_after, a logical date or a data interval")
    kind = getattr(run_type, "value", run_type)
    return f"{kind}__{to_utc(when).isoformat()}"


def lookup_timetable_class(type_name: str) -> type[Timetable]:
    """Find a registered timetable class by its serialized type name (Airflow paths accepted)."""
    cls = _REGISTRY.get(type_name)
    if cls is None and "." in type_name:
        short = type_name.rsplit(".", 1)[1]
        found = _REGISTRY.get(short)
        if found is not None and found.__module__.startswith(_BUILTIN_PREFIX):
            cls = found
    if cls is None:
        raise TimetableError(f"unknown timetable type {type_name!r}")
    return cls
