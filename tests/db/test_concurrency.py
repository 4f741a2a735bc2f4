"""Concurrent writers on one SQLite file wait for each other and never fail with "database is
locked" (write transactions take the lock up front: `BEGIN IMMEDIATE`)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from slipstream.config import Config
from slipstream.db.engine import Database
from slipstream.db.models import Log
from slipstream.db.store import audit, pools, variables

WRITERS = 8
PROCESSES = 4  # each child spends ~1 s importing: keep the suite quick on two cores
WRITES = 25


def _write_many(db: Database, writer: int, config: Config | None = None) -> None:
    for n in range(WRITES):
        with db.begin() as session:  # read, then write, in one transaction
            count = len(pools.list_pools(session))
            audit.record(session, "concurrent", owner=f"w{writer}", extra={"n": n, "seen": count})
            pools.set_pool(session, f"pool_{writer}", n)
        db.run_write(variables.set_variable, f"var_{writer}", str(n), config=config)


def test_threads_share_one_database(sqlite_db: Database, config: Config) -> None:
    errors: list[BaseException] = []

    def run(writer: int) -> None:
        try:
            _write_many(sqlite_db, writer, config)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    _assert_all_written(sqlite_db, config)


CHILD = """
import sys, time
from pathlib import Path
from slipstream.db.engine import Database
sys.path.insert(0, sys.argv[3])
from test_concurrency import _write_many

db = Database(sys.argv[1])
start = Path(sys.argv[2])
while not start.exists():
    time.sleep(0.001)
_write_many(db, int(sys.argv[4]))
"""


@pytest.mark.slow
def test_processes_share_one_file(sqlite_db: Database, config: Config, tmp_path: Path) -> None:
    start = tmp_path / "start"
    url = str(sqlite_db.url)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(start), str(Path(__file__).parent), str(w)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(PROCESSES)
    ]
    start.touch()  # all children begin at once
    for child in children:
        _, err = child.communicate(timeout=60)
        assert "database is locked" not in err
        assert child.returncode == 0, err
    _assert_all_written(sqlite_db, config, PROCESSES)


def _assert_all_written(db: Database, config: Config, writers: int = WRITERS) -> None:
    with db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(Log).where(Log.event == "concurrent")
        )
        assert count == writers * WRITES
        usage = pools.pool_usage(session)
        assert all(usage[f"pool_{w}"] == (WRITES - 1, 0) for w in range(writers))
        values = {v.key: v.value for v in variables.list_variables(session, config=config)}
        assert values == {f"var_{w}": str(WRITES - 1) for w in range(writers)}
