"""`slipstream standalone`: everything on one machine, from one command.

It prepares `SLIPSTREAM_HOME` (config with fresh keys, DAGs and logs folders), starts the DAG
processor as a child process (first, so its start-up overlaps ours: it waits for the schema),
migrates the metadata database and runs the scheduler with the local executor in this process.
Ctrl-C (or SIGTERM) shuts everything down once, cleanly: running tries are given time to finish
and the DAG processor is stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Any

import click

PROCESSOR_STOP_TIMEOUT = 10.0
SCHEMA_WAIT_TIMEOUT = 120.0


@click.command("standalone")
def standalone() -> None:
    """Run the DAG processor, scheduler and executor together until stopped."""
    from slipstream.config import ensure_home, get_config, load_config, reset_config_cache

    home = ensure_home(load_config())  # before the processor starts: one set of fresh keys
    reset_config_cache()
    config = get_config()
    processor = subprocess.Popen(
        [
            *(sys.executable, "-m", "slipstream", "dag-processor"),
            *("--wait-for-schema", str(SCHEMA_WAIT_TIMEOUT)),
        ],
        preexec_fn=_stop_with_parent,
    )
    try:
        _run(home, config, processor)
    finally:
        _stop_child(processor)


def _run(home: Any, config: Any, processor: subprocess.Popen[bytes]) -> None:
    from slipstream.cli.scheduler_cmd import _build_executor, _setup_logging, _stop_on_signals
    from slipstream.core.clock import SystemClock
    from slipstream.db.migrate import migrate
    from slipstream.db.session import open_database
    from slipstream.executors.local import LocalExecutor
    from slipstream.scheduler import Scheduler, run_forever

    _setup_logging(config)
    db = open_database(config)
    migrate(db)
    executor = _build_executor(LocalExecutor, config, db)
    stop = threading.Event()
    click.echo(
        f"Slipstream is running (ready in {_since_start():.2f} s)\n"
        f"  home:        {home}\n"
        f"  DAGs folder: {config.getpath('core', 'dags_folder')}\n"
        f"  database:    {db.url.render_as_string(hide_password=True)}\n"
        "Press Ctrl-C to stop.",
        err=True,
    )
    try:
        with _stop_on_signals(stop):
            run_forever(Scheduler(db, executor, SystemClock(), config), num_runs=-1, stop=stop)
    finally:
        _stop_child(processor)
        db.dispose()
        click.echo("Slipstream stopped.", err=True)


def _since_start() -> float:
    """Seconds since this process started (Linux: from /proc), else since this module loaded."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            fields = stat.read().rsplit(")", 1)[1].split()
            started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
            return max(0.0, float(uptime.read().split()[0]) - started)
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _LOADED


_LOADED = time.monotonic()


def _stop_with_parent() -> None:
    """In the DAG processor (before exec): Linux sends it SIGTERM when standalone dies, even
    by `kill -9`, so a restarted standalone never finds a second processor still running."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass


def _stop_child(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(PROCESSOR_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
