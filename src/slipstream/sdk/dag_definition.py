"""The DAG: a named graph of tasks with a schedule, defaults and run limits (Airflow 3)."""

from __future__ import annotations

import functools
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from slipstream.core.exceptions import (
    AirflowDagCycleException,
    DuplicateTaskIdFound,
    TaskNotFound,
)
from slipstream.sdk._time import to_aware, to_timedelta

if TYPE_CHECKING:
    from slipstream.sdk.baseoperator import BaseOperator
    from slipstream.sdk.mapping import MappedOperator
    from slipstream.sdk.taskgroup import TaskGroup

    Operator: TypeAlias = BaseOperator | MappedOperator

KEY_REGEX = re.compile(r"^[\w.-]+$")
MAX_ID_LENGTH = 250

# Airflow 2 arguments that Airflow 3 rejects; we name the replacement.
REMOVED_DAG_ARGS = {
    "schedule_interval": "use 'schedule'",
    "timetable": "use 'schedule'",
    "concurrency": "use 'max_active_tasks'",
    "default_view": "the grid view is the only default view",
    "orientation": "graph orientation is chosen in the UI",
    "sla_miss_callback": "SLAs were removed in Airflow 3",
    "full_filepath": "it is set from the DAG file",
}


def validate_key(key: str, *, kind: str) -> None:
    """Check an id the way Airflow does: letters, digits, '_', '-', '.', at most 250 characters."""
    if not isinstance(key, str):
        raise TypeError(f"The {kind} must be a string, got {type(key).__name__}: {key!r}")
    if len(key) > MAX_ID_LENGTH:
        raise ValueError(f"The {kind} {key!r} is longer than {MAX_ID_LENGTH} characters")
    if not KEY_REGEX.match(key):
        raise ValueError(
            f"The {kind} {key!r} may only contain letters, digits, underscores, dashes and dots"
        )


class DagContext:
    """The stack of DAGs opened with `with DAG(...)`, and the DAGs registered while a file loads."""

    _stack: list[DAG] = []
    autoregistered_dags: list[DAG] = []

    @classmethod
    def push(cls, dag: DAG) -> None:
        cls._stack.append(dag)

    @classmethod
    def pop(cls) -> DAG | None:
        return cls._stack.pop() if cls._stack else None

    @classmethod
    def current(cls) -> DAG | None:
        return cls._stack[-1] if cls._stack else None

    @classmethod
    def reset(cls) -> None:
        """Forget open and registered DAGs (the loader calls this before each file)."""
        cls._stack.clear()
        cls.autoregistered_dags.clear()


class DAG:
    """A directed acyclic graph of tasks, with Airflow 3's arguments and defaults."""

    def __init__(
        self,
        dag_id: str,
        description: str | None = None,
        schedule: Any = None,
        start_date: Any = None,
        end_date: Any = None,
        template_searchpath: str | list[str] | None = None,
        template_undefined: Any = None,
        user_defined_macros: dict[str, Any] | None = None,
        user_defined_filters: dict[str, Callable[..., Any]] | None = None,
        default_args: dict[str, Any] | None = None,
        max_active_tasks: int = 16,
        max_active_runs: int = 16,
        max_consecutive_failed_dag_runs: int = 0,
        dagrun_timeout: timedelta | None = None,
        catchup: bool = False,
        on_success_callback: Any = None,
        on_failure_callback: Any = None,
        doc_md: str | None = None,
        params: Any = None,
        access_control: Any = None,
        is_paused_upon_creation: bool | None = None,
        jinja_environment_kwargs: dict[str, Any] | None = None,
        render_template_as_native_obj: bool = False,
        tags: Any = None,
        owner_links: dict[str, str] | None = None,
        auto_register: bool = True,
        fail_fast: bool = False,
        dag_display_name: str | None = None,
        disable_bundle_versioning: bool = False,
        deadline: Any = None,
        **kwargs: Any,
    ) -> None:
        _reject_unknown_kwargs(dag_id, kwargs)
        validate_key(dag_id, kind="dag_id")
        self.dag_id = dag_id
        self.description = description
        self.default_args = dict(default_args or {})
        self.start_date = to_aware(start_date or self.default_args.get("start_date"))
        self.end_date = to_aware(end_date or self.default_args.get("end_date"))
        self.timezone = self.start_date.timezone if self.start_date is not None else _utc()
        self.schedule = schedule
        self.template_searchpath = (
            [template_searchpath] if isinstance(template_searchpath, str) else template_searchpath
        )
        self.template_undefined = template_undefined
        self.user_defined_macros = user_defined_macros
        self.user_defined_filters = user_defined_filters
        self.max_active_tasks = max_active_tasks
        self.max_active_runs = max_active_runs
        self.max_consecutive_failed_dag_runs = max_consecutive_failed_dag_runs
        self.dagrun_timeout = to_timedelta(dagrun_timeout, name="dagrun_timeout")
        self.catchup = catchup
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.doc_md = doc_md
        self.access_control = access_control
        self.is_paused_upon_creation = is_paused_upon_creation
        self.jinja_environment_kwargs = jinja_environment_kwargs
        self.render_template_as_native_obj = render_template_as_native_obj
        self.tags = _validate_tags(dag_id, tags)
        self.owner_links = owner_links or {}
        self.auto_register = auto_register
        self.fail_fast = fail_fast
        self.dag_display_name = dag_display_name or dag_id
        self.disable_bundle_versioning = disable_bundle_versioning
        if deadline is not None:
            _unsupported("DAG(deadline=...)")
        from slipstream.sdk.params import ParamsDict

        self.params = ParamsDict(params)
        if "params" in self.default_args:
            merged = ParamsDict(self.default_args["params"])
            merged.update(self.params)
            self.params = merged
        self.fileloc, self.lineno = _caller_location()
        self.task_dict: dict[str, Operator] = {}
        self.edge_info: dict[tuple[str, str], dict[str, Any]] = {}
        from slipstream.sdk.taskgroup import TaskGroup

        self.task_group: TaskGroup = TaskGroup.create_root(self)
        self.timetable = _make_timetable(self)

    # --- context manager -------------------------------------------------------------------

    def __enter__(self) -> DAG:
        DagContext.push(self)
        return self

    def __exit__(self, *exc: object) -> None:
        DagContext.pop()
        if self.auto_register and self not in DagContext.autoregistered_dags:
            DagContext.autoregistered_dags.append(self)

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"

    # --- tasks -----------------------------------------------------------------------------

    def add_task(self, task: Operator) -> None:
        """Register a task; its id must be unique in the DAG."""
        if task.task_id in self.task_dict and self.task_dict[task.task_id] is not task:
            raise DuplicateTaskIdFound(
                f"Task id '{task.task_id}' has already been added to the DAG '{self.dag_id}'"
            )
        self.task_dict[task.task_id] = task

    def add_tasks(self, tasks: list[Operator]) -> None:
        for task in tasks:
            self.add_task(task)

    @property
    def tasks(self) -> list[Operator]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    @property
    def task_count(self) -> int:
        return len(self.task_dict)

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    def get_task(self, task_id: str) -> Operator:
        try:
            return self.task_dict[task_id]
        except KeyError:
            raise TaskNotFound(f"Task {task_id} not found in DAG {self.dag_id}") from None

    @property
    def roots(self) -> list[Operator]:
        return [t for t in self.task_dict.values() if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[Operator]:
        return [t for t in self.task_dict.values() if not t.downstream_task_ids]

    @property
    def owner(self) -> str:
        return ", ".join(sorted({t.owner for t in self.task_dict.values()})) or "airflow"

    def set_edge_info(self, upstream_id: str, downstream_id: str, info: dict[str, Any]) -> None:
        self.edge_info[(upstream_id, downstream_id)] = info

    def get_edge_info(self, upstream_id: str, downstream_id: str) -> dict[str, Any]:
        return self.edge_info.get((upstream_id, downstream_id), {})

    def topological_sort(self) -> list[Operator]:
        """Tasks in dependency order; raises AirflowDagCycleException naming the cycle."""
        indegree = {tid: len(t.upstream_task_ids) for tid, t in self.task_dict.items()}
        ready = [tid for tid, n in indegree.items() if n == 0]
        order: list[str] = []
        while ready:
            tid = ready.pop()
            order.append(tid)
            downstream = self.task_dict[tid].downstream_task_ids
            for down in sorted(downstream, reverse=True) if len(downstream) > 1 else downstream:
                indegree[down] -= 1
                if indegree[down] == 0:
                    ready.append(down)
        if len(order) != len(self.task_dict):
            cycle = self._find_cycle({tid for tid, n in indegree.items() if n > 0})
            raise AirflowDagCycleException(
                f"Cycle detected in DAG '{self.dag_id}': {' -> '.join(cycle)}"
            )
        return [self.task_dict[tid] for tid in order]

    def _find_cycle(self, candidates: set[str]) -> list[str]:
        start = min(candidates)
        path, seen = [start], {start: 0}
        node = start
        while True:
            node = min(d for d in self.task_dict[node].downstream_task_ids if d in candidates)
            if node in seen:
                return [*path[seen[node] :], node]
            seen[node] = len(path)
            path.append(node)

    def check_cycle(self) -> None:
        self.topological_sort()

    def validate(self) -> None:
        """Check the whole DAG once it is built; errors name the DAG and the task."""
        from slipstream.core.trigger_rule import TriggerRule

        for task in self.task_dict.values():
            rule = task.trigger_rule
            if rule.__class__ is not TriggerRule and not TriggerRule.is_valid(rule):
                valid = ", ".join(sorted(TriggerRule.all_triggers()))
                raise ValueError(
                    f"Task '{task.task_id}' in DAG '{self.dag_id}' has an unknown trigger rule "
                    f"{rule!r}; valid rules: {valid}"
                )
        self.check_cycle()
        self._validate_params_for_schedule()

    def _validate_params_for_schedule(self) -> None:
        """A DAG the scheduler runs by itself needs every param valid without a conf (as in
        Airflow); one only triggered by hand may have required params, asked for at trigger."""
        if not getattr(self.timetable, "can_be_scheduled", True):
            return
        from slipstream.core.exceptions import ParamValidationError

        try:
            self.params.validate()
        except ParamValidationError as err:
            raise ParamValidationError(
                f"DAG '{self.dag_id}' has a schedule, so each of its params needs a valid "
                f"default (a scheduled run has no conf to fill it): {err}"
            ) from None

    # --- templating and running -----------------------------------------------------------

    def get_template_env(self, *, force_sandboxed: bool = False) -> Any:
        from slipstream.sdk.templating import dag_template_env

        return dag_template_env(self)

    def iter_dagrun_infos_between(self, earliest: Any, latest: Any) -> Iterator[Any]:
        from slipstream.timetables import TimeRestriction

        restriction = TimeRestriction(to_aware(earliest), to_aware(latest), catchup=True)
        last = None
        while True:
            info = self.timetable.next_dagrun_info(
                last_automated_data_interval=last, restriction=restriction
            )
            if info is None:
                return
            yield info
            last = info.data_interval

    def test(
        self,
        logical_date: Any = None,
        run_conf: dict[str, Any] | None = None,
        conn_file_path: str | None = None,
        variable_file_path: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run the whole DAG in this process, as `slipstream dags test` does; returns the run."""
        import importlib

        runner = importlib.import_module("slipstream.runtime.dag_test")
        return runner.test_dag(
            self,
            logical_date=logical_date,
            conf=run_conf,
            conn_file_path=conn_file_path,
            variable_file_path=variable_file_path,
        )


def _reject_unknown_kwargs(dag_id: str, kwargs: dict[str, Any]) -> None:
    for name in kwargs:
        if name in REMOVED_DAG_ARGS:
            raise TypeError(
                f"DAG '{dag_id}': argument '{name}' was removed in Airflow 3 "
                f"({REMOVED_DAG_ARGS[name]})"
            )
    if kwargs:
        raise TypeError(
            f"DAG '{dag_id}' got unexpected keyword argument(s): {', '.join(sorted(kwargs))}"
        )


def _validate_tags(dag_id: str, tags: Any) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        raise TypeError(f"DAG '{dag_id}': tags must be a list of strings, not a string")
    tags = list(tags)
    for tag in tags:
        if not isinstance(tag, str) or len(tag) > 100:
            raise ValueError(f"DAG '{dag_id}': tag {tag!r} must be a string of at most 100 chars")
    return tags


def _make_timetable(dag: DAG) -> Any:
    from slipstream.timetables import create_timetable

    try:
        return create_timetable(dag.schedule, dag.timezone)
    except (ValueError, TypeError) as err:
        raise type(err)(f"DAG '{dag.dag_id}' has an invalid schedule: {err}") from err


def _utc() -> Any:
    import pendulum

    return pendulum.UTC


def _caller_location() -> tuple[str, int | None]:
    """File and line of the first frame outside the SDK: where the DAG was written."""
    frame = sys._getframe(1)
    sdk_dir = __file__.rsplit("/", 1)[0]
    while frame is not None and frame.f_code.co_filename.startswith(sdk_dir):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>", None
    return frame.f_code.co_filename, frame.f_lineno


def _unsupported(what: str) -> None:
    from slipstream.core.exceptions import UnsupportedFeatureError

    raise UnsupportedFeatureError(f"Slipstream does not support {what} yet")


def dag(dag_id: str | Callable[..., Any] | None = None, **dag_kwargs: Any) -> Any:
    """`@dag` turns a function into a DAG factory; calling it builds the DAG and returns it.

    The function's keyword parameters become DAG params, and inside the function they are
    references that resolve to the run's param values.
    """
    if callable(dag_id):
        return dag()(dag_id)

    def wrapper(func: Callable[..., Any]) -> Callable[..., DAG]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def factory(*args: Any, **kwargs: Any) -> DAG:
            from slipstream.sdk.xcom_arg import DagParam

            bound = signature.bind_partial(*args, **kwargs)
            bound.apply_defaults()
            params = dict(dag_kwargs.get("params") or {})
            for name, value in bound.arguments.items():
                if signature.parameters[name].kind in (
                    inspect.Parameter.VAR_POSITIONAL,
                    inspect.Parameter.VAR_KEYWORD,
                ):
                    continue
                params[name] = value
            kwargs_for_dag = {**dag_kwargs, "params": params}
            kwargs_for_dag.setdefault("doc_md", func.__doc__)
            with DAG(dag_id or func.__name__, **kwargs_for_dag) as new_dag:
                new_dag.fileloc = inspect.getsourcefile(func) or new_dag.fileloc
                call_args = {name: DagParam(new_dag, name) for name in params}
                accepted = {
                    k: v
                    for k, v in call_args.items()
                    if k in signature.parameters
                    and signature.parameters[k].kind
                    not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
                }
                func(**accepted)
            return new_dag

        return factory

    return wrapper
