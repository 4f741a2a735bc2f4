"""`/api/v2/variables`: list, read, create, update, delete and bulk-change variables (Airflow's
"Variable" routes).

Values are stored encrypted (`slipstream.db.store.variables`); responses mask the values of
sensitive keys (`slipstream.api.redaction`). Only op and admin may use these routes, reads
included. Every change is recorded in the audit log with the value masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import HTTPException, Request, Response, status
from sqlalchemy.orm import Session

from slipstream.api import audit, bulk
from slipstream.api.deps import AppConfig, Db, ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.params import UpdateMask, fields_in_mask
from slipstream.api.redaction import AppRedactor, Redactor
from slipstream.api.routing import api_router
from slipstream.api.schemas.bulk import BulkBody, BulkResponse
from slipstream.api.schemas.variables import (
    VariableBody,
    VariableCollectionResponse,
    VariableResponse,
)
from slipstream.api.security import AuthenticatedUser, requires
from slipstream.db.store import variables as store

if TYPE_CHECKING:
    from slipstream.config import Config

router = api_router(tags=["Variable"])

User = Annotated[AuthenticatedUser, requires("variable")]

UPDATABLE = ("value", "description")


@router.get("/variables", responses=documented(400, 401, 403))
def get_variables(
    request: Request,
    session: ReadSession,
    config: AppConfig,
    user: User,
    redactor: AppRedactor,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    variable_key_pattern: str | None = None,
    variable_key_prefix_pattern: str | None = None,
) -> VariableCollectionResponse:
    """The variables whose keys match the patterns, a page at a time."""
    page = page_of(request, limit, offset, order_by, allowed=store.ORDER_FIELDS, default="id")
    found, total = store.find_variables(
        session,
        page,
        pattern=variable_key_pattern,
        prefix=variable_key_prefix_pattern,
        config=config,
    )
    return VariableCollectionResponse(
        variables=[_response(variable, redactor) for variable in found], total_entries=total
    )


@router.get("/variables/{variable_key:path}", responses=documented(401, 403, 404))
def get_variable(
    variable_key: str, config: AppConfig, session: ReadSession, user: User, redactor: AppRedactor
) -> VariableResponse:
    """One variable."""
    return _response(_existing(session, variable_key, config), redactor)


@router.post(
    "/variables", status_code=status.HTTP_201_CREATED, responses=documented(400, 401, 403, 409, 413)
)
def post_variable(
    body: VariableBody, config: AppConfig, db: Db, user: User, redactor: AppRedactor
) -> VariableResponse:
    """Create a variable; 409 when its key is taken."""
    with db.begin() as session:
        store.add_variable(session, body.key, body.stored_value(), body.description, config=config)
        audit.record(session, user, "post_variable", extra=_audited(body))
        return _response(_existing(session, body.key, config), redactor)


@router.patch("/variables/{variable_key:path}", responses=documented(400, 401, 403, 404, 413))
def patch_variable(
    variable_key: str,
    body: VariableBody,
    config: AppConfig,
    db: Db,
    user: User,
    redactor: AppRedactor,
    update_mask: UpdateMask = None,
) -> VariableResponse:
    """Update the value and/or description of a variable (those in `update_mask`, if given)."""
    if body.key != variable_key:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"The key in the body ({body.key!r}) does not match the key in the URL "
            f"({variable_key!r}); a variable's key cannot change",
        )
    with db.begin() as session:
        VariableChanges(session, config, redactor).update(body, update_mask)
        audit.record(
            session, user, "patch_variable", extra={**_audited(body), "update_mask": update_mask}
        )
        return _response(_existing(session, variable_key, config), redactor)


@router.delete(
    "/variables/{variable_key:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(401, 403, 404),
)
def delete_variable(variable_key: str, db: Db, user: User) -> Response:
    """Delete a variable."""
    with db.begin() as session:
        if not store.delete_variable(session, variable_key):
            raise HTTPException(status.HTTP_404_NOT_FOUND, _not_found(variable_key))
        audit.record(session, user, "delete_variable", extra={"key": variable_key})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/variables", responses=documented(401, 403, 413))
def bulk_variables(
    body: BulkBody[VariableBody], config: AppConfig, db: Db, user: User, redactor: AppRedactor
) -> BulkResponse:
    """Create, update and delete variables in one request; each action succeeds or fails whole,
    its errors reported in the response."""
    with db.begin() as session:
        changes = VariableChanges(session, config, redactor)
        result = bulk.run_actions(session, body.actions, changes)
        summary = bulk.summary(body.actions, changes.key_of)
        audit.record(session, user, "bulk_variables", extra=summary)
    return result


class VariableChanges(bulk.Changes[VariableBody]):
    """The writes of these routes within one transaction; bulk actions reuse the single ones."""

    noun = "variables"

    def __init__(self, session: Session, config: Config, redactor: Redactor) -> None:
        super().__init__(session)
        self.config = config
        self.redactor = redactor

    def update(self, body: VariableBody, update_mask: list[str] | None) -> None:
        """Change the fields of variable `body.key` that the body sets (and the mask names).

        A value sent back as the mask it was shown with keeps the stored secret."""
        fields = _fields_to_update(body, update_mask)
        current = _existing(self.session, body.key, self.config)
        value, description = current.value, current.description
        if "value" in fields:
            value = self.redactor.restore_variable_value(body.key, body.stored_value(), value)
        if "description" in fields:
            description = body.description
        if value is None:  # only rows written by other tools lack a value
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, f"Variable {body.key!r} has no value: give one"
            )
        store.set_variable(self.session, body.key, value, description, config=self.config)

    def create(self, body: VariableBody) -> None:
        store.set_variable(
            self.session, body.key, body.stored_value(), body.description, config=self.config
        )

    def delete(self, entity_id: str) -> None:
        store.delete_variable(self.session, entity_id)

    def id_of(self, body: VariableBody) -> str:
        return body.key

    def existing(self, ids: list[str]) -> set[str]:
        return store.existing_variable_keys(self.session, ids)


def _fields_to_update(body: VariableBody, update_mask: list[str] | None) -> set[str]:
    if update_mask and "key" in {name.strip() for name in update_mask}:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"A variable's key cannot be updated; update_mask may name: {', '.join(UPDATABLE)}",
        )
    given = body.model_fields_set & set(UPDATABLE)
    return fields_in_mask(given, update_mask, UPDATABLE, "variable")


def _existing(session: Session, key: str, config: Config) -> store.StoredVariable:
    found = store.get_stored_variable(session, key, config=config)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _not_found(key))
    return found


def _response(variable: store.StoredVariable, redactor: Redactor) -> VariableResponse:
    return VariableResponse(
        key=variable.key,
        value=redactor.variable_value(variable.key, variable.value),
        description=variable.description,
        is_encrypted=variable.is_encrypted,
    )


def _audited(body: VariableBody) -> dict[str, object]:
    """The body as the audit log records it (`audit.record` masks the value)."""
    return {"key": body.key, "value": body.stored_value(), "description": body.description}


def _not_found(key: str) -> str:
    return f"The Variable with key: `{key}` was not found"
