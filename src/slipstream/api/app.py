"""`create_app`: the FastAPI application of the API server."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from slipstream import __version__
from slipstream.api import errors
from slipstream.api.auth.tokens import TokenSettings

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.db.engine import Database

API_PREFIX = "/api/v2"

# Modules of `slipstream.api.routes` whose `router` serves under /api/v2, in OpenAPI order.
ROUTE_MODULES = (
    "assets",
    "connections",
    "dag_runs",
    "dags",
    "event_logs",
    "import_errors",
    "logs",
    "monitor",
    "pools",
    "tasks",
    "task_instances",
    "variables",
    "version",
    "xcom",
)


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
    )
    app.state.config = config
    app.state.db = db
    app.state.token_settings = TokenSettings.from_config(config)
    errors.install(app)

    from slipstream.api.routes import auth

    app.include_router(auth.router)
    api = APIRouter(prefix=API_PREFIX)
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"slipstream.api.routes.{name}")
        api.include_router(module.router)
    app.include_router(api)
    return app
