"""`slipstream api-server`: the REST API (and later the UI) under uvicorn."""

from __future__ import annotations

import click


@click.command("api-server")
@click.option("--host", "-H", default=None, help="Address to listen on (default: [api] host).")
@click.option("--port", "-p", type=int, default=None, help="Port (default: [api] port).")
@click.option(
    "--workers", "-w", type=int, default=None, help="Worker processes (default: [api] workers)."
)
def api_server(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the REST API at /api/v2 until stopped (Ctrl-C or SIGTERM)."""
    import uvicorn

    from slipstream.cli.db_cmd import open_cli_database

    config, db = open_cli_database(migrated=True)  # fail early, with the CLI's message
    db.dispose()
    host = host or config.get("api", "host")
    port = port if port is not None else config.getint("api", "port")
    workers = workers or config.getint("api", "workers")
    access_log = config.get("api", "access_logfile")
    click.echo(f"API server listening on http://{host}:{port}/api/v2", err=True)
    uvicorn.run(
        "slipstream.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=bool(access_log),
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
