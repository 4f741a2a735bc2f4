"""Build the template context of one task try, with Airflow 3's keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slipstream.runtime.asset_events import (
    AssetEvent,
    InletEventsAccessors,
    OutletEventAccessors,
    TriggeringAssetEventsAccessor,
)
from slipstream.runtime.task_instance import RuntimeTaskInstance


def build_context(
    ti: RuntimeTaskInstance,
    *,
    params: dict[str, Any],
    asset_events: Mapping[str, list[AssetEvent]] | None = None,
) -> dict[str, Any]:
    """The dict templates and callables see; `params` are the run's resolved params and
    `asset_events` the recorded events of assets, by URI, for `inlet_events`."""
    from slipstream.sdk import macros
    from slipstream.sdk.connections import ConnectionAccessor
    from slipstream.sdk.variables import VariableAccessor

    task, dag_run = ti.task, ti.dag_run
    logical_date = dag_run.logical_date
    ds = logical_date.strftime("%Y-%m-%d")
    ts = logical_date.isoformat()
    ds_nodash = ds.replace("-", "")
    context: dict[str, Any] = {
        "dag": task.dag,
        "task": task,
        "ti": ti,
        "task_instance": ti,
        "dag_run": dag_run,
        "run_id": dag_run.run_id,
        "logical_date": logical_date,
        "data_interval_start": dag_run.data_interval_start,
        "data_interval_end": dag_run.data_interval_end,
        "ds": ds,
        "ds_nodash": ds_nodash,
        "ts": ts,
        "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
        "task_instance_key_str": f"{task.dag_id}__{task.task_id}__{ds_nodash}",
        "params": params,
        "macros": macros,
        "var": {
            "json": VariableAccessor(deserialize_json=True),
            "value": VariableAccessor(deserialize_json=False),
        },
        "conn": ConnectionAccessor(),
        "map_index_template": getattr(task, "map_index_template", None),
        "expanded_ti_count": None,
        "inlets": list(getattr(task, "inlets", [])),
        "outlets": list(getattr(task, "outlets", [])),
        "inlet_events": InletEventsAccessors(asset_events or {}),
        "outlet_events": OutletEventAccessors(),
        "triggering_asset_events": TriggeringAssetEventsAccessor(),
        "prev_data_interval_start_success": None,
        "prev_data_interval_end_success": None,
        "prev_start_date_success": None,
        "prev_end_date_success": None,
        "task_reschedule_count": 0,
        "test_mode": True,
        "templates_dict": getattr(task, "templates_dict", None),
    }
    return context
