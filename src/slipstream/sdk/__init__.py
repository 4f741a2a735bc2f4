"""The authoring API: everything a DAG file needs, with Airflow 3's names.

Names load on first use, so `import slipstream.sdk` costs almost nothing and a DAG file pays only
for what it touches.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "DAG": "slipstream.sdk.dag_definition",
    "dag": "slipstream.sdk.dag_definition",
    "BaseOperator": "slipstream.sdk.baseoperator",
    "chain": "slipstream.sdk.baseoperator",
    "chain_linear": "slipstream.sdk.baseoperator",
    "cross_downstream": "slipstream.sdk.baseoperator",
    "TaskGroup": "slipstream.sdk.taskgroup",
    "task_group": "slipstream.sdk.taskgroup",
    "XComArg": "slipstream.sdk.xcom_arg",
    "literal": "slipstream.sdk.xcom_arg",
    "Label": "slipstream.sdk.edges",
    "EdgeModifier": "slipstream.sdk.edges",
    "task": "slipstream.sdk.decorators",
    "setup": "slipstream.sdk.decorators",
    "teardown": "slipstream.sdk.decorators",
    "Param": "slipstream.sdk.params",
    "ParamsDict": "slipstream.sdk.params",
    "Variable": "slipstream.sdk.variables",
    "Connection": "slipstream.sdk.connections",
    "BaseHook": "slipstream.sdk.hooks",
    "Asset": "slipstream.sdk.assets",
    "AssetAlias": "slipstream.sdk.assets",
    "AssetAll": "slipstream.sdk.assets",
    "AssetAny": "slipstream.sdk.assets",
    "Metadata": "slipstream.sdk.assets",
    "Dataset": "slipstream.sdk.assets",
    "Context": "slipstream.sdk.context",
    "get_current_context": "slipstream.sdk.context",
    "BaseSensorOperator": "slipstream.sdk.sensors.base",
    "PokeReturnValue": "slipstream.sdk.sensors.base",
    "BaseNotifier": "slipstream.sdk.notifier",
    "TriggerRule": "slipstream.core.trigger_rule",
    "WeightRule": "slipstream.core.trigger_rule",
    "TaskInstanceState": "slipstream.core.states",
    "DagRunState": "slipstream.core.states",
    "State": "slipstream.core.states",
    "AssetOrTimeSchedule": "slipstream.timetables",
    "CronTriggerTimetable": "slipstream.timetables",
    "CronDataIntervalTimetable": "slipstream.timetables",
    "DeltaTriggerTimetable": "slipstream.timetables",
    "DeltaDataIntervalTimetable": "slipstream.timetables",
    "MultipleCronTriggerTimetable": "slipstream.timetables",
    "EventsTimetable": "slipstream.timetables",
}

_MODULES = {"macros": "slipstream.sdk.macros"}

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    else:
        raise AttributeError(f"module 'slipstream.sdk' has no attribute '{name}'")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
