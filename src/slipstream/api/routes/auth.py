"""`POST /auth/token`: a username and password in, a JWT access token out (Airflow 3's
simple auth manager's endpoint and shapes)."""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from pydantic import BaseModel, ConfigDict

from slipstream.api.auth.passwords import verify_password
from slipstream.api.auth.tokens import issue_token
from slipstream.api.deps import Db
from slipstream.api.errors import HTTPExceptionResponse
from slipstream.api.routing import api_router
from slipstream.db.store import users

router = api_router(tags=["Auth"])


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    password: str


class LoginResponse(BaseModel):
    access_token: str


@router.post(
    "/auth/token",
    status_code=status.HTTP_201_CREATED,
    responses={
        400: {"description": "A body that is not JSON", "model": HTTPExceptionResponse},
        401: {"description": "Invalid credentials", "model": HTTPExceptionResponse},
    },
)
def create_token(body: LoginBody, request: Request, db: Db) -> LoginResponse:
    """Log in: the token to send as `Authorization: Bearer <token>`."""
    with db.session() as session:
        found = users.get_user(session, body.username)
    entry, password_hash = found if found else (None, None)
    if not verify_password(password_hash, body.password) or entry is None or not entry.active:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid credentials")
    db.run_write(users.record_login, entry.username)
    token = issue_token(request.app.state.token_settings, entry.username, entry.role)
    return LoginResponse(access_token=token)
