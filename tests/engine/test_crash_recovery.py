"""Crashes lose nothing: real `slipstream` processes killed with SIGKILL mid-run.

Each test starts the processes a user starts (`slipstream dag-processor` + `slipstream
scheduler`, or `slipstream standalone`) on a SQLite home in its temporary folder, with short
heartbeat settings (`conftest.FAST_SETTINGS`), and kills every process it started when it ends.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path

import pytest

from .stack import EngineStack, aware, children_of, pid_alive, wait_for, write_dag

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

CHAIN_LENGTH = 8

CHAIN = """
    import time
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False)
    def chain():
        previous = None
        for i in range({length}):

            @task(task_id=f"t{i}")
            def step(ti=None):
                with open({out}, "a") as handle:
                    handle.write(f"{ti.dag_id},{ti.task_id},{ti.try_number}\\n")
                time.sleep(2.0 if ti.task_id == "t2" else 0.3)  # t2 is running at the kill

            current = step()
            if previous is not None:
                previous >> current
            previous = current

    chain()
"""


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# --- a. the scheduler killed mid-run -------------------------------------------------------


@pytest.mark.parametrize("mode", ["scheduler", "standalone"])
def test_a_scheduler_killed_mid_run_resumes_without_running_a_try_twice(
    stack: EngineStack, tmp_path: Path, mode: str
) -> None:
    out = tmp_path / "tries.txt"
    write_dag(stack.dags_folder, "chain", CHAIN, out=str(out), length=CHAIN_LENGTH)
    if mode == "scheduler":
        stack.start("dag-processor")
    first = stack.start(mode)  # `slipstream scheduler` or `slipstream standalone`
    stack.wait_parsed("chain")
    run_id = stack.trigger("chain", "crash_run")

    wait_for(lambda: len(_lines(out)) >= 3, 30, "the third task to start", stack)
    children = children_of(first.pid)
    stack.kill9(first.pid)
    first.wait(10)
    killed_at = dt.datetime.now(dt.UTC)
    if mode == "standalone":  # its DAG processor stops with it (the warm worker too)
        wait_for(lambda: not any(map(pid_alive, children)), 15, "standalone's children", stack)
    assert stack.run_state("chain", run_id) == "running"
    assert stack.ti("chain", run_id, "t2").state == "running"  # under way at the kill

    stack.start(mode)  # restarted
    assert stack.wait_run("chain", run_id, timeout=60) == "success"

    lines = _lines(out)
    tries = Counter(tuple(line.split(",")) for line in lines)
    assert [key for key, n in tries.items() if n > 1] == []  # no (task, try) ran twice
    assert sorted(lines) == sorted(f"chain,t{i},1" for i in range(CHAIN_LENGTH))
    states = stack.query(
        "SELECT task_id, state, try_number FROM task_instance WHERE run_id = :r", r=run_id
    )
    assert {(t, s, n) for t, s, n in states} == {
        (f"t{i}", "success", 1) for i in range(CHAIN_LENGTH)
    }
    # the try under way finished under its supervisor, after the scheduler died
    [(ended,)] = stack.query(
        "SELECT end_date FROM task_instance WHERE run_id = :r AND task_id = 't2'", r=run_id
    )
    assert aware(ended) > killed_at
    assert "database is locked" not in stack.output()


# --- b. a task process or its supervisor killed ---------------------------------------------

SLEEPER = """
    import datetime as dt
    import time
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False)
    def {dag_id}():
        @task(retries={retries}, retry_delay=dt.timedelta(seconds=1))
        def sleeper(ti=None):
            if ti.try_number == 1:
                time.sleep(90)
            return "done"

        sleeper()

    {dag_id}()
"""

HEARTBEAT_TIMEOUT = 3.0  # conftest.FAST_SETTINGS
DETECTION_SLACK = 5.0  # one detection interval (1 s), one idle tick (1 s), a loaded machine


def _running_try(stack: EngineStack, dag_id: str, run_id: str) -> tuple[int, int]:
    """(supervisor pid, task process pid) of the running first try of `sleeper`: the task
    process is the supervisor's child, or with `preload_dag_files` its task forker's child."""
    log = (
        stack.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / "task_id=sleeper"
        / "attempt=1.log"
    )  # fmt: skip

    def running() -> tuple[int, int] | None:
        ti = stack.ti(dag_id, run_id, "sleeper")
        if ti is None or ti.state != "running" or ti.pid is None:
            return None
        if not log.exists() or "Running task" not in log.read_text():
            return None  # the task process is not there yet
        supervisor = int(ti.pid)
        children = children_of(supervisor)
        if len(children) != 1:
            return None
        grandchildren = children_of(children[0])
        if len(grandchildren) > 1:
            return None
        return supervisor, grandchildren[0] if grandchildren else children[0]

    found: tuple[int, int] = wait_for(running, 30, "the first try to run", stack)
    return found


@pytest.mark.parametrize("retries", [1, 0], ids=["retried", "failed"])
def test_b_a_killed_task_process_is_retried_or_failed_by_policy(
    stack: EngineStack, retries: int
) -> None:
    dag_id = f"kill_task_{retries}"
    write_dag(stack.dags_folder, dag_id, SLEEPER.replace("{dag_id}", dag_id), retries=retries)
    stack.start("dag-processor")
    stack.start("scheduler")
    stack.wait_parsed(dag_id)
    run_id = stack.trigger(dag_id, "kill_task")
    _, task_pid = _running_try(stack, dag_id, run_id)

    stack.kill9(task_pid)
    expected = "success" if retries else "failed"
    assert stack.wait_run(dag_id, run_id, timeout=30) == expected

    history = stack.history(dag_id, run_id, "sleeper")
    if retries:
        assert history == [(1, "failed"), (2, "success")]
    else:
        assert history == [(1, "failed")]
    log = (
        stack.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / "task_id=sleeper"
        / "attempt=1.log"
    ).read_text()  # fmt: skip
    assert "Task process was killed by signal SIGKILL before reporting an outcome" in log
    assert f"Marking the try {'up_for_retry' if retries else 'failed'}" in log


@pytest.mark.parametrize("retries", [1, 0], ids=["retried", "failed"])
def test_b_a_killed_supervisor_is_detected_by_its_stale_heartbeat(
    stack: EngineStack, retries: int
) -> None:
    dag_id = f"kill_supervisor_{retries}"
    write_dag(stack.dags_folder, dag_id, SLEEPER.replace("{dag_id}", dag_id), retries=retries)
    stack.start("dag-processor")
    stack.start("scheduler")
    stack.wait_parsed(dag_id)
    run_id = stack.trigger(dag_id, "kill_supervisor")
    supervisor_pid, task_pid = _running_try(stack, dag_id, run_id)

    stack.kill9(supervisor_pid)
    killed = time.monotonic()
    wait_for(lambda: not pid_alive(supervisor_pid), 5, "the supervisor to die")
    last_beat = aware(stack.ti(dag_id, run_id, "sleeper").last_heartbeat_at)
    wait_for(
        lambda: stack.ti(dag_id, run_id, "sleeper").state != "running",
        HEARTBEAT_TIMEOUT + 10,
        "the lost try to be detected",
        stack,
    )
    detected_after = time.monotonic() - killed
    wait_for(lambda: not pid_alive(task_pid), 5, "the task process to die with its supervisor")

    expected = "success" if retries else "failed"
    assert stack.wait_run(dag_id, run_id, timeout=30) == expected
    history = stack.history(dag_id, run_id, "sleeper")
    assert history == ([(1, "failed"), (2, "success")] if retries else [(1, "failed")])
    # Found through the stale heartbeat: the try was ended once its last beat was older than
    # the timeout, and soon after the timeout passed.
    [(ended,)] = stack.query(
        "SELECT end_date FROM task_instance_history WHERE dag_id = :d AND try_number = 1",
        d=dag_id,
    )
    assert (aware(ended) - last_beat).total_seconds() >= HEARTBEAT_TIMEOUT
    assert detected_after <= HEARTBEAT_TIMEOUT + DETECTION_SLACK


# --- c. DAG files that hang or crash at parse time -----------------------------------------

GOOD = """
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False)
    def good():
        @task
        def first():
            return 20

        @task
        def second(value):
            return value + 1

        second(first())

    good()
"""

HANGS = """
    # an Airflow DAG file (the words DAG and airflow make the processor parse it)
    import time

    time.sleep(3600)
"""

SEGFAULTS = """
    # an Airflow DAG file whose import crashes the interpreter
    import ctypes

    ctypes.string_at(0)
"""


def _import_errors(stack: EngineStack) -> dict[str, tuple[str, dt.datetime]]:
    from slipstream.db.store.import_errors import list_import_errors

    with stack.db.session() as session:
        rows, _ = list_import_errors(session)
        return {Path(r.filename).name: (r.stacktrace or "", aware(r.timestamp)) for r in rows}


def test_c_dag_files_that_hang_or_segfault_harm_no_other_dag(stack: EngineStack) -> None:
    write_dag(stack.dags_folder, "good", GOOD)
    write_dag(stack.dags_folder, "hangs", HANGS)
    write_dag(stack.dags_folder, "segfaults", SEGFAULTS)
    stack.env["SLIPSTREAM__CORE__DAGBAG_IMPORT_TIMEOUT"] = "2"
    stack.env["SLIPSTREAM__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL"] = "2"
    processor = stack.start("dag-processor")
    scheduler = stack.start("scheduler")
    stack.wait_parsed("good")
    first = stack.trigger("good", "while_bad_files_parse")
    assert stack.wait_run("good", first, timeout=30) == "success"

    errors = wait_for(
        lambda: (e := _import_errors(stack)).keys() >= {"hangs.py", "segfaults.py"} and e,
        30,
        "import errors of both bad files",
        stack,
    )
    assert set(errors) == {"hangs.py", "segfaults.py"}
    assert "timed out after 2 s" in errors["hangs.py"][0]
    assert "segmentation fault" in errors["segfaults.py"][0]

    # the bad files are parsed again and again; the good DAG keeps running meanwhile
    seen = errors["hangs.py"][1]
    wait_for(lambda: _import_errors(stack)["hangs.py"][1] > seen, 30, "a re-parse", stack)
    second = stack.trigger("good", "after_reparsing")
    assert stack.wait_run("good", second, timeout=30) == "success"
    [(value,)] = stack.query(
        "SELECT value FROM xcom WHERE run_id = :r AND task_id = 'second'", r=second
    )
    assert value == "21"
    assert processor.poll() is None and scheduler.poll() is None
    assert stack.query("SELECT dag_id FROM dag WHERE is_stale = 0") == [("good",)]


# --- d. concurrent writers on SQLite ---------------------------------------------------------

FAN_OUT = """
    import pendulum
    from airflow.sdk import Variable, dag, task

    WIDTH = {width}

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False)
    def fan_out():
        @task
        def start():
            return list(range(WIDTH))

        numbers = start()
        writes = []
        for i in range(WIDTH):

            @task(task_id=f"write_{i}")
            def write(numbers, i=i, ti=None):
                ti.xcom_push(key="square", value=i * i)
                ti.xcom_push(key="tag", value=f"t{i}")
                Variable.set(f"fan_out_{i}", str(numbers[i]))
                return {"i": i, "var": Variable.get(f"fan_out_{i}")}

            writes.append(write(numbers))

        @task
        def collect(ti=None):
            squares = [ti.xcom_pull(task_ids=f"write_{i}", key="square") for i in range(WIDTH)]
            assert squares == [i * i for i in range(WIDTH)], squares
            values = ti.xcom_pull(task_ids=[f"write_{i}" for i in range(WIDTH)])
            assert [v["var"] for v in values] == [str(i) for i in range(WIDTH)], values
            Variable.set("fan_out_total", str(sum(squares)))
            return sum(squares)

        writes >> collect()

    fan_out()
"""
WIDTH = 40


def test_d_concurrent_writers_on_sqlite_never_fail_with_database_is_locked(
    stack: EngineStack,
) -> None:
    write_dag(stack.dags_folder, "fan_out", FAN_OUT, width=WIDTH)
    stack.env["SLIPSTREAM__CORE__PARALLELISM"] = "8"
    stack.env["SLIPSTREAM__CORE__MAX_ACTIVE_TASKS_PER_DAG"] = "16"
    stack.start("standalone")
    stack.wait_parsed("fan_out")
    runs = [stack.trigger("fan_out", f"writers_{n}") for n in range(2)]  # 82 tries in all
    for run_id in runs:
        assert stack.wait_run("fan_out", run_id, timeout=90) == "success", stack.output()[-4000:]

    for run_id in runs:
        states = stack.query(
            "SELECT state, try_number, count(*) FROM task_instance WHERE run_id = :r "
            "GROUP BY state, try_number",
            r=run_id,
        )
        assert states == [("success", 1, WIDTH + 2)]
        [(pushed,)] = stack.query(
            "SELECT count(*) FROM xcom WHERE run_id = :r AND task_id LIKE 'write_%'", r=run_id
        )
        assert pushed == 3 * WIDTH
    result = stack.cli("variables", "get", "fan_out_total")
    assert result.returncode == 0 and result.stdout.strip() == str(
        sum(i * i for i in range(WIDTH))
    ), result.stdout + result.stderr
    names = {row[0] for row in stack.query("SELECT key FROM variable")}
    assert {f"fan_out_{i}" for i in range(WIDTH)} <= names

    logs = [p.read_text(errors="replace") for p in (stack.home / "logs").rglob("*.log")]
    assert len(logs) >= 2 * (WIDTH + 2)
    assert not [text for text in [*logs, stack.output()] if "database is locked" in text]
