"""The in-process runner behind `dags test`: states, retries, skips, mapping, XCom, callbacks."""

from __future__ import annotations

import datetime as dt

import pytest

from slipstream.core.exceptions import (
    AirflowFailException,
    AirflowSkipException,
    ParamValidationError,
)
from slipstream.sdk import DAG, Param, TriggerRule, task
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.python import PythonOperator, ShortCircuitOperator

START = dt.datetime(2024, 1, 1)
DATE = dt.datetime(2024, 3, 5, 6, 0)


def run(d: DAG, **kwargs):
    return d.test(logical_date=DATE, **kwargs)


def test_chain_succeeds_and_passes_values() -> None:
    seen = []
    with DAG("chain", start_date=START) as d:

        @task
        def one():
            return 1

        @task
        def plus(x):
            seen.append(x)
            return x + 1

        plus(plus(one()))
    result = run(d)
    assert result.state == "success"
    assert seen == [1, 2]
    assert result.states == {"one": "success", "plus": "success", "plus__1": "success"}
    assert result.run_id == "manual__2024-03-05T06:00:00+00:00"


def test_retry_honours_delay_then_succeeds() -> None:
    with DAG("retry", start_date=START) as d:

        @task(retries=2, retry_delay=dt.timedelta(seconds=0.2))
        def flaky(ti=None):
            if ti.try_number == 1:
                raise RuntimeError("first try fails")
            return ti.try_number

        flaky()
    result = run(d)
    record = result.ti("flaky")
    assert (result.state, record.state, record.try_number) == ("success", "success", 2)


def test_fail_exception_does_not_retry_and_downstream_is_upstream_failed() -> None:
    with DAG("failfast", start_date=START) as d:

        @task(retries=3, retry_delay=0)
        def boom():
            raise AirflowFailException("no point retrying")

        boom() >> EmptyOperator(task_id="after")
    result = run(d)
    assert result.state == "failed"
    assert result.ti("boom").try_number == 1
    assert result.states == {"boom": "failed", "after": "upstream_failed"}


def test_non_leaf_failure_with_all_done_leaf_succeeds_like_airflow() -> None:
    with DAG("nonleaf", start_date=START) as d:
        bad = PythonOperator(task_id="bad", python_callable=lambda: 1 / 0)
        bad >> EmptyOperator(task_id="cleanup", trigger_rule=TriggerRule.ALL_DONE)
    assert run(d).states == {"bad": "failed", "cleanup": "success"}
    assert run(d).state == "success"


def test_skip_propagates_through_all_success_but_not_none_failed() -> None:
    with DAG("skips", start_date=START) as d:

        @task
        def skipper():
            raise AirflowSkipException("nothing to do")

        s = skipper()
        s >> EmptyOperator(task_id="default") >> EmptyOperator(task_id="deeper")
        s >> EmptyOperator(task_id="tolerant", trigger_rule="none_failed")
    assert run(d).states == {
        "skipper": "skipped",
        "default": "skipped",
        "deeper": "skipped",
        "tolerant": "success",
    }


@pytest.mark.parametrize(
    ("ignore", "expected_soft_all_done"), [(True, "skipped"), (False, "success")]
)
def test_short_circuit_modes(ignore: bool, expected_soft_all_done: str) -> None:
    with DAG("sc", start_date=START) as d:
        cond = ShortCircuitOperator(
            task_id="cond", python_callable=lambda: False, ignore_downstream_trigger_rules=ignore
        )
        direct = EmptyOperator(task_id="direct")
        cond >> direct >> EmptyOperator(task_id="soft_all_done", trigger_rule="all_done")
    states = run(d).states
    assert states["direct"] == "skipped"
    assert states["soft_all_done"] == expected_soft_all_done


def test_branch_follows_one_path_and_join_runs() -> None:
    with DAG("branch", start_date=START) as d:

        @task.branch
        def pick():
            return "left"

        left, right = EmptyOperator(task_id="left"), EmptyOperator(task_id="right")
        join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
        pick() >> [left, right] >> join
    assert run(d).states == {
        "pick": "success",
        "left": "success",
        "right": "skipped",
        "join": "success",
    }


def test_mapping_expands_reduces_and_skips_empty() -> None:
    with DAG("mapping", start_date=START) as d:

        @task
        def nums():
            return [1, 2, 3]

        @task
        def double(x, factor):
            return x * factor

        @task
        def add(values):
            return sum(values)

        @task
        def never(x):
            return x

        add(double.partial(factor=2).expand(x=nums()))
        never.expand(x=[])
    result = run(d)
    assert result.states == {
        "nums": "success",
        "double[0]": "success",
        "double[1]": "success",
        "double[2]": "success",
        "add": "success",
        "never": "skipped",
    }
    assert result.ti("never").map_index == -1


def test_cross_product_mapping_orders_like_airflow() -> None:
    got = {}
    with DAG("cross", start_date=START) as d:

        @task
        def pair(a, b, ti=None):
            got[ti.map_index] = (a, b)

        pair.expand(a=[1, 2], b=["x", "y"])
    run(d)
    assert got == {0: (1, "x"), 1: (1, "y"), 2: (2, "x"), 3: (2, "y")}


def test_unserializable_xcom_fails_naming_task_and_key(caplog) -> None:
    with DAG("xcom", start_date=START) as d:

        @task
        def weird():
            return object()

        weird()
    result = run(d)
    assert result.state == "failed"
    assert "XCom 'return_value' of task 'weird' in DAG 'xcom' cannot be stored" in caplog.text


def test_callbacks_see_the_right_try_and_never_break_the_run() -> None:
    calls = []

    def on_retry(context):
        calls.append(("retry", context["ti"].try_number))

    def on_success(context):
        calls.append(("success", context["ti"].try_number))

    def broken(context):
        raise RuntimeError("callback bug")

    def dag_done(context):
        calls.append(("dag", context["reason"]))

    with DAG("cb", start_date=START, on_success_callback=[broken, dag_done]) as d:

        @task(retries=1, retry_delay=0, on_retry_callback=on_retry, on_success_callback=on_success)
        def flaky(ti=None):
            if ti.try_number == 1:
                raise ValueError("once")

        flaky()
    assert run(d).state == "success"
    assert calls == [("retry", 1), ("success", 2), ("dag", "success")]


def test_params_defaults_conf_override_and_validation() -> None:
    seen = {}
    with DAG("params", start_date=START, params={"n": Param(3, type="integer", minimum=1)}) as d:

        @task
        def show(params=None):
            seen.update(params)

        show()
    run(d, run_conf={"n": 5, "extra": "kept"})
    assert seen == {"n": 5, "extra": "kept"}
    with pytest.raises(ParamValidationError, match="n"):
        run(d, run_conf={"n": 0})


def test_execution_timeout_fails_the_task() -> None:
    import time

    with DAG("timeout", start_date=START) as d:
        PythonOperator(
            task_id="slow",
            python_callable=lambda: time.sleep(5),
            execution_timeout=dt.timedelta(seconds=0.2),
        )
    assert run(d).states == {"slow": "failed"}


def test_outlets_emit_asset_events_with_extra_and_inlets_read_them() -> None:
    from slipstream.sdk import Asset

    orders = Asset("s3://bucket/orders.csv")
    seen = {}
    with DAG("assets", start_date=START) as d:

        @task(outlets=[orders])
        def produce(outlet_events=None):
            outlet_events[orders].extra = {"rows": 42}

        @task(inlets=[orders])
        def consume(inlet_events=None):
            seen["rows"] = inlet_events[orders][-1].extra["rows"]

        produce() >> consume()
    result = run(d)
    assert result.state == "success"
    assert [(e.asset_uri, e.extra, e.source_task_id) for e in result.asset_events] == [
        ("s3://bucket/orders.csv", {"rows": 42}, "produce")
    ]
    assert seen == {"rows": 42}


def test_xcomarg_zip_map_and_concat_feed_mapped_tasks() -> None:
    got = []
    with DAG("zipping", start_date=START) as d:

        @task
        def letters():
            return ["a", "b", "c"]

        @task
        def numbers():
            return [1, 2]

        @task
        def show(pair):
            got.append(tuple(pair) if isinstance(pair, list) else pair)

        show.expand(pair=letters().zip(numbers(), fillvalue=0))
        show.expand(pair=letters().map(str.upper).concat(numbers()))
    assert run(d).state == "success"
    assert got == [("a", 1), ("b", 2), ("c", 0), "A", "B", "C", 1, 2]


def test_xcom_pull_of_mapped_tasks_gives_plain_lists_flattened_across_task_ids() -> None:
    seen = {}
    with DAG("pulls", start_date=START) as d:

        @task
        def one(x):
            return x

        @task
        def single():
            return "s"

        @task
        def collect(ti=None):
            seen["mapped"] = ti.xcom_pull(task_ids="one")
            seen["both"] = ti.xcom_pull(task_ids=["one", "single"])
            seen["index"] = ti.xcom_pull(task_ids="one", map_indexes=1)

        [one.expand(x=[1, 2]), single()] >> collect()
    assert run(d).state == "success"
    assert seen == {"mapped": [1, 2], "both": [1, 2, "s"], "index": 2}
    assert type(seen["mapped"]) is list
