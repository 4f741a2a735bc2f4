"""Airflow's ORM models (`TaskInstance`, `DagRun`, `XCom`, …), importable for type hints only.

Real DAG files import them to annotate callbacks and tasks. Airflow 3 gives task code no
metadata-database access, and neither does Slipstream: any use beyond annotations and
`isinstance` checks fails with an error that names the model and what to use instead.
"""

from __future__ import annotations

from typing import Any

from slipstream.core.exceptions import UnsupportedFeatureError


class _MetadataModelMeta(type):
    _hint: str
    _looks_like: tuple[str, ...]

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise UnsupportedFeatureError(
            f"airflow.models.{cls.__name__}.{name} needs the metadata database, which task "
            f"code cannot reach in Airflow 3 or Slipstream; {cls._hint}"
        )

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise UnsupportedFeatureError(
            f"airflow.models.{cls.__name__} cannot be created in a DAG file; {cls._hint}"
        )

    def __instancecheck__(cls, obj: Any) -> bool:
        return all(hasattr(obj, attr) for attr in cls._looks_like)


class TaskInstance(metaclass=_MetadataModelMeta):
    _hint = "use the `ti` of the task context"
    _looks_like = ("task_id", "try_number", "xcom_pull", "map_index")


class DagRun(metaclass=_MetadataModelMeta):
    _hint = "use the `dag_run` of the task context"
    _looks_like = ("run_id", "conf", "logical_date", "run_type")


class XCom(metaclass=_MetadataModelMeta):
    _hint = "use ti.xcom_pull() and ti.xcom_push()"
    _looks_like = ("__xcom_placeholder__",)


class DagModel(metaclass=_MetadataModelMeta):
    _hint = "use the REST API to read DAG state"
    _looks_like = ("__dag_model_placeholder__",)


class TaskReschedule(metaclass=_MetadataModelMeta):
    _hint = "use ti.get_first_reschedule_date()"
    _looks_like = ("__task_reschedule_placeholder__",)
