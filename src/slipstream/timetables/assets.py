"""Asset-driven timetables: runs start when upstream assets are updated.

The asset condition is opaque here: any object with `.evaluate(statuses) -> bool` and
`.serialize() -> dict` (the SDK's `Asset`, `AssetAll`, ...). This module never imports the SDK;
a serialized condition comes back as `SerializedAssetCondition`, which evaluates the dict form
(`{"__type": "asset"|"asset_alias"|"asset_all"|"asset_any", ...}`) directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slipstream.timetables import _time
from slipstream.timetables.base import (
    DagRunInfo,
    DataInterval,
    Timetable,
    TimetableError,
    make_run_id,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator

    from pendulum import DateTime

    from slipstream.timetables.base import TimeRestriction

ASSET_TRIGGERED = "asset_triggered"


def is_asset_like(value: object) -> bool:
    """Duck-typed check for an asset condition (has `evaluate`)."""
    return callable(getattr(value, "evaluate", None))


class AllOf:
    """Minimal AND of asset conditions, used for `schedule=[a, b]` when no combiner is given."""

    def __init__(self, *objects: Any) -> None:
        self.objects = objects

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        return all(o.evaluate(statuses) for o in self.objects)

    def iter_assets(self) -> Iterator[Any]:
        for obj in self.objects:
            yield from getattr(obj, "iter_assets", tuple)()

    def serialize(self) -> dict[str, Any]:
        return {"__type": "asset_all", "objects": [o.serialize() for o in self.objects]}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AllOf) and self.objects == other.objects

    def __hash__(self) -> int:
        return hash(self.objects)

    def __repr__(self) -> str:
        return f"AllOf({', '.join(map(repr, self.objects))})"


class SerializedAssetCondition:
    """An asset condition rebuilt from its dict form, evaluable without the SDK."""

    def __init__(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict) or data.get("__type") not in _EVALUATORS:
            raise TimetableError(f"not a serialized asset condition: {data!r}")
        self.data = data

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        return _evaluate(self.data, statuses)

    def serialize(self) -> dict[str, Any]:
        return self.data

    def iter_assets(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """`(uri, asset dict)` for every asset in the condition, first occurrence only."""
        seen: set[str] = set()
        stack = [self.data]
        while stack:
            node = stack.pop(0)
            if node["__type"] == "asset" and node["uri"] not in seen:
                seen.add(node["uri"])
                yield node["uri"], node
            stack[:0] = node.get("objects", [])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SerializedAssetCondition) and self.data == other.data

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SerializedAssetCondition({self.data!r})"


def _evaluate(data: dict[str, Any], statuses: dict[str, bool]) -> bool:
    return _EVALUATORS[data["__type"]](data, statuses)


_EVALUATORS: dict[str, Callable[[dict[str, Any], dict[str, bool]], bool]] = {
    "asset": lambda d, s: bool(s.get(d["uri"], False)),
    "asset_alias": lambda d, s: bool(s.get(d["name"], False)),
    "asset_all": lambda d, s: all(_evaluate(o, s) for o in d["objects"]),
    "asset_any": lambda d, s: any(_evaluate(o, s) for o in d["objects"]),
}

ConditionDecoder = Callable[[dict[str, Any]], Any]


def as_condition(assets: Any, combine_all: Callable[..., Any] | None = None) -> Any:
    """One condition from an asset-like object or a collection of them (all must update)."""
    if is_asset_like(assets):
        return assets
    if isinstance(assets, Iterable) and not isinstance(assets, str | bytes | dict):
        items = list(assets)
        bad = [item for item in items if not is_asset_like(item)]
        if bad:
            raise TimetableError(
                f"All elements in 'schedule' should be assets or asset aliases: {bad[0]!r} "
                f"in {assets!r} is not"
            )
        return (combine_all or AllOf)(*items)
    raise TimetableError(f"{assets!r} is not an asset or a collection of assets")


class AssetTriggeredTimetable(Timetable):
    """`schedule=<assets>`: never time-scheduled; a run starts when the condition holds."""

    periodic = False
    run_ordering = ("logical_date",)
    description = "Triggered by assets"

    def __init__(
        self,
        condition: Any,
        *,
        batch_asset_events: bool = True,
        combine_all: Callable[..., Any] | None = None,
    ) -> None:
        self.asset_condition = as_condition(condition, combine_all)
        self.batch_asset_events = batch_asset_events

    @property
    def summary(self) -> str:
        return "Asset"

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        """Whether the assets updated so far (`{uri or alias name: updated}`) call for a run."""
        return bool(self.asset_condition.evaluate(statuses))

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        return DataInterval.exact(_time.coerce_datetime(run_after))

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        return None

    def generate_run_id(
        self,
        run_type: Any,
        logical_date: dt.datetime | None = None,
        *,
        run_after: dt.datetime | None = None,
        data_interval: DataInterval | None = None,
        **extra: Any,
    ) -> str:
        """Like the base, but falls back to the data interval start before the logical date."""
        start = data_interval.start if data_interval is not None else None
        return make_run_id(run_type, run_after or start or logical_date)

    def _serialize_fields(self) -> dict[str, Any]:
        return {
            "asset_condition": self.asset_condition.serialize(),
            "batch_asset_events": self.batch_asset_events,
        }

    @classmethod
    def deserialize(
        cls, data: dict[str, Any], condition_decoder: ConditionDecoder | None = None
    ) -> Timetable:
        decode = condition_decoder or SerializedAssetCondition
        return cls(
            decode(data["asset_condition"]),
            batch_asset_events=data.get("batch_asset_events", True),
        )


class AssetOrTimeSchedule(AssetTriggeredTimetable):
    """Run on the wrapped timetable's schedule *and* whenever the asset condition holds."""

    def __init__(
        self,
        *,
        timetable: Timetable,
        assets: Any,
        combine_all: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(assets, combine_all=combine_all)
        self.timetable = timetable
        self.description = f"Triggered by assets or {timetable.description}"
        self.periodic = timetable.periodic
        self.can_be_scheduled = timetable.can_be_scheduled
        self.active_runs_limit = timetable.active_runs_limit

    @property
    def summary(self) -> str:
        return f"Asset or {self.timetable.summary}"

    def validate(self) -> None:
        if isinstance(self.timetable, AssetTriggeredTimetable):
            raise TimetableError("AssetOrTimeSchedule cannot wrap another asset timetable")
        self.timetable.validate()

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        return self.timetable.infer_manual_data_interval(run_after)

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        return self.timetable.next_dagrun_info(last_automated_data_interval, restriction)

    def generate_run_id(self, run_type: Any, *args: Any, **kwargs: Any) -> str:
        """Asset-triggered runs are named as such; time-triggered ones by the inner timetable."""
        if getattr(run_type, "value", run_type) == ASSET_TRIGGERED:
            return super().generate_run_id(run_type, *args, **kwargs)
        return self.timetable.generate_run_id(run_type, *args, **kwargs)

    def _serialize_fields(self) -> dict[str, Any]:
        from slipstream.timetables.factory import encode_timetable

        return {
            "asset_condition": self.asset_condition.serialize(),
            "timetable": encode_timetable(self.timetable),
        }

    @classmethod
    def deserialize(
        cls, data: dict[str, Any], condition_decoder: ConditionDecoder | None = None
    ) -> Timetable:
        from slipstream.timetables.factory import deserialize_timetable

        decode = condition_decoder or SerializedAssetCondition
        return cls(
            timetable=deserialize_timetable(data["timetable"], condition_decoder=condition_decoder),
            assets=decode(data["asset_condition"]),
        )
