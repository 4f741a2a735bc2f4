"""The shortcuts that make loading large DAG files fast give the same tasks, edges and errors as
the general paths they skip (bench: load_1000_tasks)."""

from __future__ import annotations

import dis
import functools
import inspect
from datetime import timedelta
from typing import Any

import pytest

from slipstream.core.exceptions import AirflowDagCycleException
from slipstream.core.trigger_rule import TriggerRule, WeightRule
from slipstream.sdk import DAG, Label, TaskGroup, task
from slipstream.sdk.baseoperator import _INIT_ATTRIBUTES, BaseOperator
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.python import PythonOperator
from slipstream.sdk.params import ParamsDict


class _SetsFirst(EmptyOperator):
    """Sets an attribute before BaseOperator.__init__ runs: the general path (no template)."""

    def __init__(self, **kwargs: Any) -> None:
        self.first = 1
        super().__init__(**kwargs)


class _OwnerProperty(EmptyOperator):
    """Handles one of BaseOperator's attributes with a property."""

    @property
    def owner(self) -> str:
        return self._owner.upper()

    @owner.setter
    def owner(self, value: str) -> None:
        self._owner = value


class _DivertsOwner(EmptyOperator):
    """Stores one of BaseOperator's attributes elsewhere through its own `__setattr__`."""

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__("_kept_owner" if name == "owner" else name, value)


def _stored_attributes(function: Any) -> list[str]:
    names: list[str] = []
    for ins in dis.get_instructions(function):
        if ins.opname == "STORE_ATTR" and ins.argval not in names:
            names.append(ins.argval)
    return names


def test_the_attribute_template_lists_what_init_sets_in_order() -> None:
    stored = _stored_attributes(BaseOperator.__init__)
    assert stored[0] == "__dict__"  # the template itself
    assert list(_INIT_ATTRIBUTES) == stored[1:]


def test_tasks_get_the_same_attributes_with_or_without_the_template() -> None:
    with DAG("d", schedule=None):
        fast = EmptyOperator(task_id="fast", retries=2, owner="ann")
        slow = _SetsFirst(task_id="slow", retries=2, owner="ann")
    slow_state = {k: v for k, v in vars(slow).items() if k != "first"}
    fast_state = vars(fast)
    assert list(fast_state) == list(slow_state)
    different = {k for k in fast_state if fast_state[k] != slow_state[k]}
    assert different == {"_label", "task_id", "task_display_name"}
    assert next(iter(vars(slow))) == "first"


def test_a_property_for_a_base_attribute_stays_in_charge() -> None:
    with DAG("d", schedule=None):
        op = _OwnerProperty(task_id="p", owner="ann")
    assert op.owner == "ANN" and "owner" not in vars(op) and vars(op)["_owner"] == "ann"


def test_a_class_with_its_own_setattr_gets_no_stale_attributes() -> None:
    with DAG("d", schedule=None):
        op = _DivertsOwner(task_id="p", owner="ann")
    assert not hasattr(op, "owner") and op._kept_owner == "ann"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, (0, timedelta(seconds=300), None, None)),
        ({"retries": None}, (0, timedelta(seconds=300), None, None)),
        ({"retries": True, "retry_delay": 5}, (1, timedelta(seconds=5), None, None)),
        ({"retries": "3", "retry_delay": 1.5}, (3, timedelta(seconds=1.5), None, None)),
        (
            {"max_retry_delay": 60, "execution_timeout": timedelta(minutes=1)},
            (0, timedelta(seconds=300), timedelta(seconds=60), timedelta(minutes=1)),
        ),
    ],
)
def test_time_and_retry_arguments_are_converted_as_before(
    given: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    with DAG("d", schedule=None):
        op = EmptyOperator(task_id="t", **given)
    assert (op.retries, op.retry_delay, op.max_retry_delay, op.execution_timeout) == expected
    assert type(op.retries) is int


@pytest.mark.parametrize(
    ("given", "error", "fragment"),
    [
        ({"retries": "many"}, ValueError, "retries must be an integer"),
        ({"retry_delay": "soon"}, TypeError, "retry_delay must be a timedelta"),
        ({"execution_timeout": True}, TypeError, "execution_timeout must be a timedelta"),
        ({"weight_rule": "heaviest"}, ValueError, "weight_rule must be one of"),
        ({"trigger_rule": "sometimes"}, ValueError, r"Task 't' in DAG 'd' has an unknown"),
        ({"start_date": 3}, TypeError, "start_date must be a datetime"),
        ({"pool_slots": 0}, ValueError, "pool_slots must be at least 1"),
    ],
)
def test_bad_values_still_fail_with_their_messages(
    given: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    with DAG("d", schedule=None), pytest.raises(error, match=fragment):
        EmptyOperator(task_id="t", **given)


def test_rules_given_as_strings_become_enum_members() -> None:
    with DAG("d", schedule=None):
        op = EmptyOperator(task_id="t", weight_rule="upstream", trigger_rule="all_done")
        default = EmptyOperator(task_id="u")
    assert op.weight_rule is WeightRule.UPSTREAM and op.trigger_rule is TriggerRule.ALL_DONE
    assert default.weight_rule is WeightRule.DOWNSTREAM
    assert default.trigger_rule is TriggerRule.ALL_SUCCESS


def test_default_args_merge_from_dag_groups_and_the_task() -> None:
    with DAG("d", schedule=None, default_args={"retries": 1, "owner": "dag"}):
        plain = EmptyOperator(task_id="plain")
        own = EmptyOperator(task_id="own", default_args={"owner": "own"})
        with TaskGroup("outer", default_args={"queue": "q"}), TaskGroup("inner"):
            nested = EmptyOperator(task_id="nested", default_args={"retries": 4})
    with DAG("bare", schedule=None):
        bare = EmptyOperator(task_id="bare", default_args={"retries": 2})
        empty = EmptyOperator(task_id="empty", default_args={})
    assert (plain.retries, plain.owner, own.owner) == (1, "dag", "own")
    assert (nested.retries, nested.owner, nested.queue) == (4, "dag", "q")
    assert (bare.retries, empty.retries) == (2, 0)


def test_params_of_tasks_without_params_are_empty_and_independent() -> None:
    with DAG("d", schedule=None, params={"x": 1}):
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b", params={"y": 2})
    with DAG("bare", schedule=None):
        c = EmptyOperator(task_id="c")
    assert a.params.dump() == {"x": 1} and b.params.dump() == {"x": 1, "y": 2}
    assert isinstance(c.params, ParamsDict) and len(c.params) == 0
    assert ParamsDict(None, suppress_exception=True).suppress_exception is True


def test_shift_operators_between_tasks_and_task_outputs() -> None:
    with DAG("d", schedule=None) as d:

        @task
        def make(i: int) -> int:
            return i

        one, two = make(1), make(2)
        empty = EmptyOperator(task_id="empty")
        one >> two >> empty
        empty << make(3)
        empty >> Label("then") >> make(4)
        [make(5), make(6)] >> empty
    ups = {t.task_id: sorted(t.upstream_task_ids) for t in d.tasks}
    assert ups["make__1"] == ["make"] and ups["make__2"] == []
    assert ups["empty"] == ["make__1", "make__2", "make__4", "make__5"]
    assert ups["make__3"] == ["empty"]
    assert d.get_edge_info("empty", "make__3") == {"label": "then"}


def test_shift_errors_are_unchanged() -> None:
    with DAG("one", schedule=None):
        a = EmptyOperator(task_id="a")

        @task
        def f() -> None:
            return None

        out = f()
    with DAG("two", schedule=None):
        b = EmptyOperator(task_id="b")
    with pytest.raises(ValueError, match="different DAGs"):
        a >> b
    with pytest.raises(AirflowDagCycleException, match="cannot depend on itself"):
        a >> a
    with pytest.raises(AirflowDagCycleException, match="cannot depend on itself"):
        out >> out
    with pytest.raises(TypeError, match="Dependencies can only be set"):
        a >> 3  # type: ignore[operator]


def test_task_outputs_nested_in_arguments_become_upstreams() -> None:
    with DAG("d", schedule=None) as d:

        @task
        def make() -> int:
            return 1

        x, y, z = make(), make(), make()
        op = PythonOperator(
            task_id="use",
            python_callable=print,
            op_args=["text", 1, [x, None]],
            op_kwargs={"a": {"b": (y,)}, "c": frozenset({z.operator.task_id})},
        )
    assert op.upstream_task_ids == {"make", "make__1"}
    assert d.get_task("make__2").downstream_task_ids == set()


def _positional_only(a: int, /, b: int = 0) -> None: ...


def _keyword_only(a: int, *, b: int) -> None: ...


def _variadic(a: int, *args: Any, **kwargs: Any) -> None: ...


def _plain(a: int, b: int = 0) -> None: ...


@pytest.mark.parametrize("function", [_positional_only, _keyword_only, _variadic, _plain])
@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),
        ((1,), {}),
        ((1, 2), {}),
        ((1, 2, 3), {}),
        ((), {"a": 1}),
        ((1,), {"b": 2}),
        ((1,), {"a": 2}),
        ((), {"c": 3}),
        ((1,), {"b": 2, "c": 3}),
    ],
)
def test_task_argument_checks_agree_with_bind_partial(
    function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    try:
        inspect.signature(function).bind_partial(*args, **kwargs)
    except TypeError as err:
        expected: str | None = f"@task {function.__name__}(): {err}"
    else:
        expected = None
    with DAG("d", schedule=None):
        decorated = task(function)
        if expected is None:
            decorated(*args, **kwargs)
        else:
            with pytest.raises(TypeError) as caught:
                decorated(*args, **kwargs)
            assert str(caught.value) == expected


class _Blank:
    pass


def _documented(a: int) -> int:
    """Doc."""
    return a


_documented.extra = "kept"  # type: ignore[attr-defined]


def _bare(a):  # no annotations at all
    return a


@pytest.mark.parametrize("function", [_documented, _bare])
def test_decorators_copy_the_function_attributes_as_update_wrapper_does(function: Any) -> None:
    expected = vars(functools.update_wrapper(_Blank(), function))
    for decorated in (task(function), task(function).override(task_id="other")):
        ours = {k: v for k, v in vars(decorated).items() if k in expected}
        assert list(ours.items()) == list(expected.items())
        assert decorated.__wrapped__ is function and decorated.__name__ == function.__name__
