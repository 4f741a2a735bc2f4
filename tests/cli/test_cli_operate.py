"""Operating DAGs and runs from the CLI: `dags pause | unpause | list-runs | state | backfill`
and `tasks states-for-dag-run | state | clear`.

A migrated home whose DAGs the DAG processor stored from a temporary DAGs folder; runs are made
with the store functions and their states set directly. Main paths run as a subprocess, the rest
in-process with click's runner. Backfill is checked for the runs it creates (intervals,
reprocess behaviours, order), for its own `--max-active-runs` gating while it waits (a thread
plays the scheduler by finishing runs), and end to end with a real scheduler and local executor.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from slipstream.cli import dags_ops, tasks_ops
from slipstream.db.engine import Database
from slipstream.db.models import DagRun
from slipstream.db.store import audit, ti_clearing
from slipstream.db.store import runs as run_store
from slipstream.db.store import task_instances as ti_store
from slipstream.db.store.serialized_dags import latest_serialized_dag

Run = Callable[..., CompletedProcess[str]]

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

DAG_FILES = {
    "daily.py": """
        import pendulum
        from airflow.sdk import DAG, Param, task

        with DAG(
            "daily",
            schedule="@daily",
            start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
            catchup=False,
            params={"size": Param(1, type="integer")},
        ):
            @task
            def extract():
                return 1

            @task
            def transform(value):
                return value + 1

            @task
            def load(value):
                print("loaded", value)

            load(transform(extract()))
    """,
    "others.py": """
        import pendulum
        from airflow.sdk import DAG, task
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("mapped", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
            @task
            def double(x):
                return 2 * x

            double.expand(x=[1, 2, 3])

        with DAG(
            "past",
            schedule="@daily",
            start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
            default_args={"depends_on_past": True},
        ):
            EmptyOperator(task_id="only")
    """,
}


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def home(migrated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The migrated home with the DAGs of `DAG_FILES` stored by the DAG processor."""
    from slipstream.config import generate_fernet_key, get_config, reset_config_cache
    from slipstream.dag_processing import DagProcessor
    from slipstream.db.session import open_database

    folder = tmp_path / "dags"
    folder.mkdir()
    for name, source in DAG_FILES.items():
        (folder / name).write_text(textwrap.dedent(source))
    monkeypatch.setenv("SLIPSTREAM__CORE__DAGS_FOLDER", str(folder))
    monkeypatch.setenv("SLIPSTREAM__CORE__LOAD_EXAMPLES", "false")
    monkeypatch.setenv("COLUMNS", "250")  # tables wide enough not to shorten values
    monkeypatch.setenv("SLIPSTREAM__CORE__FERNET_KEY", generate_fernet_key())
    reset_config_cache()
    config = get_config()
    db = open_database(config)
    processor = DagProcessor(db, config)
    try:
        summary = processor.run_once()
    finally:
        processor.close()
        db.dispose()
    assert not summary.errors, summary.errors
    assert summary.dags_saved == 3
    return migrated_home


@pytest.fixture
def db(home: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{home}/slipstream.db")
    yield database
    database.dispose()


def invoke(command: click.Command, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(command, list(args), input=input)


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def failed(result: Result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    return result.stderr


def day(n: int) -> dt.datetime:
    """The logical date of January n, 2024."""
    return START + (n - 1) * DAY


def day_of(run: DagRun) -> int:
    assert run.logical_date is not None
    return run.logical_date.day


def add_run(
    db: Database,
    n: int,
    state: str,
    *,
    dag_id: str = "daily",
    run_type: str = "scheduled",
    conf: dict[str, Any] | None = None,
) -> str:
    """A run of `dag_id` at midnight of January n (as `@daily`, a cron trigger, makes them) in
    `state`; finished runs get their tasks marked as Airflow's "mark run as" does. Returns the
    run id."""
    logical = day(n)
    with db.begin() as session:
        found = latest_serialized_dag(session, dag_id)
        assert found is not None
        serialized_id, dag = found
        new = run_store.NewRun(
            run_id=f"{run_type}__{logical.isoformat()}",
            run_type=run_type,
            run_after=logical,
            logical_date=logical,
            data_interval_start=logical,
            data_interval_end=logical,
            conf=conf,
            triggered_by="test",
        )
        initial = state if state in ("queued", "running") else "running"
        run = run_store.create_run(session, dag, serialized_id, new, now=NOW, state=initial)
        if state in ("success", "failed"):
            run_store.mark_run(session, run, state, now=NOW)
        return run.run_id


def set_ti(db: Database, run_id: str, task_id: str, state: str, *, dag_id: str = "daily") -> None:
    with db.begin() as session:
        ti = ti_store.get_ti(session, dag_id, run_id, task_id)
        assert ti is not None
        ti_store.set_state(session, [ti.id], state, now=NOW)
        ti.try_number = 1


def runs_of(db: Database, dag_id: str = "daily") -> list[DagRun]:
    with db.session() as session:
        return run_store.find_runs(session, dag_id)


def ti_states(db: Database, run_id: str, dag_id: str = "daily") -> dict[str, str | None]:
    with db.session() as session:
        return {ti.task_id: ti.state for ti in ti_store.tis_for_run(session, dag_id, run_id)}


def events(db: Database) -> list[tuple[str, str | None]]:
    with db.session() as session:
        return [(e.event, e.dag_id) for e in audit.list_events(session, newest_first=False)]


def is_paused(db: Database, dag_id: str) -> bool:
    from slipstream.db.store import dags as dag_store

    with db.session() as session:
        model = dag_store.get_dag_model(session, dag_id)
        assert model is not None
        return model.is_paused


# --- pause / unpause --------------------------------------------------------------------------


def test_pause_and_unpause_as_a_subprocess(run_slipstream: Run, db: Database) -> None:
    result = run_slipstream("dags", "unpause", "daily", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"dag_id": "daily", "is_paused": False}]
    assert not is_paused(db, "daily")
    result = run_slipstream("dags", "pause", "daily")
    assert result.returncode == 0, result.stderr
    assert "daily" in result.stdout and "True" in result.stdout
    assert is_paused(db, "daily")
    unknown = run_slipstream("dags", "pause", "nope")
    assert unknown.returncode == 1
    assert "DAG 'nope' not found" in unknown.stderr
    assert events(db) == [("cli_dags_unpause", "daily"), ("cli_dags_pause", "daily")]


def test_pause_by_regex_asks_and_changes_only_what_differs(db: Database) -> None:
    assert all(is_paused(db, d) for d in ("daily", "mapped", "past"))
    aborted = invoke(dags_ops.unpause, "^(daily|past)$", "--treat-dag-id-as-regex", input="n\n")
    assert aborted.exit_code == 1
    assert "daily\npast" in aborted.stderr
    assert is_paused(db, "daily")
    done = invoke(dags_ops.unpause, "^(daily|past)$", "--treat-dag-id-as-regex", "-y", "-o", "json")
    assert json.loads(ok(done)) == [
        {"dag_id": "daily", "is_paused": False},
        {"dag_id": "past", "is_paused": False},
    ]
    assert is_paused(db, "mapped")
    again = invoke(dags_ops.unpause, "a", "--treat-dag-id-as-regex", "-y", "-o", "json")
    assert json.loads(ok(again)) == [{"dag_id": "mapped", "is_paused": False}]
    nothing = invoke(dags_ops.unpause, "a", "--treat-dag-id-as-regex", "-y")
    assert nothing.exit_code == 0 and "No paused DAGs match" in nothing.stderr
    assert invoke(dags_ops.pause, "(", "--treat-dag-id-as-regex").exit_code == 2


# --- list-runs and state ----------------------------------------------------------------------


def test_list_runs_with_airflow_field_names_and_filters(db: Database) -> None:
    first = add_run(db, 1, "success")
    second = add_run(db, 2, "failed", run_type="backfill")
    third = add_run(db, 3, "running", conf={"size": 3})
    rows = json.loads(ok(invoke(dags_ops.list_runs, "daily", "-o", "json")))
    assert [r["run_id"] for r in rows] == [third, second, first]  # newest first
    assert {
        "dag_id", "run_id", "state", "run_type", "logical_date", "queued_at", "start_date",
        "end_date", "data_interval_start", "data_interval_end", "conf",
    } <= rows[0].keys()  # fmt: skip
    assert rows[0]["logical_date"] == "2024-01-03T00:00:00+00:00"
    assert rows[0]["data_interval_end"] == "2024-01-03T00:00:00+00:00"
    assert (rows[0]["state"], rows[0]["conf"]) == ("running", {"size": 3})
    assert rows[1]["run_type"] == "backfill"

    def ids(*args: str) -> list[str]:
        return [r["run_id"] for r in json.loads(ok(invoke(dags_ops.list_runs, "daily", *args)))]

    assert ids("-o", "json", "--state", "failed") == [second]
    assert ids("-o", "json", "--no-backfill") == [third, first]
    assert ids("-o", "json", "-s", "2024-01-02", "-e", "2024-01-02T00:00:00Z") == [second]
    assert ids("-o", "json", "--start-date", "2024-01-02") == [third, second]
    table = ok(invoke(dags_ops.list_runs, "daily"))
    assert "run_id" in table and "logical_date" in table and table.count("daily") == 3
    assert ok(invoke(dags_ops.list_runs, "mapped")) == "No data found\n"
    assert json.loads(ok(invoke(dags_ops.list_runs, "mapped", "-o", "json"))) == []
    assert "DAG 'nope' not found" in failed(invoke(dags_ops.list_runs, "nope"))


def test_dag_state_by_run_id_or_logical_date(db: Database) -> None:
    run_id = add_run(db, 2, "success")
    add_run(db, 3, "running", conf={"size": 3})
    assert ok(invoke(dags_ops.dag_state, "daily", run_id)) == "success\n"
    assert ok(invoke(dags_ops.dag_state, "daily", "2024-01-02")) == "success\n"
    assert ok(invoke(dags_ops.dag_state, "daily", "2024-01-03T00:00:00+00:00")) == (
        'running, {"size": 3}\n'
    )
    [row] = json.loads(ok(invoke(dags_ops.dag_state, "daily", run_id, "-o", "json")))
    assert (row["run_id"], row["state"], row["logical_date"]) == (
        run_id,
        "success",
        "2024-01-02T00:00:00+00:00",
    )
    message = failed(invoke(dags_ops.dag_state, "daily", "2024-01-09"))
    assert "DAG 'daily' has no run with run id or logical date '2024-01-09'" in message
    assert "'nope'" in failed(invoke(dags_ops.dag_state, "nope", run_id))


# --- tasks states-for-dag-run and state -------------------------------------------------------


def test_states_for_dag_run(run_slipstream: Run, db: Database) -> None:
    run_id = add_run(db, 1, "running")
    set_ti(db, run_id, "extract", "success")
    set_ti(db, run_id, "transform", "failed")
    result = run_slipstream("tasks", "states-for-dag-run", "daily", run_id, "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["task_id"], r["state"]) for r in rows] == [
        ("extract", "success"),
        ("load", None),
        ("transform", "failed"),
    ]
    assert set(tasks_ops.TI_COLUMNS) <= rows[0].keys()
    assert (rows[0]["dag_id"], rows[0]["run_id"], rows[0]["map_index"]) == ("daily", run_id, -1)
    assert rows[0]["try_number"] == 1 and rows[0]["operator"] == "_PythonDecoratedOperator"
    assert rows[0]["end_date"] == NOW.isoformat()
    table = ok(invoke(tasks_ops.states_for_dag_run, "daily", "2024-01-01"))
    assert "transform" in table and "failed" in table
    assert "no run with run id" in failed(invoke(tasks_ops.states_for_dag_run, "daily", "x"))
    assert "DAG 'nope'" in failed(invoke(tasks_ops.states_for_dag_run, "nope", run_id))


def test_task_state_and_map_indexes(db: Database) -> None:
    run_id = add_run(db, 1, "running")
    set_ti(db, run_id, "extract", "success")
    assert ok(invoke(tasks_ops.task_state, "daily", "extract", run_id)) == "success\n"
    assert ok(invoke(tasks_ops.task_state, "daily", "load", "2024-01-01")) == "None\n"
    [row] = json.loads(ok(invoke(tasks_ops.task_state, "daily", "extract", run_id, "-o", "json")))
    assert (row["task_id"], row["state"], row["map_index"]) == ("extract", "success", -1)
    message = failed(invoke(tasks_ops.task_state, "daily", "nope", run_id))
    assert f"Task 'nope' not found in run '{run_id}' of DAG 'daily'" in message

    with db.begin() as session:
        run = run_store.trigger_run(session, "mapped", now=NOW, run_id="m1")
        placeholder = ti_store.get_ti(session, "mapped", "m1", "double")
        assert placeholder is not None
        ti_store.expand_mapped(session, placeholder.id, 3, now=NOW)
        assert run.run_id == "m1"
    assert "give --map-index (0 to 2)" in failed(
        invoke(tasks_ops.task_state, "mapped", "double", "m1")
    )
    state = invoke(tasks_ops.task_state, "mapped", "double", "m1", "--map-index", "2")
    assert ok(state) == "scheduled\n"


# --- tasks clear ------------------------------------------------------------------------------


def test_clear_lists_asks_and_clears_with_downstream(run_slipstream: Run, db: Database) -> None:
    run_id = add_run(db, 1, "success")
    other = add_run(db, 2, "success")
    dry = invoke(tasks_ops.clear, "daily", "-t", "^transform$", "-d", "--dry-run", "-o", "json")
    listed = json.loads(ok(dry))
    assert [(r["run_id"], r["task_id"], r["state"]) for r in listed] == [
        (run_id, "load", "success"),
        (run_id, "transform", "success"),
        (other, "load", "success"),
        (other, "transform", "success"),
    ]
    assert ti_states(db, run_id) == dict.fromkeys(("extract", "load", "transform"), "success")
    refused = invoke(tasks_ops.clear, "daily", "-t", "^transform$", "-d", input="n\n")
    assert refused.exit_code == 1
    assert "You are about to clear these 4 task instance(s)" in refused.stderr
    assert ti_states(db, run_id)["transform"] == "success"

    result = run_slipstream(
        "tasks", "clear", "daily", "-t", "^transform$", "--downstream", "-s", "2024-01-01",
        "-e", "2024-01-01", "--yes", "-o", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [r["task_id"] for r in json.loads(result.stdout)] == ["load", "transform"]
    assert ti_states(db, run_id) == {"extract": "success", "load": None, "transform": None}
    assert ti_states(db, other)["transform"] == "success"
    [cleared_run, untouched] = runs_of(db)
    assert (cleared_run.state, cleared_run.clear_number) == ("queued", 1)
    assert untouched.state == "success"
    assert events(db) == [("cli_tasks_clear", "daily")]


def test_clear_only_failed_only_running_and_upstream(db: Database) -> None:
    run_id = add_run(db, 1, "running")
    set_ti(db, run_id, "extract", "success")
    set_ti(db, run_id, "transform", "failed")
    set_ti(db, run_id, "load", "upstream_failed")
    out = ok(invoke(tasks_ops.clear, "daily", "--only-failed", "--dry-run", "-o", "json"))
    assert [r["task_id"] for r in json.loads(out)] == ["load", "transform"]
    out = ok(invoke(tasks_ops.clear, "daily", "-t", "load", "-u", "--dry-run", "-o", "json"))
    assert [r["task_id"] for r in json.loads(out)] == ["extract", "load", "transform"]
    assert ok(invoke(tasks_ops.clear, "daily", "--only-running", "-y")) == (
        "No task instances to clear\n"
    )

    set_ti(db, run_id, "transform", "running")
    result = invoke(tasks_ops.clear, "daily", "--only-running", "-y")
    assert "transform" in ok(result) and "Cleared 1 task instance(s)" in result.stderr
    assert ti_states(db, run_id) == {
        "extract": "success",
        "load": "upstream_failed",
        "transform": "restarting",  # runs again once its current try stops
    }
    assert invoke(tasks_ops.clear, "daily", "-f", "-r").exit_code == 2
    assert "No task of DAG 'daily' matches 'zzz'" in failed(
        invoke(tasks_ops.clear, "daily", "-t", "zzz")
    )
    assert "DAG 'nope'" in failed(invoke(tasks_ops.clear, "nope", "-y"))


# --- backfill: which runs ---------------------------------------------------------------------


def test_backfill_no_wait_creates_a_run_per_interval(run_slipstream: Run, db: Database) -> None:
    result = run_slipstream(
        "dags", "backfill", "daily", "--start-date", "2024-01-01", "--end-date", "2024-01-05",
        "--no-wait", "-o", "json", "--conf", '{"size": 2}',
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["run_id"] for r in rows] == [
        f"backfill__2024-01-0{n}T00:00:00+00:00" for n in range(1, 6)
    ]
    assert {(r["run_type"], r["state"], r["triggered_by"]) for r in rows} == {
        ("backfill", "queued", "backfill")
    }
    assert rows[0]["logical_date"] == "2024-01-01T00:00:00+00:00"
    assert rows[0]["data_interval_start"] == rows[0]["data_interval_end"]  # a cron trigger
    assert rows[0]["conf"] == {"size": 2}
    assert "no scheduler is running" in result.stderr
    assert "DAG 'daily' is paused" in result.stderr
    assert len(runs_of(db)) == 5
    assert ti_states(db, rows[0]["run_id"]) == dict.fromkeys(("extract", "load", "transform"))
    assert events(db) == [("cli_dags_backfill", "daily")]


@pytest.mark.parametrize(
    ("behavior", "created", "reprocessed"),
    [
        ("none", [1, 5], []),
        ("failed", [1, 5], [3]),
        ("completed", [1, 5], [2, 3]),
    ],
)
def test_backfill_reprocess_behaviors(
    db: Database, behavior: str, created: list[int], reprocessed: list[int]
) -> None:
    existing = {2: add_run(db, 2, "success"), 3: add_run(db, 3, "failed")}
    existing[4] = add_run(db, 4, "running")
    result = invoke(
        dags_ops.backfill, "daily", "-s", "2024-01-01", "-e", "2024-01-05",
        "--reprocess-behavior", behavior, "--no-wait", "-o", "json",
    )  # fmt: skip
    rows = json.loads(ok(result))
    assert [r["logical_date"][:10] for r in rows] == sorted(
        f"2024-01-0{n}" for n in created + reprocessed
    )
    by_day = {int(r["logical_date"][8:10]): r for r in rows}
    for n in created:
        assert by_day[n]["run_id"].startswith("backfill__")
    for n in reprocessed:  # the same run, cleared, queued and now the backfill's
        row = by_day[n]
        assert row["run_id"] == existing[n]
        assert (row["state"], row["run_type"], row["triggered_by"]) == (
            "queued",
            "backfill",
            "backfill",
        )
        assert set(ti_states(db, existing[n]).values()) == {None}
    states = {day_of(r): (r.state, r.run_type) for r in runs_of(db)}
    assert states[4] == ("running", "scheduled")  # in flight: never touched
    if 2 not in reprocessed:
        assert states[2] == ("success", "scheduled")
    skipped = 5 - len(created) - len(reprocessed)
    assert f"Skipping {skipped} logical date(s)" in result.stderr


def test_backfill_dry_run_and_order(db: Database) -> None:
    add_run(db, 2, "failed")
    dry = invoke(
        dags_ops.backfill, "daily", "-s", "2024-01-01", "-e", "2024-01-03",
        "--reprocess-behavior", "failed", "--dry-run", "-o", "json", "--run-backwards",
    )  # fmt: skip
    plan = json.loads(ok(dry))
    assert [(p["logical_date"][:10], p["action"]) for p in plan] == [
        ("2024-01-03", "create"),
        ("2024-01-02", "reprocess"),
        ("2024-01-01", "create"),
    ]
    assert plan[0]["run_id"] == "backfill__2024-01-03T00:00:00+00:00"
    assert plan[1]["run_id"] == "scheduled__2024-01-02T00:00:00+00:00"
    assert len(runs_of(db)) == 1 and events(db) == []

    ok(
        invoke(
            dags_ops.backfill, "daily", "-s", "2024-01-05", "-e", "2024-01-07", "-B", "--no-wait"
        )
    )
    created = [r for r in runs_of(db) if r.run_type == "backfill"]
    by_id = sorted(created, key=lambda r: r.id)
    assert [day_of(r) for r in by_id] == [7, 6, 5]  # newest first
    again = invoke(
        dags_ops.backfill,
        "daily",
        "-s",
        "2024-01-05",
        "-e",
        "2024-01-07",
        "--no-wait",
        "-o",
        "json",
    )
    assert json.loads(ok(again)) == []
    assert "Nothing to backfill for DAG 'daily'" in again.stderr


def test_backfill_refusals(db: Database) -> None:
    def refused(*args: str) -> str:
        return failed(invoke(dags_ops.backfill, *args, "--no-wait"))

    assert "DAG 'nope' not found" in refused("nope", "-s", "2024-01-01", "-e", "2024-01-02")
    assert "no time-based schedule" in refused("mapped", "-s", "2024-01-01", "-e", "2024-01-02")
    assert "depends_on_past" in refused("past", "-s", "2024-01-01", "-e", "2024-01-02")
    message = refused(
        "past", "-s", "2024-01-01", "-e", "2024-01-02", "-B", "--reprocess-behavior", "failed"
    )
    assert "backwards" in message
    assert "No runs to create" in refused(
        "daily", "-s", "2024-01-01T01:00", "-e", "2024-01-01T02:00"
    )
    later = invoke(dags_ops.backfill, "daily", "-s", "2024-01-05", "-e", "2024-01-01")
    assert later.exit_code == 2 and "after the end date" in later.stderr
    future = invoke(dags_ops.backfill, "daily", "-s", "2999-01-01", "-e", "2999-01-02")
    assert future.exit_code == 2 and "future" in future.stderr
    bad_conf = invoke(
        dags_ops.backfill, "daily", "-s", "2024-01-01", "-e", "2024-01-02", "-c", '{"size": "big"}'
    )
    assert bad_conf.exit_code == 2 and "size" in bad_conf.stderr
    assert runs_of(db) == []
    ok(
        invoke(
            dags_ops.backfill,
            "past",
            "-s",
            "2024-01-01",
            "-e",
            "2024-01-02",
            "--reprocess-behavior",
            "failed",
            "--no-wait",
        )
    )
    assert len(runs_of(db, "past")) == 2


# --- backfill: waiting ------------------------------------------------------------------------


class RunFinisher:
    """Plays the scheduler in a thread: finishes the DAG's oldest active run again and again
    (`failing` days fail) and records the most runs it ever saw active at once."""

    def __init__(self, db: Database, failing: tuple[int, ...] = ()) -> None:
        self.db = db
        self.failing = failing
        self.most_active = 0
        self.finished: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> RunFinisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self.db.begin() as session:
                active = run_store.find_runs(session, "daily", states=["queued", "running"])
                self.most_active = max(self.most_active, len(active))
                if active:
                    run = active[0]
                    assert run.logical_date is not None
                    n = run.logical_date.day
                    state = "failed" if n in self.failing else "success"
                    run_store.mark_run(session, run, state, now=NOW)
                    self.finished.append(n)
            time.sleep(0.01)


def test_backfill_waits_within_max_active_runs(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dags_ops, "POLL_INTERVAL", 0.02)
    with RunFinisher(db, failing=(4,)) as finisher:
        result = invoke(
            dags_ops.backfill, "daily", "-s", "2024-01-01", "-e", "2024-01-06",
            "--max-active-runs", "2", "-o", "json",
        )  # fmt: skip
    assert result.exit_code == 1, (result.stdout, result.stderr)
    rows = json.loads(result.stdout)
    assert [(r["logical_date"][:10], r["state"]) for r in rows] == [
        (f"2024-01-0{n}", "failed" if n == 4 else "success") for n in range(1, 7)
    ]
    assert finisher.most_active == 2
    assert sorted(finisher.finished) == [1, 2, 3, 4, 5, 6]
    assert "6 run(s), 5 succeeded, 1 failed" in result.stderr
    assert events(db) == [("cli_dags_backfill", "daily")]


def test_backfill_waits_with_a_progress_bar_until_success(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dags_ops, "POLL_INTERVAL", 0.02)
    with RunFinisher(db):
        result = invoke(dags_ops.backfill, "daily", "-s", "2024-01-01", "-e", "2024-01-03")
    out = ok(result)
    assert out.count("success") == 3
    assert "Backfill daily" in result.stderr and "3/3" in result.stderr
    assert "3 run(s), 3 succeeded, 0 failed" in result.stderr


@pytest.mark.slow
def test_backfill_end_to_end_with_a_scheduler(
    run_slipstream: Run, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dags backfill` as a subprocess while a real scheduler with the local executor runs."""
    from slipstream.config import get_config, reset_config_cache
    from slipstream.core.clock import SystemClock
    from slipstream.db.session import open_database
    from slipstream.executors.local import LocalExecutor
    from slipstream.scheduler import Scheduler, run_forever

    monkeypatch.setenv("SLIPSTREAM__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME", "0.05")
    monkeypatch.setenv("SLIPSTREAM__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC", "1")
    reset_config_cache()
    config = get_config()
    assert run_slipstream("dags", "unpause", "daily").returncode == 0
    scheduler_db = open_database(config)
    executor = LocalExecutor(2, scheduler_db.url.render_as_string(hide_password=False), config)
    scheduler = Scheduler(scheduler_db, executor, SystemClock(), config)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(scheduler,), kwargs={"num_runs": -1, "stop": stop}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while scheduler.job_id is None and time.monotonic() < deadline:
            time.sleep(0.05)
        result = run_slipstream(
            "dags", "backfill", "daily", "-s", "2024-01-01", "-e", "2024-01-03",
            "--max-active-runs", "2", "-o", "json",
        )  # fmt: skip
    finally:
        stop.set()
        thread.join(60)
        scheduler_db.dispose()
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "no scheduler is running" not in result.stderr
    rows = json.loads(result.stdout)
    assert [(r["run_id"], r["state"]) for r in rows] == [
        (f"backfill__2024-01-0{n}T00:00:00+00:00", "success") for n in (1, 2, 3)
    ]
    for row in rows:
        assert set(ti_states(db, row["run_id"]).values()) == {"success"}


# --- the store functions these commands added, on SQLite and PostgreSQL ----------------------


def store_dag(db: Database) -> None:
    """A `@daily` DAG `ops` with tasks a >> b, stored as the DAG processor would."""
    from slipstream.db.store import dags as dag_store
    from slipstream.db.store import serialized_dags
    from slipstream.sdk import DAG
    from slipstream.sdk.operators.empty import EmptyOperator
    from slipstream.serialization import dag_hash, serialize_dag

    with DAG("ops", schedule="@daily", start_date=START) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    data = serialize_dag(dag)
    with db.begin() as session:
        dag_store.add_dag_model(session, "ops", is_paused=False)
        serialized_dags.add_version(
            session, dag_id="ops", data=data, dag_hash=dag_hash(data), fileloc="", version_number=1,
            now=NOW,
        )  # fmt: skip


def test_store_reads_adoption_and_clearing_by_state(any_db: Database) -> None:
    store_dag(any_db)
    one = add_run(any_db, 1, "success", dag_id="ops")
    two = add_run(any_db, 2, "failed", dag_id="ops", run_type="backfill")
    three = add_run(any_db, 3, "running", dag_id="ops")
    set_ti(any_db, three, "a", "running", dag_id="ops")
    with any_db.session() as session:
        assert [r.run_id for r in run_store.find_runs(session, "ops")] == [one, two, three]
        found = run_store.find_runs(
            session, "ops", states=["success", "running"], exclude_run_types=["backfill"],
            logical_start=day(2), logical_end=day(3),
        )  # fmt: skip
        assert [r.run_id for r in found] == [three]
        run = run_store.run_at_logical_date(session, "ops", day(2))
        assert run is not None and run.run_id == two
        assert run_store.run_at_logical_date(session, "ops", day(9)) is None
        ids = {r.run_id: r.id for r in run_store.find_runs(session, "ops")}
        assert run_store.run_states(session, ids.values()) == {
            ids[one]: "success",
            ids[two]: "failed",
            ids[three]: "running",
        }
        found_dag = latest_serialized_dag(session, "ops")
        assert found_dag is not None
        plan = dags_ops.plan_backfill(
            session, found_dag[1], day(1), day(4), behavior="failed", now=NOW
        )
        assert [(p.action, p.reason) for p in plan] == [
            ("skip", "already exists"),
            ("reprocess", None),
            ("skip", "in flight"),
            ("create", None),
        ]
    with any_db.begin() as session:
        run_store.adopt_for_backfill(session, ids[one], now=NOW, conf={"size": 5})
        cleared = ti_clearing.clear_in_states(
            session, "ops", ["a", "b"], ["running"], now=NOW, dry_run=True
        )
        assert [(c.run_id, c.task_id, c.state) for c in cleared] == [(three, "a", "running")]
        ti_clearing.clear_in_states(session, "ops", ["a"], ["running"], now=NOW, downstream=True)
    with any_db.session() as session:
        adopted = run_store.get_run(session, "ops", one)
        assert adopted is not None
        assert (adopted.run_type, adopted.triggered_by, adopted.conf) == (
            "backfill",
            "backfill",
            {"size": 5},
        )
    assert ti_states(any_db, three, "ops") == {"a": "restarting", "b": None}
