"""The API server: Airflow 3's stable REST API at `/api/v2`, its token endpoint at `/auth/token`,
and (later) the web UI. It meets the scheduler only through the metadata database.

`create_app` builds the FastAPI application; `slipstream api-server` serves it with uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slipstream.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so `slipstream.api.auth` (the users CLI) does not load FastAPI.
    if name == "create_app":
        from slipstream.api.app import create_app

        return create_app
    raise AttributeError(name)
