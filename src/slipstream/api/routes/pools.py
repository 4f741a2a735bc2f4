"""`/api/v2/pools`: list, read, create, update, delete and bulk-change pools (Airflow's "Pool"
routes), each pool with the slots its task instances take by state.

`default_pool` cannot be deleted, and only its slots and `include_deferred` may change; no pool
can be renamed. Viewers read pools; op and admin change them. Every change is recorded in the
audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Request, Response, status
from sqlalchemy.orm import Session

from slipstream.api import audit, bulk
from slipstream.api.deps import Db, ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.params import UpdateMask, fields_in_mask
from slipstream.api.routing import api_router
from slipstream.api.schemas.bulk import BulkBody, BulkResponse
from slipstream.api.schemas.pools import (
    PoolBody,
    PoolCollectionResponse,
    PoolPatchBody,
    PoolResponse,
)
from slipstream.api.security import AuthenticatedUser, requires
from slipstream.db.store import pools as store

router = api_router(tags=["Pool"])

User = Annotated[AuthenticatedUser, requires("pool")]

UPDATABLE = ("slots", "description", "include_deferred")
NAME_FIELDS = ("pool", "name")
DEFAULT_POOL_UPDATABLE = ("slots", "include_deferred")


@router.get("/pools", responses=documented(400, 401, 403))
def get_pools(
    request: Request,
    session: ReadSession,
    user: User,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    pool_name_pattern: str | None = None,
    pool_name_prefix_pattern: str | None = None,
) -> PoolCollectionResponse:
    """The pools whose names match the patterns, a page at a time, with their usage."""
    page = page_of(request, limit, offset, order_by, allowed=store.ORDER_FIELDS, default="id")
    found, total = store.find_pools(
        session, page, pattern=pool_name_pattern, prefix=pool_name_prefix_pattern
    )
    return PoolCollectionResponse(pools=[_response(info) for info in found], total_entries=total)


@router.get("/pools/{pool_name:path}", responses=documented(401, 403, 404))
def get_pool(pool_name: str, session: ReadSession, user: User) -> PoolResponse:
    """One pool with its usage."""
    return _response(_existing(session, pool_name))


@router.post(
    "/pools", status_code=status.HTTP_201_CREATED, responses=documented(400, 401, 403, 409, 413)
)
def post_pool(body: PoolBody, db: Db, user: User) -> PoolResponse:
    """Create a pool; 409 when its name is taken."""
    with db.begin() as session:
        store.add_pool(
            session, body.name, body.slots, body.description, include_deferred=body.include_deferred
        )
        audit.record(session, user, "post_pool", extra=body.model_dump(exclude={"team_name"}))
        return _response(_existing(session, body.name))


@router.patch("/pools/{pool_name:path}", responses=documented(400, 401, 403, 404, 413))
def patch_pool(
    pool_name: str, body: PoolPatchBody, db: Db, user: User, update_mask: UpdateMask = None
) -> PoolResponse:
    """Update the fields the body sets (those in `update_mask`, if given)."""
    if body.pool is not None and body.pool != pool_name:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"The pool name in the body ({body.pool!r}) does not match the one in the URL "
            f"({pool_name!r}); a pool cannot be renamed",
        )
    with db.begin() as session:
        PoolChanges(session).change(pool_name, _given(body, update_mask))
        audit.record(
            session,
            user,
            "patch_pool",
            extra={
                "pool": pool_name,
                **body.model_dump(exclude_unset=True, exclude={"pool", "team_name"}),
                "update_mask": update_mask,
            },
        )
        return _response(_existing(session, pool_name))


@router.delete(
    "/pools/{pool_name:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(400, 401, 403, 404),
)
def delete_pool(pool_name: str, db: Db, user: User) -> Response:
    """Delete a pool; `default_pool` cannot be deleted (400)."""
    with db.begin() as session:
        if not store.delete_pool(session, pool_name):
            raise HTTPException(status.HTTP_404_NOT_FOUND, _not_found(pool_name))
        audit.record(session, user, "delete_pool", extra={"pool": pool_name})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/pools", responses=documented(401, 403, 413))
def bulk_pools(body: BulkBody[PoolBody], db: Db, user: User) -> BulkResponse:
    """Create, update and delete pools in one request; each action succeeds or fails whole,
    its errors reported in the response."""
    with db.begin() as session:
        changes = PoolChanges(session)
        result = bulk.run_actions(session, body.actions, changes)
        audit.record(session, user, "bulk_pools", extra=bulk.summary(body.actions, changes.key_of))
    return result


class PoolChanges(bulk.Changes[PoolBody]):
    """The writes of these routes within one transaction; bulk actions reuse the single ones."""

    noun = "pools"

    def change(self, name: str, given: dict[str, Any]) -> None:
        """Set the `given` fields of pool `name`; of `default_pool`, only slots and
        `include_deferred` may change."""
        current = _existing(self.session, name)
        values = {field: getattr(current, field) for field in UPDATABLE}
        changed = {field for field, value in given.items() if value != values[field]}
        if name == store.DEFAULT_POOL and changed - set(DEFAULT_POOL_UPDATABLE):
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"Only {' and '.join(DEFAULT_POOL_UPDATABLE)} can be changed on "
                f"{store.DEFAULT_POOL}",
            )
        for field in ("slots", "include_deferred"):
            if given.get(field, values[field]) is None:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{field} cannot be null")
        values.update(given)
        store.set_pool(
            self.session,
            name,
            values["slots"],
            values["description"],
            include_deferred=values["include_deferred"],
        )

    def create(self, body: PoolBody) -> None:
        store.set_pool(
            self.session,
            body.name,
            body.slots,
            body.description,
            include_deferred=body.include_deferred,
        )

    def update(self, body: PoolBody, update_mask: list[str] | None) -> None:
        self.change(body.name, _given(body, update_mask))

    def delete(self, entity_id: str) -> None:
        store.delete_pool(self.session, entity_id)

    def id_of(self, body: PoolBody) -> str:
        return body.name

    def existing(self, ids: list[str]) -> set[str]:
        return store.existing_pool_names(self.session, ids)


def _given(body: PoolBody | PoolPatchBody, update_mask: list[str] | None) -> dict[str, Any]:
    """The fields to update: those the body sets, of those the mask names (if any)."""
    given = {field: getattr(body, field) for field in body.model_fields_set if field in UPDATABLE}
    kept = fields_in_mask(given, update_mask, UPDATABLE, "pool", ignored=NAME_FIELDS)
    return {field: value for field, value in given.items() if field in kept}


def _existing(session: Session, name: str) -> store.PoolInfo:
    found = store.get_pool(session, name)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _not_found(name))
    return found


def _response(info: store.PoolInfo) -> PoolResponse:
    return PoolResponse(**info.to_dict())


def _not_found(name: str) -> str:
    return f"The Pool with name: `{name}` was not found"
