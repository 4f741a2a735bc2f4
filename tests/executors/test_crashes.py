"""Killed processes: a task process, its supervisor, the warm worker. Each is a real process
killed with SIGKILL; the try is detected and failed or retried by its policy, never run twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from pathlib import Path

import pytest

from slipstream.db.engine import Database
from slipstream.db.store import stale_tries
from slipstream.executors.local import LocalExecutor
from slipstream.supervisor.log_files import try_log_path

from .helpers import (
    get_ti,
    pid_alive,
    queue_ti,
    run_workload,
    seed_run,
    wait_event,
    wait_for,
    write_dag,
)

pytestmark = pytest.mark.slow  # real worker, supervisor and task processes

SLEEPER = """
    import datetime as dt
    import os
    import time
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def sleepy():
        @task(retries=1, retry_delay=dt.timedelta(seconds=10))
        def sleeper():
            with open({pidfile!r}, "w") as f:
                f.write(f"{{os.getpid()}} {{os.getppid()}}")
            time.sleep({seconds})
            return "woke up"

        sleeper()

    sleepy()
"""


def _pids(pidfile: Path, db: Database, ti_id: int) -> tuple[int, int]:
    """(task process, supervisor): the task writes its pid; the claim records the supervisor's
    (the task's parent may be the supervisor's task forker)."""
    text = wait_for(lambda: pidfile.exists() and pidfile.read_text().strip())
    task_pid = int(text.split()[0])
    return task_pid, int(get_ti(db, ti_id).pid)


def _seed(db: Database, folder: Path, tmp_path: Path, seconds: float) -> tuple[object, Path]:
    pidfile = tmp_path / "pids.txt"
    source = SLEEPER.format(pidfile=str(pidfile), seconds=seconds)
    return seed_run(db, write_dag(folder, "sleepy", source), "sleepy"), pidfile


def test_a_killed_task_process_is_retried_with_the_signal_in_the_log(
    executor: LocalExecutor,
    sqlite_db: Database,
    dags_folder: Path,
    engine_env: Path,
    tmp_path: Path,
) -> None:
    run, pidfile = _seed(sqlite_db, dags_folder, tmp_path, 60)
    workload = queue_ti(sqlite_db, run, "sleeper")  # type: ignore[arg-type]
    executor.queue_workload(workload)
    task_pid, _ = _pids(pidfile, sqlite_db, workload.ti_id)

    os.kill(task_pid, signal.SIGKILL)
    wait_event(executor, workload.ti_id)

    ti = get_ti(sqlite_db, workload.ti_id)
    assert ti.state == "up_for_retry" and ti.next_try_at is not None
    log = try_log_path(
        engine_env / "logs", dag_id="sleepy", run_id="manual__test", task_id="sleeper",
        map_index=-1, try_number=1,
    ).read_text()  # fmt: skip
    assert "Task process was killed by signal SIGKILL before reporting an outcome" in log
    assert "Marking the try up_for_retry" in log


def test_a_killed_supervisor_leaves_a_stale_heartbeat_for_the_scheduler_to_reap(
    executor: LocalExecutor,
    sqlite_db: Database,
    dags_folder: Path,
    tmp_path: Path,
) -> None:
    run, pidfile = _seed(sqlite_db, dags_folder, tmp_path, 60)
    workload = queue_ti(sqlite_db, run, "sleeper")  # type: ignore[arg-type]
    executor.queue_workload(workload)
    task_pid, supervisor_pid = _pids(pidfile, sqlite_db, workload.ti_id)

    os.kill(supervisor_pid, signal.SIGKILL)
    wait_event(executor, workload.ti_id)  # the worker reports the lost supervisor
    assert executor.running_count == 0
    wait_for(lambda: not pid_alive(task_pid), timeout=10)  # the task dies with its supervisor

    before = get_ti(sqlite_db, workload.ti_id)
    time.sleep(2.5)  # more than two heartbeat intervals
    after = get_ti(sqlite_db, workload.ti_id)
    assert after.state == "running"
    assert after.last_heartbeat_at == before.last_heartbeat_at
    assert after.last_heartbeat_at is not None

    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    with sqlite_db.begin() as session:
        reaped = stale_tries.reap_stale_running(session, cutoff)
    assert reaped == [workload.ti_id]
    assert get_ti(sqlite_db, workload.ti_id).state == "up_for_retry"


def test_tries_outlive_the_warm_worker_and_a_new_worker_takes_over(
    executor: LocalExecutor,
    sqlite_db: Database,
    dags_folder: Path,
    tmp_path: Path,
) -> None:
    run, pidfile = _seed(sqlite_db, dags_folder, tmp_path, 1.5)
    workload = queue_ti(sqlite_db, run, "sleeper")  # type: ignore[arg-type]
    executor.queue_workload(workload)
    _pids(pidfile, sqlite_db, workload.ti_id)
    worker = executor._worker
    assert worker is not None
    worker.kill()
    worker.wait()

    wait_event(executor, workload.ti_id)
    assert get_ti(sqlite_db, workload.ti_id).state == "success"

    # the next workload (or heartbeat) starts a new worker
    run2 = seed_run(
        sqlite_db, write_dag(dags_folder, "sleepy", SLEEPER.format(pidfile=str(pidfile), seconds=0)),
        "sleepy", run_id="manual__second", logical_date=dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
    )  # fmt: skip
    run_workload(executor, queue_ti(sqlite_db, run2, "sleeper"))
    assert executor._worker is not None and executor._worker is not worker
    assert get_ti(sqlite_db, run2.ti_ids["sleeper"]).state == "success"


def test_a_ti_cleared_while_running_stops_its_task(
    executor: LocalExecutor,
    sqlite_db: Database,
    dags_folder: Path,
    engine_env: Path,
    tmp_path: Path,
) -> None:
    from .helpers import set_ti

    run, pidfile = _seed(sqlite_db, dags_folder, tmp_path, 60)
    workload = queue_ti(sqlite_db, run, "sleeper")  # type: ignore[arg-type]
    executor.queue_workload(workload)
    task_pid, _ = _pids(pidfile, sqlite_db, workload.ti_id)

    set_ti(sqlite_db, workload.ti_id, state="restarting")  # what `tasks clear` does
    wait_event(executor, workload.ti_id, timeout=30)

    wait_for(lambda: not pid_alive(task_pid), timeout=10)
    assert get_ti(sqlite_db, workload.ti_id).state == "restarting"
    log = try_log_path(
        engine_env / "logs", dag_id="sleepy", run_id="manual__test", task_id="sleeper",
        map_index=-1, try_number=1,
    ).read_text()  # fmt: skip
    assert "Terminating the task" in log


def test_a_workload_whose_supervisor_died_before_claiming_is_handed_out_again(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path, tmp_path: Path
) -> None:
    import time as _time

    from slipstream.executors.local import _InFlight
    from slipstream.supervisor.comms import send_event

    run, _ = _seed(sqlite_db, dags_folder, tmp_path, 0)
    workload = queue_ti(sqlite_db, run, "sleeper")  # type: ignore[arg-type]
    # as if the worker had forked a supervisor for it that died before its claim
    executor._in_flight[workload.ti_id] = _InFlight(workload, _time.monotonic())
    assert executor.settings is not None
    send_event(executor.settings.event_socket, workload.ti_id, workload.queue_token, lost=True)

    wait_event(executor, workload.ti_id)
    assert get_ti(sqlite_db, workload.ti_id).state == "success"
    assert executor.running_count == 0
