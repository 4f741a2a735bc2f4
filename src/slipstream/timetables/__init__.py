"""Schedule math: when DAG runs happen and which data interval each covers (Airflow 3 semantics).

Pure and light: names are loaded on first use, so `import slipstream.timetables` costs almost
nothing; croniter, pendulum and dateutil are only imported when a schedule is computed.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # not `from typing import ...`: keeps this import free of `typing`
if TYPE_CHECKING:
    from slipstream.timetables._cron import CRON_PRESETS
    from slipstream.timetables.assets import (
        AllOf,
        AssetOrTimeSchedule,
        AssetTriggeredTimetable,
        SerializedAssetCondition,
    )
    from slipstream.timetables.base import (
        DagRunInfo,
        DataInterval,
        TimeRestriction,
        Timetable,
        TimetableError,
    )
    from slipstream.timetables.events import EventsTimetable
    from slipstream.timetables.factory import (
        create_timetable,
        deserialize_timetable,
        encode_timetable,
    )
    from slipstream.timetables.interval import (
        CronDataIntervalTimetable,
        DeltaDataIntervalTimetable,
    )
    from slipstream.timetables.simple import ContinuousTimetable, NullTimetable, OnceTimetable
    from slipstream.timetables.trigger import (
        CronTriggerTimetable,
        DeltaTriggerTimetable,
        MultipleCronTriggerTimetable,
    )

_EXPORTS = {
    "CRON_PRESETS": "_cron",
    "AllOf": "assets",
    "AssetOrTimeSchedule": "assets",
    "AssetTriggeredTimetable": "assets",
    "SerializedAssetCondition": "assets",
    "DagRunInfo": "base",
    "DataInterval": "base",
    "Timetable": "base",
    "TimetableError": "base",
    "TimeRestriction": "base",
    "EventsTimetable": "events",
    "create_timetable": "factory",
    "deserialize_timetable": "factory",
    "encode_timetable": "factory",
    "CronDataIntervalTimetable": "interval",
    "DeltaDataIntervalTimetable": "interval",
    "ContinuousTimetable": "simple",
    "NullTimetable": "simple",
    "OnceTimetable": "simple",
    "CronTriggerTimetable": "trigger",
    "DeltaTriggerTimetable": "trigger",
    "MultipleCronTriggerTimetable": "trigger",
}

__all__ = [
    "CRON_PRESETS",
    "AllOf",
    "AssetOrTimeSchedule",
    "AssetTriggeredTimetable",
    "ContinuousTimetable",
    "CronDataIntervalTimetable",
    "CronTriggerTimetable",
    "DagRunInfo",
    "DataInterval",
    "DeltaDataIntervalTimetable",
    "DeltaTriggerTimetable",
    "EventsTimetable",
    "MultipleCronTriggerTimetable",
    "NullTimetable",
    "OnceTimetable",
    "SerializedAssetCondition",
    "TimeRestriction",
    "Timetable",
    "TimetableError",
    "create_timetable",
    "deserialize_timetable",
    "encode_timetable",
]


def __getattr__(name: str) -> object:
    """Load a public name from its submodule on first access."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
