"""`slipstream scheduler` (the scheduling loop with the local executor) and
`slipstream dags trigger` (a manual run, queued for the scheduler)."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

import click

from slipstream.cli.common import parse_conf, parse_date
from slipstream.cli.output import OUTPUT_OPTION, print_rows

RUN_COLUMNS = ["dag_id", "run_id", "logical_date", "state", "run_type", "conf"]


@click.command("scheduler")
@click.option(
    "--num-runs",
    "-n",
    type=int,
    default=None,
    help="Scheduler loops to run before exiting (default: scheduler.num_runs; -1: forever).",
)
def scheduler(num_runs: int | None) -> None:
    """Run the scheduler and the local executor until stopped (Ctrl-C or SIGTERM)."""
    from slipstream.config import get_config
    from slipstream.core.clock import SystemClock
    from slipstream.scheduler import Scheduler, run_forever

    executor_class = _local_executor_class()
    config = get_config()
    _setup_logging(config)
    db = _open_database(config)
    executor = _build_executor(executor_class, config, db)
    stop = threading.Event()
    try:
        with _stop_on_signals(stop):
            run_forever(
                Scheduler(db, executor, SystemClock(), config), num_runs=num_runs, stop=stop
            )
    finally:
        db.dispose()


@click.command("trigger")
@click.argument("dag_id")
@click.option("--conf", "-c", default=None, help="The run's conf, a JSON object.")
@click.option(
    "--logical-date", "-l", "logical_date", default=None, help="Logical date (default: now)."
)
@click.option("--run-id", "-r", default=None, help="Run id (default: manual__<logical date>).")
@OUTPUT_OPTION
def trigger(
    dag_id: str, conf: str | None, logical_date: str | None, run_id: str | None, output: str
) -> None:
    """Trigger a run of DAG_ID; it is queued, and the scheduler starts it."""
    import datetime as dt

    from slipstream.config import get_config
    from slipstream.core.exceptions import DagNotFound, InvalidRunIdError, ParamValidationError
    from slipstream.db.store import runs
    from slipstream.scheduler.wakeup import wake_schedulers
    from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

    conf_value = parse_conf(conf)
    when = parse_date(logical_date, "--logical-date")
    db = _open_database(get_config())

    def create(session: Any) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)  # queued now, in the transaction that writes it
        run = runs.trigger_run(
            session, dag_id, now=now, conf=conf_value, logical_date=when, run_id=run_id
        )
        return runs.run_to_dict(run)

    try:
        row = db.run_write(create)
        wake_schedulers(db)  # start it now, not at the scheduler's next idle look
    except (DagNotFound, ParamValidationError, InvalidRunIdError, DagRunAlreadyExists) as err:
        raise click.ClickException(str(err)) from None
    finally:
        db.dispose()
    print_rows([row], RUN_COLUMNS, output)


def _local_executor_class() -> Any:
    try:
        from slipstream.executors.local import LocalExecutor
    except ImportError as err:
        raise click.ClickException(
            "The scheduler needs the local executor (slipstream.executors.local.LocalExecutor), "
            f"which cannot be imported: {err}"
        ) from None
    return LocalExecutor


def _build_executor(executor_class: Any, config: Any, db: Any) -> Any:
    """The executor, given whichever of parallelism, config and database (or its URL) it asks
    for."""
    import inspect

    offered = {
        "parallelism": config.getint("core", "parallelism"),
        "config": config,
        "db": db,
        "database": db,
        "db_url": db.url.render_as_string(hide_password=False),
    }
    accepted = inspect.signature(executor_class).parameters
    return executor_class(**{k: v for k, v in offered.items() if k in accepted})


def _open_database(config: Any) -> Any:
    from slipstream.db.session import SchemaNotCurrentError, open_database

    try:
        return open_database(config, require_migrated=True)
    except SchemaNotCurrentError as err:
        raise click.ClickException(str(err)) from None


def _setup_logging(config: Any) -> None:
    level = config.get("logging", "logging_level", fallback="INFO")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format=config.get("logging", "simple_log_format"))
    logging.getLogger("alembic").setLevel(logging.WARNING)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (the loop ends after its current tick) while inside."""

    def handler(signum: int, frame: Any) -> None:
        logging.getLogger("slipstream.scheduler").info("Signal %s: stopping", signum)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
