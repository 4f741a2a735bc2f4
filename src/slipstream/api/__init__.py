"""The API server: Airflow 3's stable REST API at `/api/v2`, its token endpoint at `/auth/token`,
and (later) the web UI. It meets the scheduler only through the metadata database.

`create_app` builds the FastAPI application; `slipstream api-server` serves it with uvicorn.
"""

from __future__ import annotations

from slipstream.api.app import create_app

__all__ = ["create_app"]
