"""`slipstream scheduler` and `slipstream dags trigger` on a migrated home database."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from slipstream.cli.scheduler_cmd import scheduler, trigger
from slipstream.config import reset_config_cache
from slipstream.db.engine import Database
from slipstream.sdk import DAG, Param
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, FakeExecutor, Harness


@pytest.fixture
def home_db(slipstream_home: Path) -> Iterator[Database]:
    from slipstream.config import load_config
    from slipstream.db.migrate import migrate
    from slipstream.db.session import open_database

    db = open_database(load_config())
    migrate(db)
    yield db
    db.dispose()


def add_dag(db: Database) -> None:
    with DAG(
        "cli_dag",
        schedule=None,
        start_date=START,
        params={"size": Param(1, type="integer")},
    ) as dag:
        EmptyOperator(task_id="a")
    Harness(db).add_dag(dag)


def test_trigger_prints_the_run_with_airflow_field_names(home_db: Database) -> None:
    add_dag(home_db)
    result = CliRunner().invoke(
        trigger,
        [
            "cli_dag",
            "--conf", '{"size": 3}',
            "--logical-date", "2024-02-01T00:00:00+00:00",
            "--output", "json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [run] = json.loads(result.output)
    assert {
        "dag_id", "run_id", "logical_date", "queued_at", "start_date", "end_date", "state",
        "run_type", "conf", "data_interval_start", "data_interval_end",
    } <= run.keys()  # fmt: skip
    assert run["run_id"] == "manual__2024-02-01T00:00:00+00:00"
    assert (run["state"], run["run_type"], run["conf"]) == ("queued", "manual", {"size": 3})
    assert run["logical_date"] == "2024-02-01T00:00:00+00:00"


def test_trigger_with_invalid_conf_names_the_param(home_db: Database) -> None:
    add_dag(home_db)
    result = CliRunner().invoke(trigger, ["cli_dag", "--conf", '{"size": "big"}'])
    assert result.exit_code == 1
    assert "size" in result.output


def test_trigger_refuses_a_run_id_outside_the_allowed_pattern(
    home_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_dag(home_db)
    result = CliRunner().invoke(trigger, ["cli_dag", "--run-id", "nightly/1"])
    assert result.exit_code == 1
    assert "'nightly/1'" in result.output and "allowed_run_id_pattern" in result.output
    monkeypatch.setenv("SLIPSTREAM__SCHEDULER__ALLOWED_RUN_ID_PATTERN", r"^nightly/\d+$")
    reset_config_cache()
    try:
        allowed = CliRunner().invoke(trigger, ["cli_dag", "--run-id", "nightly/1"])
    finally:
        reset_config_cache()
    assert allowed.exit_code == 0, allowed.output


def test_trigger_of_an_unknown_dag(home_db: Database) -> None:
    result = CliRunner().invoke(trigger, ["nope", "--run-id", "x"])
    assert result.exit_code == 1
    assert "nope" in result.output


def test_scheduler_needs_the_local_executor(
    home_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "slipstream.executors.local", None)
    result = CliRunner().invoke(scheduler, ["--num-runs", "1"])
    assert result.exit_code == 1
    assert "slipstream.executors.local.LocalExecutor" in result.output


def test_scheduler_runs_the_given_number_of_loops(
    home_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    created: list[FakeExecutor] = []

    class LocalExecutor(FakeExecutor):
        def __init__(self, parallelism: int) -> None:
            super().__init__(parallelism)
            created.append(self)

    module = types.ModuleType("slipstream.executors.local")
    module.LocalExecutor = LocalExecutor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "slipstream.executors.local", module)
    add_dag(home_db)
    CliRunner().invoke(trigger, ["cli_dag"])
    monkeypatch.setenv("SLIPSTREAM__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME", "0.01")
    from slipstream.config import reset_config_cache

    reset_config_cache()
    result = CliRunner().invoke(scheduler, ["--num-runs", "2"])
    assert result.exit_code == 0, result.output
    [executor] = created
    assert executor.parallelism == 32
    assert executor.started and executor.ended
    assert [w.task_id for w in executor.workloads] == ["a"]
