"""Users for the web UI's admin page: list, create, change role, password or active flag, and
delete. Admins only (resource `user`).

Two rules keep an admin from locking everyone out: nobody deletes or deactivates their own
user, and no change may leave the deployment without an active admin. Every change is recorded
in the audit log, the password masked. A deleted or deactivated user's tokens stop working at
once (`slipstream.api.security.current_user` reads the user on every request).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Response, status
from sqlalchemy.orm import Session

from slipstream.api import audit
from slipstream.api.auth.passwords import check_new_password, hash_password
from slipstream.api.deps import Db, ReadSession
from slipstream.api.errors import documented
from slipstream.api.routing import api_router
from slipstream.api.schemas.ui_users import (
    UserBody,
    UserCollectionResponse,
    UserPatchBody,
    UserResponse,
)
from slipstream.api.security import AuthenticatedUser, requires
from slipstream.db.store import users as store

router = api_router(tags=["UI"])

Admin = Annotated[AuthenticatedUser, requires("user")]


@router.get("/users", responses=documented(401, 403))
def get_users(session: ReadSession, user: Admin) -> UserCollectionResponse:
    """Every user with their role, by username (never a password hash)."""
    found = store.list_users(session)
    return UserCollectionResponse(users=[_response(u) for u in found], total_entries=len(found))


@router.post(
    "/users", status_code=status.HTTP_201_CREATED, responses=documented(400, 401, 403, 409, 413)
)
def post_user(body: UserBody, db: Db, user: Admin) -> UserResponse:
    """Create a user who logs in with `password`; 409 when the username is taken."""
    password_hash = _hashed(body.password)
    with db.begin() as session:
        if store.get_user(session, body.username) is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"User {body.username!r} already exists")
        created = store.create_user(
            session,
            body.username,
            role=body.role,
            password_hash=password_hash,
            email=body.email,
            first_name=body.first_name,
            last_name=body.last_name,
        )
        audit.record(
            session,
            user,
            "post_user",
            extra={"username": body.username, "role": body.role, "password": body.password},
        )
        return _response(created)


@router.patch("/users/{username:path}", responses=documented(400, 401, 403, 404, 409, 413))
def patch_user(username: str, body: UserPatchBody, db: Db, user: Admin) -> UserResponse:
    """Change a user's role, password or active flag (those the body gives). Refused (409)
    when it deactivates the caller or leaves no active admin."""
    password_hash = None if body.password is None else _hashed(body.password)
    with db.begin() as session:
        current = _existing(session, username)
        if body.active is False and username == user.username:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                "You cannot deactivate your own user: ask another admin to do it",
            )
        stays_admin = (body.role or current.role) == "admin" and body.active is not False
        if not stays_admin:
            _keep_an_admin(session, current, "This change")
        changed = store.update_user(
            session, username, role=body.role, active=body.active, password_hash=password_hash
        )
        changes: dict[str, Any] = body.model_dump(exclude_none=True)
        audit.record(session, user, "patch_user", extra={"username": username, **changes})
        return _response(changed)


@router.delete(
    "/users/{username:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(401, 403, 404, 409),
)
def delete_user(username: str, db: Db, user: Admin) -> Response:
    """Delete a user: their tokens stop working at once. Nobody may delete themself (409)."""
    with db.begin() as session:
        current = _existing(session, username)
        if username == user.username:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                "You cannot delete your own user: ask another admin to do it",
            )
        _keep_an_admin(session, current, "Deleting this user")
        store.delete_user(session, username)
        audit.record(session, user, "delete_user", extra={"username": username})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _keep_an_admin(session: Session, losing: store.UserEntry, change: str) -> None:
    """Refuse (409) when `losing` is the last active admin. The active admins' rows stay locked
    until the change commits, so concurrent changes cannot each remove a different last admin."""
    admins = store.lock_active_admins(session)
    if losing.username in admins and len(admins) <= 1:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{change} would leave no active admin: {losing.username!r} is the last one",
        )


def _hashed(password: str) -> str:
    try:
        check_new_password(password)
    except ValueError as err:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(err)) from None
    return hash_password(password)


def _existing(session: Session, username: str) -> store.UserEntry:
    found = store.get_user(session, username)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"User {username!r} not found")
    return found[0]


def _response(entry: store.UserEntry) -> UserResponse:
    return UserResponse(**entry.to_dict())
