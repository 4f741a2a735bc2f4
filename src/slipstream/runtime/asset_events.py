"""`outlet_events`, `inlet_events` and `triggering_asset_events` in the context: what a task
says about the assets it updates, what it can read about the assets it consumes, and the
updates that triggered its run."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AssetEvent:
    """One update of an asset, as recorded when the producing task succeeded."""

    asset_uri: str
    extra: dict[str, Any] = field(default_factory=dict)
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int = -1
    timestamp: Any = None
    asset: Any = None
    """The updated asset (an `Asset`), where known."""
    source_dag_run: Any = None
    """The run that produced the event (a `DagRunInfo`), where known."""


class OutletEventAccessor:
    """`outlet_events[asset]`: set `.extra` for the event; for an alias, `.add(asset, extra)`."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.extra: dict[str, Any] = {}
        self.asset_alias_events: list[tuple[Any, dict[str, Any]]] = []

    def add(self, asset: Any, extra: dict[str, Any] | None = None) -> None:
        self.asset_alias_events.append((asset, dict(extra or {})))


class OutletEventAccessors(Mapping[Any, OutletEventAccessor]):
    """Accessors created on first use, keyed by asset or alias."""

    def __init__(self) -> None:
        self._accessors: dict[Any, OutletEventAccessor] = {}

    def __getitem__(self, key: Any) -> OutletEventAccessor:
        if key not in self._accessors:
            self._accessors[key] = OutletEventAccessor(key)
        return self._accessors[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._accessors)

    def __len__(self) -> int:
        return len(self._accessors)


class InletEventsAccessors(Mapping[Any, list[AssetEvent]]):
    """`inlet_events[asset]`: that asset's recorded events, oldest first."""

    def __init__(self, events: Mapping[str, list[AssetEvent]]) -> None:
        self._events = events

    def __getitem__(self, key: Any) -> list[AssetEvent]:
        return list(self._events.get(_uri(key), []))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)


class TriggeringAssetEventsAccessor(Mapping[Any, list[AssetEvent]]):
    """`triggering_asset_events[asset]`: the events that triggered this run, oldest first.

    Keyed like Airflow's: by asset (an `Asset`, or its URI or name); iterating gives the assets.
    Runs that no asset update triggered have none.
    """

    def __init__(self, events: Iterable[AssetEvent] = ()) -> None:
        self._events: dict[str, list[AssetEvent]] = {}
        self._assets: dict[str, Any] = {}
        self._names: dict[str, str] = {}
        for event in events:
            uri = event.asset_uri
            self._events.setdefault(uri, []).append(event)
            self._assets.setdefault(uri, event.asset if event.asset is not None else uri)
            name = getattr(event.asset, "name", None)
            if name is not None:
                self._names.setdefault(name, uri)

    def __getitem__(self, key: Any) -> list[AssetEvent]:
        uri = getattr(key, "uri", None) or key
        if uri not in self._events:
            name = getattr(key, "name", None) or key
            uri = self._names.get(name, uri) if isinstance(name, str) else uri
        if uri not in self._events:
            raise KeyError(key)
        return list(self._events[uri])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._assets.values())

    def __len__(self) -> int:
        return len(self._events)

    def __repr__(self) -> str:
        return f"TriggeringAssetEventsAccessor({self._events!r})"


def events_for_success(
    task: Any,
    accessors: OutletEventAccessors,
    *,
    dag_id: str,
    run_id: str,
    map_index: int,
    timestamp: Any,
) -> list[AssetEvent]:
    """The events a successful try emits: one per outlet asset, plus those added to aliases."""
    events: list[AssetEvent] = []

    def record(asset: Any, extra: dict[str, Any]) -> None:
        events.append(
            AssetEvent(
                asset_uri=_uri(asset),
                extra=extra,
                source_dag_id=dag_id,
                source_task_id=task.task_id,
                source_run_id=run_id,
                source_map_index=map_index,
                timestamp=timestamp,
            )
        )

    for outlet in getattr(task, "outlets", []) or []:
        accessor = accessors[outlet]
        if hasattr(outlet, "uri"):
            record(outlet, dict(accessor.extra))
        for asset, extra in accessor.asset_alias_events:
            record(asset, extra)
    return events


def _uri(key: Any) -> str:
    return getattr(key, "uri", None) or getattr(key, "name", None) or str(key)
