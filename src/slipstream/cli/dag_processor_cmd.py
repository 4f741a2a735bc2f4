"""`slipstream dag-processor`: keep the metadata database in step with the DAGs folder.

Runs `DagProcessor.run_forever` as a registered component (a `job` row of type
`DagProcessorJob` whose heartbeat is bumped every `[scheduler] scheduler_heartbeat_sec`), and
stops cleanly on SIGINT or SIGTERM: running parse children are killed, the job is marked ended.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from slipstream.cli.common import DAGS_FOLDER_OPTION

if TYPE_CHECKING:
    from slipstream.db.engine import Database

JOB_TYPE = "DagProcessorJob"


@click.command("dag-processor")
@click.option(
    "--num-runs",
    "-n",
    type=int,
    default=-1,
    show_default=True,
    help="Parse every DAG file this many times, then exit (-1: run until stopped).",
)
@DAGS_FOLDER_OPTION
@click.option(
    "--wait-for-schema",
    type=float,
    default=0.0,
    hidden=True,
    help="Seconds to wait for the database to be migrated (`standalone` starts the processor "
    "while it migrates), getting ready to parse meanwhile.",
)
def dag_processor(num_runs: int, dags_folder: Path | None, wait_for_schema: float) -> None:
    """Parse the DAG files into the metadata database, re-parsing them as they change."""
    from slipstream.cli.db_cmd import open_cli_database
    from slipstream.dag_processing import DagProcessor

    if wait_for_schema > 0:
        config, db = _open_when_migrated(wait_for_schema)
    else:
        config, db = open_cli_database(migrated=True)
    _setup_logging()
    processor = DagProcessor(db, config, dags_folder=dags_folder)
    click.echo(f"DAG processor watching {processor.settings.dags_folder}", err=True)
    interval = config.getfloat("scheduler", "scheduler_heartbeat_sec", fallback=5.0)
    try:
        with _registered(db, interval) as heartbeat, _stop_on_signals(processor.stop):
            processor.run_forever(
                max_rounds=num_runs if num_runs > 0 else None, heartbeat=heartbeat
            )
    finally:
        processor.close()
        db.dispose()


def _open_when_migrated(timeout: float) -> tuple[Any, Database]:
    """Warm up (the imports every parse needs), then wait until the database is migrated."""
    from slipstream.cli.db_cmd import open_cli_database
    from slipstream.dag_processing.processor import warm_up
    from slipstream.db.migrate import check
    from slipstream.db.session import require_current_schema

    warm_up()
    config, db = open_cli_database(migrated=False)
    deadline = time.monotonic() + timeout
    while not check(db) and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        require_current_schema(db)
    except Exception as err:
        db.dispose()
        raise click.ClickException(str(err)) from None
    return config, db


@contextmanager
def _registered(db: Database, interval: float) -> Iterator[Callable[[], bool]]:
    """A `job` row for this process while it runs; yields the (rate-limited) heartbeat."""
    from slipstream.db.store import jobs

    with db.begin() as session:
        job_id = jobs.register(session, JOB_TYPE)
    last = time.monotonic()

    def heartbeat() -> bool:
        nonlocal last
        now = time.monotonic()
        if now - last < interval:
            return True
        last = now
        alive: bool = db.run_write(jobs.heartbeat, job_id)
        return alive

    state = "failed"
    try:
        yield heartbeat
        state = "success"
    finally:
        with db.begin() as session:
            jobs.mark_ended(session, job_id, state=state)


@contextmanager
def _stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop()

    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _setup_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            stream=sys.stderr,
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
