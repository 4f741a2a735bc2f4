"""Errors as responses: every failure a client can cause is a 4xx whose `detail` says what is
wrong (Airflow's `{"detail": ...}` shape); nothing a client sends may produce a 5xx.

Store errors map by kind: not found → 404, bad request → 400, already exists or a unique key
taken → 409.
Request bodies larger than `MAX_BODY_BYTES` are refused with 413 before they are read.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slipstream.core.exceptions import (
    AirflowBadRequest,
    AirflowException,
    AirflowNotFoundException,
)
from slipstream.db.store import AlreadyExistsError

MAX_BODY_BYTES = 5 * 1024 * 1024


class HTTPExceptionResponse(BaseModel):
    """The body of every error response (Airflow's model of the same name)."""

    detail: str | dict[str, Any] | list[Any]


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error codes, so clients (and schemathesis) know them; each
    body is `{"detail": ...}` saying what is wrong."""
    return {
        code: {"model": HTTPExceptionResponse, "description": _DESCRIPTIONS[code]} for code in codes
    }


_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Entity",
}


def install(app: FastAPI) -> None:
    app.add_exception_handler(AirflowNotFoundException, _status(status.HTTP_404_NOT_FOUND))
    app.add_exception_handler(AlreadyExistsError, _status(status.HTTP_409_CONFLICT))
    app.add_exception_handler(AirflowBadRequest, _status(status.HTTP_400_BAD_REQUEST))
    app.add_exception_handler(AirflowException, _status(status.HTTP_400_BAD_REQUEST))
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)


def _status(code: int) -> Any:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return handler


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return JSONResponse(
        {"detail": f"Unique constraint violation: {reason}"},
        status_code=status.HTTP_409_CONFLICT,
    )


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"Request body larger than {self.max_bytes} bytes"},
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
