"""`create_app`: the FastAPI application of the API server."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.routing import APIRoute

from slipstream import __version__
from slipstream.api import errors
from slipstream.api.auth.tokens import TokenSettings
from slipstream.api.routing import add_router
from slipstream.ui import mount_ui

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.db.engine import Database

API_PREFIX = "/api/v2"

# Modules of `slipstream.api.routes` whose `router` serves under /api/v2, in OpenAPI order.
# `xcom` comes before `task_instances`, whose `.../{task_id}/{map_index}` would otherwise
# take `.../{task_id}/xcomEntries`.
ROUTE_MODULES = (
    "assets",
    "connections",
    "dag_runs",
    "dag_run_batches",
    "dag_versions",
    "dags",
    "event_logs",
    "import_errors",
    "logs",
    "monitor",
    "pools",
    "tasks",
    "xcom",
    "task_instances",
    "variables",
    "version",
)

# Modules of `slipstream.api.routes` serving the web UI's own views under /ui (as Airflow 3's
# UI has private endpoints there): shapes made for one screen, such as the grid of runs by tasks
# in one request. Not part of Airflow's stable API; they may change with the UI.
UI_PREFIX = "/ui"
UI_ROUTE_MODULES = ("ui_grid", "ui_runs", "ui_structure", "ui_users")

# Served without a token (health checks, version probes).
PUBLIC_MODULES = frozenset({"monitor", "version"})

# Error codes any route may answer: its input is checked (400, 404 for ids it names, 409 for
# conflicts, 413 for huge bodies) and, unless public, its caller (401, 403).
_PUBLIC_CODES = (400, 404, 413)
_PROTECTED_CODES = (400, 401, 403, 404, 409, 413)


def create_app(config: Config | None = None, *, db: Database | None = None) -> FastAPI:
    """The application: the REST API under /api/v2 and the token endpoint at /auth/token.

    Without `db`, opens the metadata database of `config` (which must be migrated).
    """
    from slipstream.config import get_config
    from slipstream.db.session import open_database

    config = config or get_config()
    if db is None:
        db = open_database(config, require_migrated=True)
    docs = config.getboolean("api", "enable_swagger_ui")
    app = FastAPI(
        title="Slipstream REST API",
        description="Airflow 3's stable REST API (v2), served by Slipstream.",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs" if docs else None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.config = config
    app.state.db = db
    app.state.token_settings = TokenSettings.from_config(config)
    errors.install(app)

    from slipstream.api.routes import auth

    # Each route goes straight into the application, analysed by FastAPI when first used
    # (`api.routing`): the server answers sooner, and no route is analysed twice.
    add_router(app, auth.router)
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"slipstream.api.routes.{name}")
        codes = _PUBLIC_CODES if name in PUBLIC_MODULES else _PROTECTED_CODES
        add_router(app, module.router, prefix=API_PREFIX, responses=errors.documented(*codes))
    for name in UI_ROUTE_MODULES:
        module = importlib.import_module(f"slipstream.api.routes.{name}")
        add_router(
            app, module.router, prefix=UI_PREFIX, responses=errors.documented(*_PROTECTED_CODES)
        )
    mount_ui(app)
    return app


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI operation id: its function's name, which is Airflow's (`get_dags`,
    `trigger_dag_run`, ...), so clients generated from either document name calls alike."""
    return route.name
