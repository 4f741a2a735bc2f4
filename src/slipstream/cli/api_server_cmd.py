"""`slipstream api-server`: the REST API and the web UI under uvicorn.

SIGTERM or Ctrl-C stops it cleanly: it stops listening, lets requests under way finish (for at
most `GRACEFUL_SHUTDOWN` seconds) and exits with code 0. With `--workers N`, uvicorn runs N
worker processes sharing the socket and stops them with it.

The garbage collector is off while the server starts: imports and the application make objects
that live as long as the process, and its passes over them (a fifth of the start) free next to
nothing (some 300 KB). `app_factory` freezes what exists by then, that little garbage included,
out of its reach and turns it back on.

At rest, a single-process server wakes once a second (uvicorn's own loop wakes ten times a
second to look for a stop request): `CalmServer`.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from fastapi import FastAPI

GRACEFUL_SHUTDOWN = 5


@click.command("api-server")
@click.option(
    "--host", "-H", "--hostname", default=None, help="Address to listen on (default: [api] host)."
)
@click.option("--port", "-p", type=int, default=None, help="Port (default: [api] port).")
@click.option(
    "--workers", "-w", type=int, default=None, help="Worker processes (default: [api] workers)."
)
@click.option(
    "--access-logfile",
    "-A",
    default=None,
    help="Where to log each request: a file, '-' for standard output, '' for nowhere "
    "(default: [api] access_logfile).",
)
@click.option(
    "--wait-for-schema",
    type=float,
    default=0.0,
    hidden=True,
    help="Seconds to wait for the database to be migrated (`standalone` starts the API server "
    "while it migrates), loading the application meanwhile.",
)
def api_server(
    host: str | None,
    port: int | None,
    workers: int | None,
    access_logfile: str | None,
    wait_for_schema: float,
) -> None:
    """Serve the REST API at /api/v2 and the web UI until stopped (Ctrl-C or SIGTERM)."""
    gc.disable()
    try:
        if wait_for_schema > 0:
            _wait_for_schema(wait_for_schema)
        _serve(host, port, workers, access_logfile)
    except KeyboardInterrupt:  # before uvicorn took the signals over: nothing to clean up
        raise SystemExit(130) from None
    finally:
        gc.enable()  # when the server did not start (or has stopped)


def _wait_for_schema(timeout: float) -> None:
    """Import the application and its routes (most of the start-up), then wait until the
    database is migrated; `_serve` then says what is wrong if it is not within `timeout`
    seconds."""
    import importlib
    import time

    from slipstream.api import app
    from slipstream.cli.db_cmd import open_cli_database

    for name in ("auth", *app.ROUTE_MODULES, *app.UI_ROUTE_MODULES):  # what create_app imports
        importlib.import_module(f"slipstream.api.routes.{name}")
    from slipstream.db.migrate import check

    _, db = open_cli_database(migrated=False)
    try:
        deadline = time.monotonic() + timeout
        while not check(db) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        db.dispose()


def _serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    access_logfile: str | None,
) -> None:
    import uvicorn

    from slipstream.cli.db_cmd import open_cli_database

    config, db = open_cli_database(migrated=True)  # fail early, with the CLI's message
    db.dispose()
    host = host or config.get("api", "host")
    port = port if port is not None else config.getint("api", "port")
    workers = workers or config.getint("api", "workers")
    if workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    if access_logfile is None:
        access_logfile = config.get("api", "access_logfile")
    click.echo(f"API server listening on http://{host}:{port}/api/v2", err=True)
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "access_log": bool(access_logfile),
        "log_config": _log_config(access_logfile),
        "log_level": None,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN,
    }
    if workers > 1:
        gc.enable()  # this process only watches the workers, each of which runs `app_factory`
        uvicorn.run("slipstream.cli.api_server_cmd:app_factory", **options)
        return
    from slipstream.cli.calm_server import CalmServer

    server = CalmServer(uvicorn.Config("slipstream.cli.api_server_cmd:app_factory", **options))
    server.config.load_app()
    # uvicorn raises the stop signal again once it has shut down: a SIGTERM then exits with 0
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


STARTUP_FAILURE = 3
"""uvicorn's exit code when the server could not start (its port taken, say)."""


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def app_factory() -> FastAPI:
    """The application of one server process (uvicorn calls this in each); then the garbage
    collector, off during the start, runs again, on the objects made from now on only."""
    from slipstream.api.app import create_app

    gc.disable()  # a worker process starts with it on
    app = create_app()
    gc.freeze()
    gc.enable()
    return app


def _log_config(access_logfile: str) -> dict[str, Any]:
    """uvicorn's logging: its own messages from warnings up on stderr, and one line per request
    where `access_logfile` says ('-': standard output)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["uvicorn"]["level"] = "WARNING"
    config["loggers"]["uvicorn.error"]["level"] = "WARNING"
    if access_logfile and access_logfile != "-":
        config["handlers"]["access"] = {
            "formatter": "access",
            "class": "logging.FileHandler",
            "filename": access_logfile,
        }
    return config
