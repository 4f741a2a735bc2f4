"""`slipstream dag-processor`: a bounded run in-process, and real processes stopped by signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from slipstream.cli.dag_processor_cmd import JOB_TYPE, dag_processor
from slipstream.db.engine import Database
from slipstream.db.migrate import migrate
from slipstream.db.models import DagModel, Job

from .conftest import good_dag

HANG = "# airflow dag\nimport time\ntime.sleep(600)\n"


@pytest.fixture
def home_db(slipstream_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The database `slipstream` commands open in the test's home, migrated."""
    monkeypatch.setenv("SLIPSTREAM__CORE__DAGBAG_IMPORT_TIMEOUT", "60")
    db = Database(f"sqlite:///{slipstream_home / 'slipstream.db'}")
    migrate(db)
    yield db
    db.dispose()


def dag_ids(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(DagModel.dag_id)))


def jobs(db: Database) -> list[Job]:
    with db.session() as session:
        return list(session.scalars(select(Job).where(Job.job_type == JOB_TYPE)))


def test_num_runs_parses_the_folder_and_exits(home_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "one.py").write_text(good_dag("one"))
    result = CliRunner().invoke(dag_processor, ["--num-runs", "1", "--dags-folder", str(folder)])
    assert result.exit_code == 0, result.output
    assert dag_ids(home_db) == {"one"}
    (job,) = jobs(home_db)
    assert job.state == "success" and job.end_date is not None and job.pid == os.getpid()


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def start_processor(folder: Path) -> subprocess.Popen[bytes]:
    code = "from slipstream.cli.dag_processor_cmd import dag_processor; dag_processor()"
    with open(folder.parent / "processor.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", code, "--dags-folder", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_processor_and_its_parsing_children(
    home_db: Database, tmp_path: Path, sig: signal.Signals
) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "good.py").write_text(good_dag("good"))
    (folder / "hang.py").write_text(HANG)
    proc = start_processor(folder)
    try:
        wait_for(lambda: "good" in dag_ids(home_db))
        hanging = children_of(proc.pid)
        assert len(hanging) == 1  # the child stuck in hang.py
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0, (tmp_path / "processor.log").read_text()
        assert not alive(hanging[0])
        (job,) = jobs(home_db)
        assert job.state == "success"
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_parsing_children_die_with_a_killed_processor(home_db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "hang.py").write_text(HANG)
    proc = start_processor(folder)
    try:
        wait_for(lambda: len(children_of(proc.pid)) == 1)
        (child,) = children_of(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        wait_for(lambda: not alive(child), timeout=5)
    finally:
        proc.kill()
        proc.wait()
