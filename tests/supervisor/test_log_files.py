"""Where try logs live and how supervisor lines look."""

from __future__ import annotations

from pathlib import Path

from slipstream.supervisor.log_files import TryLog, open_log, task_label, try_log_path


def test_paths_follow_airflows_layout(tmp_path: Path) -> None:
    plain = try_log_path(
        tmp_path, dag_id="d", run_id="manual__2024-01-01T00:00:00+00:00", task_id="t",
        map_index=-1, try_number=2,
    )  # fmt: skip
    assert (
        plain
        == tmp_path / "dag_id=d/run_id=manual__2024-01-01T00:00:00+00:00/task_id=t/attempt=2.log"
    )
    mapped = try_log_path(
        tmp_path, dag_id="d", run_id="r/x", task_id="g.t", map_index=3, try_number=1
    )
    assert mapped == tmp_path / "dag_id=d/run_id=r_x/task_id=g.t/map_index=3/attempt=1.log"


def test_supervisor_lines_carry_the_task_label(tmp_path: Path) -> None:
    path = tmp_path / "a" / "attempt=1.log"
    log = TryLog(open_log(path), task_label("dag", "task", 2))
    log.error("Task process was killed by signal SIGKILL")
    log.close()
    line = path.read_text()
    assert line.endswith("{dag.task[2]} ERROR - Task process was killed by signal SIGKILL\n")
    assert task_label("dag", "task", -1) == "dag.task"
