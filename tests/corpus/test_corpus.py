"""Run every corpus DAG in-process and compare with what Apache Airflow 3.3.2 does.

Expected results come from the observed Airflow 3.3.2 behaviours listed in the design notes
(`airflow-compat.md` §4, cited as "airflow-compat §N"), from Airflow's documentation and, where
the documentation is silent, from Airflow's own source (a comment says so). Try numbers of
EmptyOperators, which Airflow marks successful without running them, are not asserted.
"""

from __future__ import annotations

import logging

import pytest

from slipstream.core.exceptions import ParamValidationError
from slipstream.dagfiles.bag import DagBag

from .support import BROKEN_FOLDER, LOGICAL_DATE, RUN_ID, tries

S, F, K, U = "success", "failed", "skipped", "upstream_failed"

CORPUS_DAG_IDS = {
    "corpus_bash",
    "corpus_branching",
    "corpus_callbacks",
    "corpus_classic_etl",
    "corpus_execution_timeout",
    "corpus_labels_chain",
    "corpus_legacy_decorators",
    "corpus_mapping_bad_input",
    "corpus_mapping_classic",
    "corpus_mapping_empty",
    "corpus_mapping_partial_failure",
    "corpus_mapping_taskflow",
    "corpus_native_templates",
    "corpus_params",
    "corpus_provider_paths",
    "corpus_retries",
    "corpus_sensor_timeout",
    "corpus_sensors",
    "corpus_setup_failure",
    "corpus_setup_teardown",
    "corpus_setup_teardown_classic",
    "corpus_short_circuit",
    "corpus_short_circuit_soft",
    "corpus_skip_propagation",
    "corpus_task_group_dag_arg",
    "corpus_task_groups",
    "corpus_taskflow_etl",
    "corpus_teardown_fails_quietly",
    "corpus_teardown_fails_run",
    "corpus_templating",
    "corpus_trigger_rules",
    "corpus_variables_context",
    "corpus_xcom_types",
}


# --- loading -------------------------------------------------------------------------------


def test_every_corpus_file_loads(corpus_bag):
    assert corpus_bag.import_errors == {}
    assert set(corpus_bag.dag_ids) == CORPUS_DAG_IDS
    # corpus_lib/ and templates/ are excluded by .airflowignore, never parsed as DAG files.
    assert not any("corpus_lib" in f for f in corpus_bag.file_dags)


def test_dag_attributes_survive_loading(corpus_bag):
    etl = corpus_bag.get_dag("corpus_classic_etl")
    assert etl.owner == "data-eng"
    assert etl.tags == ["corpus", "classic"]
    assert etl.fileloc.endswith("classic_etl.py")
    # A DAG built by calling an @dag function is registered without being assigned.
    legacy = corpus_bag.get_dag("corpus_legacy_decorators")
    assert legacy.fileloc.endswith("legacy_decorators.py")
    assert set(legacy.params) == {"region", "batch_size", "label"}
    # A Variable read at parse time without its env var falls back to the default.
    assert corpus_bag.get_dag("corpus_variables_context").tags == ["dev"]


def test_broken_files_are_reported_and_do_not_hide_good_ones():
    bag = DagBag(BROKEN_FOLDER)
    assert bag.dag_ids == ["corpus_broken_folder_survivor"]
    errors = {name.rsplit("/", 1)[-1]: err for name, err in bag.import_errors.items()}
    assert set(errors) == {
        "cycle.py",
        "group_without_dag.py",
        "ignored_syntax_error.py",
        "provide_context.py",
        "removed_import.py",
        "schedule_interval.py",
        "unsupported_import.py",
    }
    assert errors["ignored_syntax_error.py"].lineno == 9
    assert "SyntaxError" in errors["ignored_syntax_error.py"].message
    assert "airflow.providers.amazon.aws.operators.s3" in errors["unsupported_import.py"].message
    assert errors["unsupported_import.py"].lineno == 5
    assert "airflow.operators.dummy_operator" in errors["removed_import.py"].message
    assert "EmptyOperator" in errors["removed_import.py"].message
    assert "corpus_cycle" in errors["cycle.py"].message
    assert "Cycle" in errors["cycle.py"].message
    assert "provide_context" in errors["provide_context.py"].message
    assert "schedule_interval" in errors["schedule_interval.py"].message
    # airflow-compat §4.14: operators in `TaskGroup(dag=dag)` still need `dag=dag`.
    assert errors["group_without_dag.py"].lineno == 15
    assert "don't have DAGs yet" in errors["group_without_dag.py"].message


# --- classic operators and TaskFlow --------------------------------------------------------


def test_classic_etl(run_dag, records):
    result = run_dag("corpus_classic_etl")
    assert result.state == "success"
    assert result.run_id == RUN_ID
    assert result.states == dict.fromkeys(
        ["start", "extract", "transform", "load", "report", "audit", "end"], S
    )
    assert records.of("load") == [
        {
            "ds": "2024-03-15",
            "summary": {"count": 3, "total": 20.0},
            "scaled": 40.0,
            "total_key": 20.0,
            "owner": "data-eng",
            "retries": 1,
        }
    ]
    # BashOperator pushes its last stdout line; the command was rendered with an XCom pull.
    assert records.of("audit") == [{"report": "loaded 3 rows"}]
    # The DAG-level success callback runs once, at the end of the run.
    assert records.events()[-1] == "dag_success"
    assert records.of("dag_success") == [{"dag_id": "corpus_classic_etl", "run_id": RUN_ID}]


def test_taskflow_etl(run_dag, records, caplog):
    caplog.set_level(logging.INFO)
    result = run_dag("corpus_taskflow_etl")
    assert result.state == "success"
    assert result.states == dict.fromkeys(
        [
            "extract",
            "transform",
            "load",
            "summary",
            "load_again",
            "square",
            "square__1",
            "add_up",
            "stats",
            "spread",
        ],
        S,
    )
    run = {"ds": "2024-03-15", "run_id": RUN_ID, "logical_date": "2024-03-15T00:00:00+00:00"}
    assert records.of("load") == [
        {"task_id": "load", "total": 1236.7, "count": 3, "params": {}, **run},
        {"task_id": "load_again", "total": 1236.7, "count": 0, "params": {}, **run},
    ]
    # multiple_outputs pushes every key and the whole dict as return_value.
    assert records.of("summary") == [
        {"whole": {"total_order_value": 1236.7, "order_count": 3}, "total": 1236.7, "count": 3}
    ]
    assert records.of("add_up") == [{"values": [4, 9]}]
    # A `-> dict[...]` return annotation turns multiple_outputs on, as in Airflow.
    assert records.of("spread") == [{"spread": 1.5}]
    # What a task prints goes to its log.
    assert "Total order value is: 1236.70" in caplog.messages


def test_dag_test_method(corpus_bag, corpus_env):
    result = corpus_bag.get_dag("corpus_taskflow_etl").test(logical_date=LOGICAL_DATE)
    assert result.state == "success"


@pytest.mark.parametrize(
    ("conf", "batch_size", "label", "total"),
    [(None, 10, "default", 2), ({"batch_size": 15, "label": "nightly"}, 15, "nightly", 6)],
)
def test_dag_decorator_params(run_dag, records, conf, batch_size, label, total):
    result = run_dag("corpus_legacy_decorators", conf=conf)
    assert result.state == "success"
    assert result.states == dict.fromkeys(["plan", "process.double", "process.total", "publish"], S)
    assert records.of("plan") == [{"batch_size": batch_size, "label": label, "region": "eu"}]
    assert records.of("publish") == [{"value": total}]


def test_provider_import_paths(run_dag, corpus_bag, records):
    dag = corpus_bag.get_dag("corpus_provider_paths")
    assert [str(a.uri) for a in dag.get_task("build").outlets] == ["corpus://warehouse/orders"]
    # `.output` of a classic operator passed to a TaskFlow task adds the dependency.
    assert dag.get_task("announce").upstream_task_ids == {"build"}
    result = run_dag("corpus_provider_paths")
    assert result.state == "success"
    # AirflowSkipException from the task itself: skipped after one try; none_failed runs.
    assert result.states == {"build": S, "publish": K, "done": S, "announce": S}
    assert tries(result)["publish"] == 1
    assert records.of("announce") == [{"message": "built"}]


# --- branching and short-circuit -----------------------------------------------------------


def test_branching_default_route(run_dag):
    result = run_dag("corpus_branching")
    assert result.state == "success"
    assert result.states == {
        "pick_path": S,
        "path_a": S,
        "path_a2": S,
        "path_b": K,
        "after_b": K,
        "join": S,
        "join_strict": K,
        "choose_lane": S,
        "fast_lane.step1": S,
        "fast_lane.step2": S,
        "slow_lane.step1": K,
        "slow_lane.step2": K,
        "finish": S,
        "checks.route_check": S,
        "checks.quick": S,
        "checks.thorough": K,
        "maybe_notify": S,
        "notify": K,
    }
    # Tasks skipped by a branch never ran.
    assert tries(result)["path_b"] == 0


def test_branching_from_conf(run_dag):
    result = run_dag("corpus_branching", conf={"route": "b", "fast": False})
    assert result.state == "success"
    assert result.states == {
        "pick_path": S,
        "path_a": K,
        "path_a2": K,
        "path_b": S,
        "after_b": S,
        "join": S,
        "join_strict": K,
        "choose_lane": S,
        "fast_lane.step1": K,
        "fast_lane.step2": K,
        "slow_lane.step1": S,
        "slow_lane.step2": S,
        "finish": S,
        "checks.route_check": S,
        "checks.quick": S,
        "checks.thorough": K,
        "maybe_notify": S,
        "notify": K,
    }


def test_branching_edge_labels(corpus_bag):
    dag = corpus_bag.get_dag("corpus_branching")
    assert dag.get_edge_info("pick_path", "path_a") == {"label": "route a"}
    assert dag.get_edge_info("pick_path", "path_a2") == {"label": "route a"}
    assert dag.get_edge_info("pick_path", "path_b") == {"label": "route b"}


def test_short_circuit_skips_everything_downstream(run_dag):
    # airflow-compat §4.3: the default ignore_downstream_trigger_rules=True skips all_done too.
    result = run_dag("corpus_short_circuit")
    assert result.state == "success"
    assert result.states == {
        "has_new_data": S,
        "direct": K,
        "downstream_default": K,
        "downstream_all_done": K,
        "is_weekday": S,
        "weekday_report": S,
    }


def test_short_circuit_respecting_trigger_rules(run_dag):
    # airflow-compat §4.3: with False only the direct downstream task is skipped.
    result = run_dag("corpus_short_circuit_soft")
    assert result.state == "success"
    assert result.states == {"check": S, "direct": K, "soft_default": K, "soft_all_done": S}


# --- trigger rules and skips ---------------------------------------------------------------


def test_trigger_rules_after_a_failure(run_dag):
    result = run_dag("corpus_trigger_rules")
    # airflow-compat §4.1: `boom` failed but is no leaf; the only leaf succeeded.
    assert result.state == "success"
    assert result.states == {
        "ok": S,
        "boom": F,
        "run_all_done": S,
        "run_one_failed": S,
        "run_one_success": S,
        "run_one_done": S,
        "run_all_done_min_one_success": S,
        "run_none_skipped": S,
        "run_always": S,
        "blocked_all_success": U,
        "blocked_none_failed": U,
        "blocked_none_failed_min_one_success": U,
        "skip_all_failed": K,
        "skip_all_skipped": K,
        "run_all_failed": S,
        "blocked_one_success": U,
        "skip_one_failed": K,
        "after_blocked": U,
        "final": S,
    }
    assert tries(result)["boom"] == 1
    assert tries(result)["after_blocked"] == 0


def test_skip_propagation(run_dag, records):
    result = run_dag("corpus_skip_propagation")
    assert result.state == "success"
    assert result.states == {
        "nothing_to_do": K,
        "ok": S,
        "all_success_after_skip": K,
        "none_failed_after_skip": S,
        "nfmos_only_skipped": K,
        "all_skipped_after_skip": S,
        "all_done_after_skip": S,
        "nfmos_mixed": S,
        "one_success_mixed": S,
        "none_skipped_mixed": K,
        "one_failed_mixed": K,
        "chained": K,
    }
    assert tries(result)["nothing_to_do"] == 1
    # on_skipped_callback: only for the task that raised AirflowSkipException.
    assert records.of("skipped_callback") == [{"task_id": "nothing_to_do"}]


# --- retries, timeouts and callbacks -------------------------------------------------------


def test_retries_and_fail_exception(run_dag, records):
    result = run_dag("corpus_retries")
    assert result.state == "failed"
    assert result.states == {"flaky": S, "use": S, "fatal": F, "exhausted": F}
    # try_number starts at 1; AirflowFailException is not retried even with retries=3;
    # `exhausted` takes retries=2 from default_args: three tries.
    assert tries(result) == {"flaky": 3, "use": 1, "fatal": 1, "exhausted": 3}
    assert [r["try_number"] for r in records.of("attempt") if r["task_id"] == "flaky"] == [1, 2, 3]
    assert {r["task_id"]: r["max_tries"] for r in records.of("attempt")} == {
        "flaky": 3,
        "exhausted": 2,
    }
    # airflow-compat §4.6: on_retry_callback sees the failed try, on_success the good one.
    retries = [(r["task_id"], r["try_number"], r["error"]) for r in records.of("retry")]
    assert sorted(retries) == [
        ("exhausted", 1, "RuntimeError"),
        ("exhausted", 2, "RuntimeError"),
        ("flaky", 1, "ConnectionError"),
        ("flaky", 2, "ConnectionError"),
    ]
    assert records.of("success") == [{"task_id": "flaky", "try_number": 3, "error": None}]
    failures = [(r["task_id"], r["try_number"], r["error"]) for r in records.of("failure")]
    assert sorted(failures) == [
        ("exhausted", 3, "RuntimeError"),
        ("fatal", 1, "AirflowFailException"),
    ]
    assert records.of("use") == [{"value": 3}]


def test_execution_timeout(run_dag, records):
    result = run_dag("corpus_execution_timeout")
    # The timed-out task is retried once, then fails; the all_done leaf succeeds.
    assert result.state == "success"
    assert result.states == {"too_slow": F, "quick": S, "cleanup": S}
    assert tries(result) == {"too_slow": 2, "quick": 1, "cleanup": 1}
    assert records.of("failure") == [
        {"task_id": "too_slow", "try_number": 2, "error": "AirflowTaskTimeout"}
    ]
    assert records.of("cleanup") == [{}]


def test_task_and_dag_callbacks(run_dag, records):
    result = run_dag("corpus_callbacks")
    assert result.state == "failed"
    assert result.states == {"start": S, "fails": F, "never_runs": U, "cleanup": S}
    assert records.all() == [
        {"event": "task_success", "task_id": "start"},
        {
            "event": "task_failure",
            "task_id": "fails",
            "try_number": 1,
            "error": "warehouse unavailable",
        },
        {"event": "task_execute", "task_id": "cleanup"},
        {"event": "task_success", "task_id": "cleanup"},
        {"event": "dag_failure", "dag_id": "corpus_callbacks", "run_id": RUN_ID},
    ]


# --- task groups ---------------------------------------------------------------------------


def test_task_groups(run_dag, records, corpus_bag):
    dag = corpus_bag.get_dag("corpus_task_groups")
    up = {tid: dag.get_task(tid).upstream_task_ids for tid in dag.task_ids}
    assert up["ingest.fetch"] == {"start"}
    assert up["ingest.validate.schema"] == {"ingest.fetch"}
    assert up["ingest.validate.rows"] == {"ingest.validate.schema"}
    # group >> group: the leaves of `ingest` upstream of the roots of `publish` (no prefix).
    assert up["to_warehouse"] == {"ingest.validate.rows"}
    assert up["notify"] == {"ingest.validate.rows"}
    assert up["collect"] == {"clean.strip", "clean__1.strip"}

    result = run_dag("corpus_task_groups")
    assert result.state == "success"
    assert result.states == dict.fromkeys(
        [
            "start",
            "ingest.fetch",
            "ingest.validate.schema",
            "ingest.validate.rows",
            "to_warehouse",
            "notify",
            "clean.strip",
            "clean__1.strip",
            "collect",
        ],
        S,
    )
    # Group default_args (retries=1) apply inside nested groups, over the DAG's retries=0.
    assert tries(result)["ingest.fetch"] == 2
    assert records.of("rows") == [
        {"task_id": "ingest.validate.rows", "retries": 1, "owner": "groups", "data": ["a", "b"]}
    ]
    assert records.of("notify") == [{"task_id": "notify", "retries": 0}]
    assert records.of("collect") == [{"values": ["left", "right"]}]


def test_task_group_with_dag_argument(run_dag, corpus_bag):
    dag = corpus_bag.get_dag("corpus_task_group_dag_arg")
    assert dag.get_task("inner.third").upstream_task_ids == {"section.second"}
    result = run_dag("corpus_task_group_dag_arg")
    assert result.state == "success"
    assert result.states == {"section.first": S, "section.second": S, "inner.third": S}


def test_chain_cross_downstream_and_labels(run_dag, corpus_bag):
    dag = corpus_bag.get_dag("corpus_labels_chain")
    up = {tid: dag.get_task(tid).upstream_task_ids for tid in dag.task_ids}
    assert up["b1"] == up["b2"] == {"a"}
    assert up["c1"] == {"b1"}
    assert up["c2"] == {"b2"}
    assert up["d"] == {"c1", "c2"}
    assert up["f"] == up["g"] == {"d", "e"}
    assert up["y1"] == up["y2"] == {"x"}
    assert up["z"] == {"y1", "y2"}
    assert up["check_data"] == {"z"}
    assert dag.get_edge_info("check_data", "store") == {"label": "valid"}
    assert dag.get_edge_info("check_data", "quarantine") == {"label": "invalid"}
    assert dag.get_edge_info("z", "check_data") == {"label": "then"}
    result = run_dag("corpus_labels_chain")
    assert result.state == "success"
    assert set(result.states.values()) == {S}


# --- dynamic task mapping ------------------------------------------------------------------


def test_mapping_taskflow(run_dag, records):
    result = run_dag("corpus_mapping_taskflow")
    assert result.state == "success"
    expected = {
        "make_numbers": S,
        "total": S,
        "products": S,
        "descriptions": S,
        "make_kwargs": S,
        "descriptions_from_xcom": S,
        **{f"add[{i}]": S for i in range(3)},
        **{f"multiply[{i}]": S for i in range(6)},
        **{f"describe[{i}]": S for i in range(2)},
        **{f"describe_from_xcom[{i}]": S for i in range(2)},
        "keep": S,
        "show_kept": S,
        "make_words": S,
        **{f"shout[{i}]": S for i in range(2)},
        **{f"exclaim[{i}]": S for i in range(2)},
        "sentence": S,
    }
    assert result.states == expected
    assert [(r["map_index"], r["x"], r["y"]) for r in records.of("add")] == [
        (0, 1, 10),
        (1, 2, 10),
        (2, 3, 10),
    ]
    assert records.of("total") == [{"values": [11, 12, 13], "total": 36}]
    # Returning the lazy sequence of mapped results pushes a plain list.
    assert records.of("kept") == [{"values": [11, 12, 13], "type": "list"}]
    # Cross product: the last expand argument varies fastest.
    assert records.of("products") == [{"values": [10, 20, 30, 20, 40, 60]}]
    assert records.of("descriptions") == [{"values": ["a:1", "b:2"]}, {"values": ["x:3", "y:4"]}]
    # XComArg.map() applied per element, then a mapped task over a mapped task's output.
    assert records.of("sentence") == [{"words": ["HELLO!", "WORLD!"]}]


def test_mapping_classic_operators(run_dag, records):
    result = run_dag("corpus_mapping_classic")
    assert result.state == "success"
    assert result.states == {
        "echo[0]": S,
        "echo[1]": S,
        "square[0]": S,
        "square[1]": S,
        "square[2]": S,
        "gather": S,
    }
    # Template fields of a mapped classic operator are rendered per map index.
    assert records.of("gather") == [{"squares": [4, 9, 16], "second_echo": "20240315-1"}]


def test_mapping_over_nothing(run_dag):
    # airflow-compat §4.4: one skipped task instance at map_index -1; all_success downstream
    # is skipped, all_done runs.
    result = run_dag("corpus_mapping_empty")
    assert result.state == "success"
    assert result.states == {
        "list_new_files": S,
        "process": K,
        "summarize": K,
        "report": S,
        "process_literal": K,
    }
    assert result.ti("process").map_index == -1
    assert tries(result)["process"] == 0


# --- templating, params, variables ---------------------------------------------------------


def test_templating(run_dag, records):
    result = run_dag("corpus_templating")
    assert result.state == "success"
    assert set(result.states.values()) == {S}
    assert records.of("collect") == [
        {
            "values": [
                "2024-03-15 20240315 2024-03-22 x1y2",
                "nobody orders",
                "hello fallback eu",
                "corpus_templating context_values manual__2024-03-15T00:00:00+00:00 1 2024/03 "
                "20240315 20240315T000000 corpus_templating__context_values__20240315",
                "SELECT * FROM orders WHERE day = '2024-03-15' LIMIT 5;",
                "script for 2024-03-15 in orders",
            ]
        }
    ]
    assert records.of("python_templates") == [
        {
            "day": "2024-03-15",
            "table": "orders",
            "templates_dict": {"macro": "staging", "filtered": "HI!"},
        }
    ]
    # airflow-compat §4.11/§4.12: TaskFlow string arguments are rendered; a manual run of a
    # schedule=None DAG has the data interval [logical_date, logical_date].
    assert records.of("taskflow_arg") == [
        {
            "stamp": "20240315",
            "interval": ["2024-03-15T00:00:00+00:00", "2024-03-15T00:00:00+00:00"],
        }
    ]


def test_templating_reads_dag_run_conf(run_dag, records):
    run_dag("corpus_templating", conf={"who": "alice"})
    assert records.of("collect")[0]["values"][1] == "alice orders"


def test_native_templates(run_dag, records):
    result = run_dag("corpus_native_templates")
    assert result.states == {"describe": S}
    assert records.of("native") == [
        {"numbers": [1, 2, 3], "limit": 5, "types": ["list", "int", "str"]}
    ]


def test_params_defaults_and_task_override(run_dag, records):
    result = run_dag("corpus_params")
    assert result.state == "success"
    assert result.states == {"show": S, "task_level": S, "bash_params": S}
    assert records.of("dag_params") == [
        {
            "params": {
                "count": 5,
                "mode": "fast",
                "name": "abc",
                "plain": "just a default",
                "optional": None,
                "start": "2024-01-01",
            }
        }
    ]
    # airflow-compat §4.10: task-level params override the DAG's defaults.
    assert records.of("task_params") == [{"mode": "slow", "count": 5}]


def test_params_conf_override_merges_undeclared_keys(run_dag, records):
    result = run_dag("corpus_params", conf={"count": 7, "extra": "x"})
    assert result.state == "success"
    # airflow-compat §4.10: conf keys reach params even when not declared.
    assert records.of("dag_params") == [
        {
            "params": {
                "count": 7,
                "mode": "fast",
                "name": "abc",
                "plain": "just a default",
                "optional": None,
                "start": "2024-01-01",
                "extra": "x",
            }
        }
    ]
    assert records.of("task_params") == [{"mode": "slow", "count": 7}]


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"count": 50}, "50 is greater than the maximum of 10"),
        ({"mode": "medium"}, "'medium' is not one of ['fast', 'slow']"),
        ({"name": "a"}, "'a' is too short"),
        ({"optional": 3}, "3 is not of type 'null', 'string'"),
        ({"start": "someday"}, "'someday' is not a 'date'"),
    ],
)
def test_params_invalid_conf_fails_before_any_task(run_dag, records, conf, message):
    with pytest.raises(ParamValidationError, match="Invalid input for param") as info:
        run_dag("corpus_params", conf=conf)
    assert message in str(info.value)
    assert records.all() == []


def test_variables_connections_and_current_context(run_dag, records):
    result = run_dag("corpus_variables_context")
    assert result.state == "success"
    assert result.states == dict.fromkeys(
        ["read_variables", "read_connections", "use_context", "set_variables", "get_variables"], S
    )
    assert records.of("variables") == [
        {
            "threshold": "42",
            "default": "dflt",
            "default_var": "legacy",
            "settings": {"region": "eu", "retries": 2},
        }
    ]
    assert records.of("connections") == [
        {
            "db": [
                "postgres",
                "db.example.com",
                5432,
                "user",
                "secret",
                "analytics",
                {"sslmode": "require"},
            ],
            "api": ["http", "api.example.com", {"token": "t"}],
        }
    ]
    assert records.of("context") == [
        {
            "task_id": "use_context",
            "ds": "2024-03-15",
            "run_id": RUN_ID,
            "same_ti": True,
            "dag_id": "corpus_variables_context",
        }
    ]
    # Variable.set in one task is seen by Variable.get in a later task of the run.
    assert records.of("set_then_get") == [{"marker": "set-in-run", "json": {"n": 1}}]


# --- setup/teardown, sensors, bash ---------------------------------------------------------


def test_setup_teardown_decorators(run_dag, records, corpus_bag):
    dag = corpus_bag.get_dag("corpus_setup_teardown")
    assert dag.get_task("run_query").upstream_task_ids == {"create_cluster"}
    assert dag.get_task("delete_cluster").upstream_task_ids == {"create_cluster", "broken_query"}
    assert dag.get_task("create_cluster").is_setup
    assert dag.get_task("delete_cluster").is_teardown

    result = run_dag("corpus_setup_teardown")
    # airflow-compat §4.8: the teardown runs and does not mask the failure.
    assert result.state == "failed"
    assert result.states == {
        "create_cluster": S,
        "run_query": S,
        "broken_query": F,
        "delete_cluster": S,
    }
    assert records.all() == [
        {"event": "create"},
        {"event": "query"},
        {"event": "delete", "cluster_id": "cluster-1"},
    ]


def test_setup_teardown_classic(run_dag, corpus_bag):
    dag = corpus_bag.get_dag("corpus_setup_teardown_classic")
    teardown = dag.get_task("delete_bucket")
    assert teardown.is_teardown
    assert teardown.trigger_rule == "all_done_setup_success"
    assert dag.get_task("create_bucket").is_setup
    result = run_dag("corpus_setup_teardown_classic")
    assert result.state == "success"
    assert result.states == {"create_bucket": S, "load_files": S, "delete_bucket": S}


def test_sensors(run_dag, records):
    result = run_dag("corpus_sensors")
    assert result.state == "success"
    assert result.states == {
        "wait_ready": S,
        "wait_for_payload": S,
        "wait_rescheduled": S,
        "consume": S,
        "never_ready_soft": K,
        "after_soft": K,
    }
    # Poke mode pokes within one try. Reschedule mode keeps the try number: not in the docs,
    # but Airflow's scheduler only increments try_number for TIs not up_for_reschedule.
    assert tries(result)["wait_ready"] == 1
    assert tries(result)["wait_rescheduled"] == 1
    assert [r["n"] for r in records.of("poke")] == [1, 2, 3]
    assert records.of("reschedule_poke") == [{"n": 1, "try_number": 1}, {"n": 2, "try_number": 1}]
    # airflow-compat §4.9: PokeReturnValue's xcom_value becomes the sensor's XCom.
    assert records.of("payload") == [{"payload": {"rows": 42}}]


def test_sensor_timeout_is_not_retried(run_dag):
    result = run_dag("corpus_sensor_timeout")
    assert result.state == "failed"
    assert result.states == {"never_ready": F}
    assert tries(result) == {"never_ready": 1}


def test_bash_operator(run_dag, records):
    result = run_dag("corpus_bash")
    # `fails` is not a leaf: its one_failed handler succeeded, so the run succeeds.
    assert result.state == "success"
    assert result.states == {
        "last_line": S,
        "skip_99": K,
        "after_skip": K,
        "env_vars": S,
        "ctx_vars": S,
        "fails": F,
        "on_failure": S,
        "no_push": S,
        "built_command": S,
        "check": S,
    }
    assert records.of("bash_xcoms") == [
        {
            "values": {
                "last_line": "last line",
                "env_vars": "hi 2024-03-15",
                "ctx_vars": "corpus_bash ctx_vars",
                "on_failure": "handled",
                "no_push": None,
                "built_command": "built by corpus",
            }
        }
    ]


def test_mapped_task_with_one_failing_index(run_dag, records):
    result = run_dag("corpus_mapping_partial_failure")
    # The reducing leaf is upstream_failed because one upstream instance failed.
    assert result.state == "failed"
    assert result.states == {
        "risky[0]": S,
        "risky[1]": F,
        "risky[2]": S,
        "total": U,
        "report": S,
    }
    # Each map index retries on its own.
    assert tries(result) == {"risky[0]": 1, "risky[1]": 2, "risky[2]": 1, "total": 0, "report": 1}
    assert sorted((r["map_index"], r["try_number"]) for r in records.of("risky")) == [
        (0, 1),
        (1, 1),
        (1, 2),
        (2, 1),
    ]


def test_mapping_over_a_non_list(run_dag):
    # Airflow's task runner fails the producing task (XComForMappingNotPushed,
    # UnmappableXComTypePushed); the mapped task never expands.
    result = run_dag("corpus_mapping_bad_input")
    assert result.state == "failed"
    assert result.states == {
        "forgot_to_return": F,
        "load": U,
        "one_string": F,
        "load_string": U,
    }


def test_failed_setup(run_dag):
    # Airflow's trigger-rule dep: a task whose (indirect) setup failed is upstream_failed
    # whatever its own rule; the teardown (all_done_setup_success) with no successful setup
    # too. `report` has no teardown downstream, so the setup is not relevant to it.
    result = run_dag("corpus_setup_failure")
    assert result.state == "failed"
    assert result.states == {
        "create_cluster": F,
        "work": U,
        "work_all_done": U,
        "delete_cluster": U,
        "report": S,
    }


@pytest.mark.parametrize(
    ("dag_id", "run_state"),
    [("corpus_teardown_fails_quietly", "success"), ("corpus_teardown_fails_run", "failed")],
)
def test_failing_teardown(run_dag, corpus_bag, dag_id, run_state):
    dag = corpus_bag.get_dag(dag_id)
    assert dag.get_task("release_lock").upstream_task_ids == {"acquire_lock", "work"}
    result = run_dag(dag_id)
    # Teardowns do not count for the run's state unless on_failure_fail_dagrun=True.
    assert result.state == run_state
    assert result.states == {"acquire_lock": S, "work": S, "release_lock": F}


def test_xcom_values_keep_their_types(run_dag, records):
    # Airflow 3 stores XComs with airflow.sdk.serde: tuples, sets, datetimes, dates and
    # timedeltas come back with their own types.
    result = run_dag("corpus_xcom_types")
    assert result.states == {"produce": S, "consume": S}
    assert records.of("types") == [
        {
            "types": {
                "pair": "tuple",
                "tags": "set",
                "when": "datetime",
                "day": "date",
                "wait": "timedelta",
            }
        }
    ]
