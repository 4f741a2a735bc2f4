"""Who is calling and whether they may: the dependencies every protected route uses.

A request authenticates with `Authorization: Bearer <token>` (a token from `POST /auth/token`)
or, for the browser UI, the same token in the `_token` cookie. No token, an invalid or
expired one, or one whose user was deleted or deactivated is a 401; a valid token whose role
may not do the request is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from slipstream.api.auth.roles import Resource, is_allowed
from slipstream.api.auth.tokens import TokenError, TokenSettings, read_token
from slipstream.db.store import users

TOKEN_COOKIE = "_token"

_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")


@dataclass(frozen=True)
class AuthenticatedUser:
    username: str
    role: str


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AuthenticatedUser:
    token = credentials.credentials if credentials else request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise _unauthorized("Not authenticated")
    settings: TokenSettings = request.app.state.token_settings
    try:
        claims = read_token(settings, token)
    except TokenError as err:
        raise _unauthorized(str(err)) from None
    # The user as they are now: a deleted or deactivated user's tokens stop working at once,
    # and a changed role applies to tokens issued before the change.
    with request.app.state.db.session() as session:
        found = users.get_user(session, claims.username)
    if found is None or not found[0].active:
        raise _unauthorized(f"User {claims.username!r} no longer exists or is inactive")
    return AuthenticatedUser(username=claims.username, role=found[0].role)


CurrentUser = Annotated[AuthenticatedUser, Depends(current_user)]


def requires(resource: Resource, *, method: str | None = None) -> Any:
    """A dependency allowing the request only to roles that may use its method on `resource`
    (or `method`: `GET` for reads sent as POST, such as batch listings); it yields the caller,
    so a route can record who did what."""

    def check(request: Request, user: CurrentUser) -> AuthenticatedUser:
        asked = method or request.method
        if not is_allowed(user.role, resource, asked):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"Forbidden: role {user.role!r} may not {asked} {resource} resources",
            )
        return user

    return Depends(check)


DagUser = Annotated[AuthenticatedUser, requires("dag")]
"""The caller of a route on DAGs or what belongs to them (runs, task instances, XComs, logs)."""
DagReader = Annotated[AuthenticatedUser, requires("dag", method="GET")]
"""The caller of a read on DAGs sent as POST (`.../dagRuns/list`, `.../taskInstances/list`)."""


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )
