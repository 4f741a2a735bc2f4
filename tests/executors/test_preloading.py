"""Task processes forked from a task forker that imported their DAG file once
(`[core] preload_dag_files`): they get their DAG already built while the file is unchanged, see
a changed file at once, and a file that reads variables when imported is imported by each task
as before (so it sees the real values)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from slipstream.config import Config, load_config
from slipstream.db.engine import Database
from slipstream.db.models import XCom
from slipstream.executors.local import LocalExecutor

from .helpers import get_ti, queue_ti, run_workload, seed_run, write_dag

pytestmark = pytest.mark.slow  # real worker, supervisors, forkers and task processes

# Each task says which value the module had, and whether the module was imported by another
# process (an ancestor: the forker) rather than by the task process itself.
REPORTER = """
    import os
    import pendulum
    from airflow.sdk import dag, task
    {extra}
    VALUE = {value!r}
    IMPORTED_BY = os.getpid()

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def {dag_id}():
        for name in ("a", "b", "c"):
            @task(task_id=name)
            def report():
                return {{"value": VALUE, "preloaded": IMPORTED_BY != os.getpid(),
                         "parent": os.getppid()}}

            report()

    {dag_id}()
"""


def _xcom(db: Database, dag_run_id: int, task_id: str) -> dict[str, object]:
    with db.session() as session:
        row = (
            session.query(XCom)
            .filter_by(dag_run_id=dag_run_id, task_id=task_id, key="return_value")
            .one()
        )
        result: dict[str, object] = json.loads(row.value or "null")
        return result


def _run_all(db: Database, executor: LocalExecutor, run: object, tasks: list[str]) -> None:
    for task_id in tasks:
        run_workload(executor, queue_ti(db, run, task_id))  # type: ignore[arg-type]
        assert get_ti(db, run.ti_ids[task_id]).state == "success"  # type: ignore[attr-defined]


def test_tasks_get_their_dag_preloaded_by_the_forker(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path
) -> None:
    source = REPORTER.format(dag_id="reporter", value="v1", extra="")
    run = seed_run(sqlite_db, write_dag(dags_folder, "reporter", source), "reporter")
    _run_all(sqlite_db, executor, run, ["a", "b", "c"])
    for task_id in ("a", "b", "c"):
        out = _xcom(sqlite_db, run.dag_run_id, task_id)
        assert out["value"] == "v1" and out["preloaded"] is True
        supervisor = get_ti(sqlite_db, run.ti_ids[task_id]).pid
        assert out["parent"] != supervisor  # forked by the supervisor's forker


def test_a_changed_dag_file_is_imported_again(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path
) -> None:
    path = write_dag(
        dags_folder, "changing", REPORTER.format(dag_id="changing", value="v1", extra="")
    )
    run = seed_run(sqlite_db, path, "changing")
    _run_all(sqlite_db, executor, run, ["a"])
    assert _xcom(sqlite_db, run.dag_run_id, "a")["value"] == "v1"

    before = os.stat(path)
    write_dag(dags_folder, "changing", REPORTER.format(dag_id="changing", value="v2", extra=""))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    _run_all(sqlite_db, executor, run, ["b"])
    out = _xcom(sqlite_db, run.dag_run_id, "b")
    assert out["value"] == "v2" and out["preloaded"] is True


def test_a_dag_file_reading_a_variable_when_imported_sees_the_stored_value(
    executor: LocalExecutor, engine_config: Config, sqlite_db: Database, dags_folder: Path
) -> None:
    from slipstream.db.store.variables import set_variable

    with sqlite_db.begin() as session:
        set_variable(session, "greeting", "from the store", config=engine_config)
    source = REPORTER.format(
        dag_id="reads_var",
        value="unused",
        extra="from airflow.sdk import Variable\n"
        "    VALUE_FROM_STORE = Variable.get('greeting', default_var='default')",
    ).replace("VALUE = 'unused'", "VALUE = VALUE_FROM_STORE")
    run = seed_run(sqlite_db, write_dag(dags_folder, "reads_var", source), "reads_var")
    _run_all(sqlite_db, executor, run, ["a", "b"])
    for task_id in ("a", "b"):
        out = _xcom(sqlite_db, run.dag_run_id, task_id)
        assert out["value"] == "from the store" and out["preloaded"] is False


def test_without_preloading_the_supervisor_forks_the_task_process(
    make_executor: Callable[..., LocalExecutor],
    sqlite_db: Database,
    dags_folder: Path,
    engine_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLIPSTREAM__CORE__PRELOAD_DAG_FILES", "False")
    executor = make_executor(load_config())
    source = REPORTER.format(dag_id="plain", value="v1", extra="")
    run = seed_run(sqlite_db, write_dag(dags_folder, "plain", source), "plain")
    _run_all(sqlite_db, executor, run, ["a"])
    out = _xcom(sqlite_db, run.dag_run_id, "a")
    assert out["preloaded"] is False
    assert out["parent"] == get_ti(sqlite_db, run.ti_ids["a"]).pid
