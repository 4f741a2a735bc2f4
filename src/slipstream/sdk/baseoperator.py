"""BaseOperator: one task of a DAG, with Airflow's arguments, defaults and dependency operators."""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from slipstream.core.trigger_rule import TriggerRule, WeightRule
from slipstream.sdk._time import to_aware, to_timedelta
from slipstream.sdk.dag_definition import DagContext, validate_key
from slipstream.sdk.node import DependencyMixin, flatten
from slipstream.sdk.taskgroup import TaskGroup, TaskGroupContext
from slipstream.sdk.xcom_arg import PlainXComArg, visit_xcom_references

if TYPE_CHECKING:
    from slipstream.sdk.dag_definition import DAG
    from slipstream.sdk.edges import EdgeModifier
    from slipstream.sdk.mapping import MappedOperator
    from slipstream.sdk.params import ParamsDict
    from slipstream.sdk.xcom_arg import XComArg

DEFAULT_RETRY_DELAY = timedelta(seconds=300)
DEFAULT_POOL = "default_pool"
DEFAULT_QUEUE = "default"
DEFAULT_OWNER = "airflow"

# Operator arguments Airflow 3 removed, with what to use instead.
REMOVED_OPERATOR_ARGS = {
    "provide_context": "the context is always passed; remove the argument",
    "sla": "SLAs were removed in Airflow 3",
    "task_concurrency": "use 'max_active_tis_per_dag'",
}


_ParamsDict: type[ParamsDict] | None = None


def _import_params_dict() -> type[ParamsDict]:
    """`ParamsDict`, imported on the first task: the params module is only needed then."""
    global _ParamsDict
    from slipstream.sdk.params import ParamsDict

    _ParamsDict = ParamsDict
    return ParamsDict


class _Registration:
    """While disabled, new operators are not added to their DAG or group (mapped copies)."""

    disabled = 0


class unregistered:
    """Build operators that stay out of the DAG: mapped prototypes and per-index copies."""

    def __enter__(self) -> None:
        _Registration.disabled += 1

    def __exit__(self, *exc: object) -> None:
        _Registration.disabled -= 1


class _SetupTeardownContext:
    """Tasks created inside `with teardown_task:` sit between its setups and the teardown."""

    _stack: ClassVar[list[tuple[Any, list[Any]]]] = []

    @classmethod
    def record(cls, task: BaseOperator | MappedOperator) -> None:
        for _, created in cls._stack:
            created.append(task)


class BaseOperatorMeta(type):
    """Applies `default_args` (DAG → task groups → task) to the arguments a class accepts."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise TypeError(f"{cls.__name__} takes keyword arguments only, got {args!r}")
        dag = kwargs.get("dag") or DagContext.current()
        group = kwargs.get("task_group") or TaskGroupContext.current(dag)
        default_args = _merged_default_args(dag, group, kwargs.pop("default_args", None))
        if default_args:
            accepted = _accepted_arguments(cls)
            for name, value in default_args.items():
                if name in accepted and name not in kwargs:
                    kwargs[name] = value
            if "params" in default_args and "params" not in kwargs:
                kwargs["params"] = default_args["params"]
        task = super().__call__(**kwargs)
        if not _Registration.disabled:
            task._post_init()
        return task


def _merged_default_args(dag: DAG | None, group: TaskGroup | None, own: Any) -> dict[str, Any]:
    layers: list[dict[str, Any]] = []
    while group is not None:
        if group.default_args:
            layers.append(group.default_args)
        group = group.parent_group
    if not layers and not own:  # the common case: nothing to merge
        return dict(dag.default_args) if dag is not None and dag.default_args else {}
    merged: dict[str, Any] = dict(dag.default_args) if dag is not None else {}
    for layer in reversed(layers):
        merged.update(layer)
    merged.update(own or {})
    return merged


_ACCEPTED_CACHE: dict[type, frozenset[str]] = {}


def _accepted_arguments(cls: type) -> frozenset[str]:
    """Names accepted by the `__init__` of the class or any base class."""
    cached = _ACCEPTED_CACHE.get(cls)
    if cached is None:
        names: set[str] = set()
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or klass is object:
                continue
            for param in inspect.signature(init).parameters.values():
                if param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
                    names.add(param.name)
        names.discard("self")
        cached = _ACCEPTED_CACHE[cls] = frozenset(names)
    return cached


class BaseOperator(DependencyMixin, metaclass=BaseOperatorMeta):
    """A task. Subclasses implement `execute(context)`; its return value becomes the task's XCom."""

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()
    template_fields_renderers: ClassVar[dict[str, str]] = {}
    ui_color: str = "#fff"
    ui_fgcolor: str = "#000"
    custom_operator_name: str | None = None
    is_mapped: ClassVar[bool] = False
    _is_decorated: ClassVar[bool] = False

    def __init__(
        self,
        *,
        task_id: str,
        owner: str = DEFAULT_OWNER,
        email: str | Sequence[str] | None = None,
        email_on_retry: bool = True,
        email_on_failure: bool = True,
        retries: int | None = 0,
        retry_delay: timedelta | float = DEFAULT_RETRY_DELAY,
        retry_exponential_backoff: bool | float = False,
        max_retry_delay: timedelta | float | None = None,
        start_date: Any = None,
        end_date: Any = None,
        depends_on_past: bool = False,
        ignore_first_depends_on_past: bool = True,
        wait_for_past_depends_before_skipping: bool = False,
        wait_for_downstream: bool = False,
        dag: DAG | None = None,
        params: Any = None,
        default_args: dict[str, Any] | None = None,
        priority_weight: int = 1,
        weight_rule: str = WeightRule.DOWNSTREAM,
        queue: str = DEFAULT_QUEUE,
        pool: str | None = None,
        pool_slots: int = 1,
        execution_timeout: timedelta | float | None = None,
        on_execute_callback: Any = None,
        on_failure_callback: Any = None,
        on_success_callback: Any = None,
        on_retry_callback: Any = None,
        on_skipped_callback: Any = None,
        pre_execute: Callable[..., Any] | None = None,
        post_execute: Callable[..., Any] | None = None,
        trigger_rule: str = TriggerRule.ALL_SUCCESS,
        resources: dict[str, Any] | None = None,
        run_as_user: str | None = None,
        map_index_template: str | None = None,
        max_active_tis_per_dag: int | None = None,
        max_active_tis_per_dagrun: int | None = None,
        executor: str | None = None,
        executor_config: dict[str, Any] | None = None,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        inlets: Any = None,
        outlets: Any = None,
        task_group: TaskGroup | None = None,
        doc: str | None = None,
        doc_md: str | None = None,
        doc_json: str | None = None,
        doc_yaml: str | None = None,
        doc_rst: str | None = None,
        task_display_name: str | None = None,
        logger_name: str | None = None,
        allow_nested_operators: bool = True,
        render_template_as_native_obj: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if not self.__dict__:  # else a subclass set attributes first: keep their order
            template = _attribute_template(type(self))
            if template is not None:
                self.__dict__ = template.copy()
        if kwargs:
            _reject_invalid_kwargs(type(self).__name__, task_id, kwargs)
        validate_key(task_id, kind="task_id")
        dag = dag or DagContext.current()
        task_group = task_group or TaskGroupContext.current(dag)
        self.task_group = task_group
        self._label = task_id
        self.task_id = task_group.child_id(task_id) if task_group is not None else task_id
        self.owner = owner
        self.email = email
        self.email_on_retry = email_on_retry
        self.email_on_failure = email_on_failure
        # Each value is checked (and converted) unless it is already of the final type.
        self.retries = (
            retries if retries.__class__ is int else _validate_retries(self.task_id, retries)
        )
        self.retry_delay = (
            retry_delay
            if retry_delay.__class__ is timedelta
            else to_timedelta(retry_delay, name="retry_delay")
        )
        self.retry_exponential_backoff = retry_exponential_backoff
        self.max_retry_delay = (
            None
            if max_retry_delay is None
            else to_timedelta(max_retry_delay, name="max_retry_delay")
        )
        self.start_date = None if start_date is None else to_aware(start_date, name="start_date")
        self.end_date = None if end_date is None else to_aware(end_date, name="end_date")
        self.depends_on_past = depends_on_past or wait_for_downstream
        self.ignore_first_depends_on_past = ignore_first_depends_on_past
        self.wait_for_past_depends_before_skipping = wait_for_past_depends_before_skipping
        self.wait_for_downstream = wait_for_downstream
        self.priority_weight = priority_weight
        if weight_rule.__class__ is not WeightRule:
            if not WeightRule.is_valid(weight_rule):
                raise ValueError(
                    f"Task '{self.task_id}': weight_rule must be one of downstream, upstream, "
                    f"absolute; got {weight_rule!r}"
                )
            weight_rule = WeightRule(weight_rule)
        self.weight_rule = weight_rule
        self.queue = queue
        self.pool = pool or DEFAULT_POOL
        self.pool_slots = pool_slots
        if pool_slots < 1:
            raise ValueError(f"Task '{self.task_id}': pool_slots must be at least 1")
        self.execution_timeout = (
            None
            if execution_timeout is None
            else to_timedelta(execution_timeout, name="execution_timeout")
        )
        self.on_execute_callback = on_execute_callback
        self.on_failure_callback = on_failure_callback
        self.on_success_callback = on_success_callback
        self.on_retry_callback = on_retry_callback
        self.on_skipped_callback = on_skipped_callback
        self._pre_execute_hook = pre_execute
        self._post_execute_hook = post_execute
        self.trigger_rule = (
            trigger_rule
            if trigger_rule.__class__ is TriggerRule
            else _validate_trigger_rule(self.task_id, dag, trigger_rule)
        )
        self.resources = resources
        self.run_as_user = run_as_user
        self.map_index_template = map_index_template
        self.max_active_tis_per_dag = max_active_tis_per_dag
        self.max_active_tis_per_dagrun = max_active_tis_per_dagrun
        self.executor = executor
        self.executor_config = executor_config or {}
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.inlets = [] if inlets is None else _as_list(inlets)
        self.outlets = [] if outlets is None else _as_list(outlets)
        self.doc = doc
        self.doc_md = doc_md
        self.doc_json = doc_json
        self.doc_yaml = doc_yaml
        self.doc_rst = doc_rst
        self.task_display_name = task_display_name or task_id
        self.allow_nested_operators = allow_nested_operators
        self.render_template_as_native_obj = render_template_as_native_obj
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False
        self.logger_name = logger_name
        self._log: logging.Logger | None = None
        self.params = (_ParamsDict or _import_params_dict())(params)
        self.dag: DAG | None = dag
        if dag is not None and dag.params:
            merged = dag.params.copy()
            merged.update(self.params)
            self.params = merged
        if _Registration.disabled:
            return
        if dag is not None:
            dag.add_task(self)
        if task_group is not None:
            task_group.add(self)

    def _post_init(self) -> None:
        """After the subclass finished: wire dependencies implied by XComArgs in fields."""
        for field in self.template_fields:
            value = getattr(self, field, None)
            if value is not None and value.__class__ is not str:
                visit_xcom_references(value, self._set_upstream_of)
        if _SetupTeardownContext._stack:
            _SetupTeardownContext.record(self)

    def _set_upstream_of(self, ref: PlainXComArg) -> None:
        self.set_upstream(ref.operator)

    # --- identity ---------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self._label

    @property
    def node_id(self) -> str:
        return self.task_id

    @property
    def dag_id(self) -> str | None:
        return self.dag.dag_id if self.dag is not None else None

    @property
    def task_type(self) -> str:
        return type(self).__name__

    @property
    def operator_name(self) -> str:
        return self.custom_operator_name or type(self).__name__

    @property
    def log(self) -> logging.Logger:
        """`slipstream.task.<Class>`, or the `logger_name` given (looked up on first use:
        most tasks of a parsed DAG file never log)."""
        if self._log is None:
            self._log = logging.getLogger(
                self.logger_name or f"slipstream.task.{type(self).__name__}"
            )
        return self._log

    @property
    def has_dag(self) -> bool:
        return self.dag is not None

    def get_dag(self) -> DAG | None:
        return self.dag

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"

    @property
    def output(self) -> XComArg:
        """A reference to this task's return value, for passing it to other tasks."""
        from slipstream.sdk.xcom_arg import XComArg

        return XComArg(self)

    # --- dependencies -----------------------------------------------------------------

    @property
    def roots(self) -> list[Any]:
        return [self]

    @property
    def leaves(self) -> list[Any]:
        return [self]

    @property
    def upstream_list(self) -> list[Any]:
        return [self.dag.task_dict[t] for t in self.upstream_task_ids] if self.dag else []

    @property
    def downstream_list(self) -> list[Any]:
        return [self.dag.task_dict[t] for t in self.downstream_task_ids] if self.dag else []

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        self._set_relatives(other, upstream=True, edge_modifier=edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        self._set_relatives(other, upstream=False, edge_modifier=edge_modifier)

    def _set_relatives(self, other: Any, *, upstream: bool, edge_modifier: Any) -> None:
        # `a >> b` between two tasks, or two @task results: no list, no edge label
        if isinstance(other, BaseOperator):
            for task in other.leaves if upstream else other.roots:
                self._link(task, upstream=upstream, edge_modifier=edge_modifier)
            return
        if other.__class__ is PlainXComArg:
            self._link(other.operator, upstream=upstream, edge_modifier=edge_modifier)
            return
        for node in flatten(other):
            if isinstance(node, _edge_modifier_type()):
                if upstream:
                    node.set_downstream(self)
                else:
                    node.set_upstream(self)
                continue
            targets = node.leaves if upstream else node.roots
            for task in targets:
                self._link(task, upstream=upstream, edge_modifier=edge_modifier)

    def _link(self, task: Any, *, upstream: bool, edge_modifier: Any) -> None:
        if not isinstance(task, BaseOperator) and not isinstance(task, _mapped_operator_type()):
            raise TypeError(f"Relationships can only be set between operators, not {task!r}")
        dag = self.dag or task.dag
        if dag is None:
            raise ValueError(
                f"Tried to create relationships between tasks that don't have DAGs yet: "
                f"{self.task_id} and {task.task_id}. Set the DAG for at least one task."
            )
        if self.dag is not None and task.dag is not None and self.dag is not task.dag:
            raise ValueError(
                f"Tried to set relationships between tasks in different DAGs: "
                f"{self.task_id} ({self.dag.dag_id}) and {task.task_id} ({task.dag.dag_id})"
            )
        for t in (self, task):
            if t.dag is None:
                t.dag = dag
                dag.add_task(t)
        up, down = (task, self) if upstream else (self, task)
        if up is down:
            from slipstream.core.exceptions import AirflowDagCycleException

            raise AirflowDagCycleException(
                f"Task '{up.task_id}' in DAG '{dag.dag_id}' cannot depend on itself"
            )
        up.downstream_task_ids.add(down.task_id)
        down.upstream_task_ids.add(up.task_id)
        if edge_modifier is not None:
            edge_modifier.add_edge_info(dag, up.task_id, down.task_id)

    def get_direct_relative_ids(self, upstream: bool = False) -> set[str]:
        return self.upstream_task_ids if upstream else self.downstream_task_ids

    def get_direct_relatives(self, upstream: bool = False) -> list[Any]:
        return self.upstream_list if upstream else self.downstream_list

    def get_flat_relative_ids(self, *, upstream: bool = False) -> set[str]:
        if self.dag is None:
            return set()
        found: set[str] = set()
        todo = list(self.get_direct_relative_ids(upstream))
        while todo:
            tid = todo.pop()
            if tid not in found:
                found.add(tid)
                # A MappedOperator borrows this method from BaseOperator (no common base class).
                relatives = self.dag.task_dict[tid].get_direct_relative_ids(upstream)  # type: ignore[misc]
                todo.extend(relatives)
        return found

    # --- setup and teardown -----------------------------------------------------------

    def as_setup(self) -> BaseOperator:
        self.is_setup = True
        return self

    def as_teardown(
        self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None
    ) -> BaseOperator:
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            for setup in flatten(setups):
                for task in setup.leaves:
                    task.is_setup = True
                self.set_upstream(setups)
        return self

    def __enter__(self) -> BaseOperator:
        if not self.is_teardown:
            raise RuntimeError(
                f"Only a teardown task can be used as a context manager ('{self.task_id}')"
            )
        _SetupTeardownContext._stack.append((self, []))
        return self

    def __exit__(self, *exc: object) -> None:
        teardown, created = _SetupTeardownContext._stack.pop()
        wire_setup_teardown_context(teardown, created)

    # --- mapping ----------------------------------------------------------------------

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        """Fix the arguments shared by every mapped copy; `.expand()` supplies the rest."""
        from slipstream.sdk.mapping import OperatorPartial

        return OperatorPartial.create(cls, kwargs)

    # --- execution --------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        """Do the task's work. The return value is pushed as the `return_value` XCom."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute(context)")

    def pre_execute(self, context: Any) -> None:
        if self._pre_execute_hook is not None:
            self._pre_execute_hook(context)

    def post_execute(self, context: Any, result: Any = None) -> None:
        if self._post_execute_hook is not None:
            self._post_execute_hook(context, result)

    def on_kill(self) -> None:
        """Called when the task is told to stop; override to release external resources."""

    def get_template_env(self, dag: DAG | None = None) -> Any:
        from slipstream.sdk.templating import dag_template_env

        return dag_template_env(dag or self.dag)

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Replace each template field with its rendered value, in place (on a copy per try)."""
        from slipstream.sdk.templating import render_template_fields

        render_template_fields(self, context, jinja_env)

    def render_template(self, content: Any, context: Any, jinja_env: Any = None) -> Any:
        from slipstream.sdk.templating import render_value

        return render_value(self, content, context, jinja_env)

    def prepare_template(self) -> None:
        """Hook to change template fields after files were loaded and before rendering."""

    def dry_run(self) -> None:
        self.log.info("Dry run of %s", self.task_id)


def wire_setup_teardown_context(teardown: Any, created: list[Any]) -> None:
    """Put every task made inside `with teardown:` between the teardown's setups and it."""
    inner = [t for t in created if t is not teardown]
    ids = {t.task_id for t in inner}
    setups = [t for t in teardown.upstream_list if t.is_setup]
    for task in inner:
        if task.upstream_task_ids.isdisjoint(ids):
            for setup in setups:
                if setup.task_id != task.task_id:
                    task.set_upstream(setup)
        if task.downstream_task_ids.isdisjoint(ids) and not task.is_setup:
            task.set_downstream(teardown)


@functools.cache
def _edge_modifier_type() -> type[EdgeModifier]:
    from slipstream.sdk.edges import EdgeModifier

    return EdgeModifier


@functools.cache
def _mapped_operator_type() -> type[MappedOperator]:
    from slipstream.sdk.mapping import MappedOperator

    return MappedOperator


def _reject_invalid_kwargs(class_name: str, task_id: Any, kwargs: dict[str, Any]) -> None:
    for name in kwargs:
        if name in REMOVED_OPERATOR_ARGS:
            raise TypeError(
                f"Invalid argument '{name}' for {class_name} (task_id: {task_id}): it was removed "
                f"in Airflow 3 ({REMOVED_OPERATOR_ARGS[name]})"
            )
    if kwargs:
        raise TypeError(
            f"Invalid arguments were passed to {class_name} (task_id: {task_id}). "
            f"Invalid arguments were: **kwargs: {kwargs}"
        )


# Every attribute `BaseOperator.__init__` sets, in order (tests/sdk/test_fast_paths.py checks).
_INIT_ATTRIBUTES = (
    "task_group", "_label", "task_id", "owner", "email", "email_on_retry", "email_on_failure",
    "retries", "retry_delay", "retry_exponential_backoff", "max_retry_delay", "start_date",
    "end_date", "depends_on_past", "ignore_first_depends_on_past",
    "wait_for_past_depends_before_skipping", "wait_for_downstream", "priority_weight",
    "weight_rule", "queue", "pool", "pool_slots", "execution_timeout", "on_execute_callback",
    "on_failure_callback", "on_success_callback", "on_retry_callback", "on_skipped_callback",
    "_pre_execute_hook", "_post_execute_hook", "trigger_rule", "resources", "run_as_user",
    "map_index_template", "max_active_tis_per_dag", "max_active_tis_per_dagrun", "executor",
    "executor_config", "do_xcom_push", "multiple_outputs", "inlets", "outlets", "doc", "doc_md",
    "doc_json", "doc_yaml", "doc_rst", "task_display_name", "allow_nested_operators",
    "render_template_as_native_obj", "upstream_task_ids", "downstream_task_ids", "is_setup",
    "is_teardown", "on_failure_fail_dagrun", "logger_name", "_log", "params", "dag",
)  # fmt: skip
_TEMPLATES: dict[type, dict[str, None] | None] = {}


def _attribute_template(cls: type) -> dict[str, None] | None:
    """A dict holding every key `__init__` sets, to copy as a new task's `__dict__`: filling
    a dict of the final size is faster than growing one key by key (about sixty keys).

    Names a class handles with a data descriptor (a property, a slot) are left out: those
    assignments never reach the instance dict. A class with its own `__setattr__` gets None
    (no template): it decides where each value goes."""
    try:
        return _TEMPLATES[cls]
    except KeyError:
        pass
    if len(_TEMPLATES) >= 1024:  # classes made anew by each parse of a file: stay bounded
        _TEMPLATES.clear()
    template = None
    if cls.__setattr__ is object.__setattr__:
        template = dict.fromkeys(
            name for name in _INIT_ATTRIBUTES if not _is_data_descriptor(cls, name)
        )
    _TEMPLATES[cls] = template
    return template


def _is_data_descriptor(cls: type, name: str) -> bool:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            kind = type(klass.__dict__[name])
            return hasattr(kind, "__set__") or hasattr(kind, "__delete__")
    return False


def _validate_retries(task_id: str, retries: Any) -> int:
    if retries is None:
        return 0
    if isinstance(retries, bool) or not isinstance(retries, int):
        try:
            return int(retries)
        except (TypeError, ValueError):
            raise ValueError(
                f"Task '{task_id}': retries must be an integer, got {retries!r}"
            ) from None
    return retries


def _validate_trigger_rule(task_id: str, dag: DAG | None, rule: Any) -> TriggerRule:
    if isinstance(rule, TriggerRule):
        return rule
    if not TriggerRule.is_valid(rule):
        where = f" in DAG '{dag.dag_id}'" if dag is not None else ""
        raise ValueError(
            f"Task '{task_id}'{where} has an unknown trigger rule {rule!r}; valid rules: "
            f"{', '.join(sorted(TriggerRule.all_triggers()))}"
        )
    return TriggerRule(rule)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def chain(*tasks: Any) -> None:
    """`chain(a, b, [c, d], e)`: each element upstream of the next; lists pair up element-wise."""
    for up, down in itertools.pairwise(tasks):
        if isinstance(up, DependencyMixin) or isinstance(down, DependencyMixin):
            up_nodes = flatten(up)
            down_nodes = flatten(down)
            for u in up_nodes:
                u.set_downstream(down_nodes)
            continue
        up_list, down_list = list(up), list(down)
        if len(up_list) != len(down_list):
            raise ValueError(
                f"chain() got lists of different lengths: {len(up_list)} and {len(down_list)}"
            )
        for u, d in zip(up_list, down_list):
            u.set_downstream(d)


def cross_downstream(from_tasks: Sequence[Any], to_tasks: Any) -> None:
    """Every task of `from_tasks` upstream of every task of `to_tasks`."""
    for task in from_tasks:
        task.set_downstream(to_tasks)


def chain_linear(*elements: Any) -> None:
    """Like `chain`, but every task of one element is upstream of every task of the next."""
    if len(elements) < 2:
        raise ValueError("chain_linear() needs at least two elements")
    for up, down in itertools.pairwise(elements):
        for u in flatten(up):
            u.set_downstream(down)
