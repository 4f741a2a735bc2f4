"""`/api/v2/connections`: list, read, create, update, delete, bulk-change and test connections,
and add Airflow's default connections (Airflow's "Connection" routes).

Passwords and extras are stored encrypted (`slipstream.db.store.connections`). Responses mask
the password and the sensitive fields of the extra (`slipstream.api.redaction`); a masked value
sent back unchanged keeps the stored secret. Only op and admin may use these routes, reads
included. Every change is recorded in the audit log with the password and extra masked.

Testing a connection is refused (403) unless `[core] test_connection` is `Enabled`, as in
Airflow; Slipstream has no provider hooks, so a test then reports that it cannot test the type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Header, HTTPException, Request, Response, status
from sqlalchemy.orm import Session

from slipstream.api import audit, bulk
from slipstream.api.deps import AppConfig, Db, ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.params import UpdateMask, fields_in_mask
from slipstream.api.redaction import AppRedactor, Redactor
from slipstream.api.routing import api_router
from slipstream.api.schemas.bulk import BulkBody, BulkResponse
from slipstream.api.schemas.connections import (
    FIELDS,
    ConnectionBody,
    ConnectionCollectionResponse,
    ConnectionResponse,
    ConnectionTestRequestBody,
    ConnectionTestResponse,
)
from slipstream.api.security import AuthenticatedUser, requires
from slipstream.core.exceptions import AirflowException
from slipstream.db.store import connections as store
from slipstream.sdk.connections import Connection

if TYPE_CHECKING:
    from slipstream.config import Config

router = api_router(tags=["Connection"])

User = Annotated[AuthenticatedUser, requires("connection")]
ID_FIELDS = ("connection_id", "conn_id")

TESTING_DISABLED = (
    "Testing connections is disabled in the configuration ([core] test_connection). "
    "Ask your deployment's admin to enable it."
)


@router.get("/connections", responses=documented(400, 401, 403))
def get_connections(
    request: Request,
    session: ReadSession,
    config: AppConfig,
    user: User,
    redactor: AppRedactor,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    connection_id_pattern: str | None = None,
    connection_id_prefix_pattern: str | None = None,
) -> ConnectionCollectionResponse:
    """The connections whose ids match the patterns, a page at a time."""
    page = page_of(request, limit, offset, order_by, allowed=store.ORDER_FIELDS, default="id")
    found, total = store.find_connections(
        session,
        page,
        pattern=connection_id_pattern,
        prefix=connection_id_prefix_pattern,
        config=config,
    )
    return ConnectionCollectionResponse(
        connections=[_response(conn, redactor) for conn in found], total_entries=total
    )


@router.post("/connections/test", responses=documented(401, 403, 413))
def test_connection(body: ConnectionBody, config: AppConfig, user: User) -> ConnectionTestResponse:
    """Test a connection: refused unless enabled; Slipstream has no hook that can test one."""
    _ensure_testing_enabled(config)
    return ConnectionTestResponse(status=False, message=_untestable(body.conn_type))


@router.post(
    "/connections/enqueue-test",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(401, 403, 413, 422),
)
def enqueue_connection_test(body: ConnectionTestRequestBody, config: AppConfig, user: User) -> None:
    """Testing on a worker: Slipstream's executors do not run connection tests (a 422 with a
    message, as Airflow documents it, not a validation list)."""
    _ensure_testing_enabled(config)
    raise HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        f"Slipstream's executors do not run connection tests; test {body.connection_id!r} "
        "with POST /api/v2/connections/test instead",
    )


@router.get("/connections/enqueue-test", responses=documented(401, 403, 404))
def get_connection_test(
    config: AppConfig,
    user: User,
    token: Annotated[str, Header(alias="Airflow-Connection-Test-Token")],
) -> None:
    """The state of a queued test: none is ever queued here."""
    _ensure_testing_enabled(config)
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"No connection test has the token {token!r}")


@router.post(
    "/connections/defaults", status_code=status.HTTP_204_NO_CONTENT, responses=documented(401, 403)
)
def create_default_connections(config: AppConfig, db: Db, user: User) -> Response:
    """Add Airflow's default connections whose ids are free."""
    with db.begin() as session:
        added = store.add_default_connections(session, config=config)
        audit.record(session, user, "create_default_connections", extra={"added": added})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/connections/{connection_id}", responses=documented(401, 403, 404))
def get_connection(
    connection_id: str, config: AppConfig, session: ReadSession, user: User, redactor: AppRedactor
) -> ConnectionResponse:
    """One connection."""
    return _response(_existing(session, connection_id, config), redactor)


@router.post(
    "/connections",
    status_code=status.HTTP_201_CREATED,
    responses=documented(400, 401, 403, 409, 413),
)
def post_connection(
    body: ConnectionBody, config: AppConfig, db: Db, user: User, redactor: AppRedactor
) -> ConnectionResponse:
    """Create a connection; 409 when its id is taken."""
    with db.begin() as session:
        store.add_connection(session, _new(body), config=config)
        audit.record(session, user, "post_connection", extra=_audited(body))
        return _response(_existing(session, body.connection_id, config), redactor)


@router.patch("/connections/{connection_id}", responses=documented(400, 401, 403, 404, 413))
def patch_connection(
    connection_id: str,
    body: ConnectionBody,
    config: AppConfig,
    db: Db,
    user: User,
    redactor: AppRedactor,
    update_mask: UpdateMask = None,
) -> ConnectionResponse:
    """Update the fields the body sets (those in `update_mask`, if given)."""
    if body.connection_id != connection_id:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"The connection_id in the body ({body.connection_id!r}) does not match the one in "
            f"the URL ({connection_id!r}); a connection's id cannot change",
        )
    with db.begin() as session:
        ConnectionChanges(session, config, redactor).update(body, update_mask)
        audit.record(
            session, user, "patch_connection", extra={**_audited(body), "update_mask": update_mask}
        )
        return _response(_existing(session, connection_id, config), redactor)


@router.delete(
    "/connections/{connection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(401, 403, 404),
)
def delete_connection(connection_id: str, db: Db, user: User) -> Response:
    """Delete a connection."""
    with db.begin() as session:
        if not store.delete_connection(session, connection_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, _not_found(connection_id))
        audit.record(session, user, "delete_connection", extra={"connection_id": connection_id})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/connections", responses=documented(401, 403, 413))
def bulk_connections(
    body: BulkBody[ConnectionBody], config: AppConfig, db: Db, user: User, redactor: AppRedactor
) -> BulkResponse:
    """Create, update and delete connections in one request; each action succeeds or fails
    whole, its errors reported in the response."""
    with db.begin() as session:
        changes = ConnectionChanges(session, config, redactor)
        result = bulk.run_actions(session, body.actions, changes)
        summary = bulk.summary(body.actions, changes.key_of)
        audit.record(session, user, "bulk_connections", extra=summary)
    return result


class ConnectionChanges(bulk.Changes[ConnectionBody]):
    """The writes of these routes within one transaction; bulk actions reuse the single ones."""

    noun = "connections"

    def __init__(self, session: Session, config: Config, redactor: Redactor) -> None:
        super().__init__(session)
        self.config = config
        self.redactor = redactor

    def update(self, body: ConnectionBody, update_mask: list[str] | None) -> None:
        """Change the fields of connection `body.connection_id` that the body sets (and the
        mask names); a masked password or extra field sent back keeps the stored secret."""
        fields = fields_in_mask(
            body.given_fields(), update_mask, FIELDS, "connection", ignored=ID_FIELDS
        )
        current = _existing(self.session, body.connection_id, self.config)
        conn = _merged(current, body, fields, self.redactor)
        store.set_connection(self.session, conn, config=self.config)

    def create(self, body: ConnectionBody) -> None:
        store.set_connection(self.session, _new(body), config=self.config)

    def delete(self, entity_id: str) -> None:
        store.delete_connection(self.session, entity_id)

    def id_of(self, body: ConnectionBody) -> str:
        return body.connection_id

    def existing(self, ids: list[str]) -> set[str]:
        return store.existing_connection_ids(self.session, ids)


def _merged(
    current: Connection, body: ConnectionBody, fields: set[str], redactor: Redactor
) -> Connection:
    """`current` with the body's `fields`; masked secrets in them are taken from `current`."""
    values = {name: getattr(current, name) for name in FIELDS}
    given = body.given_fields()
    for name in fields:
        values[name] = given[name]
    values["password"] = redactor.restore_password(values["password"], current.password)
    values["extra"] = redactor.restore_extra(values["extra"], current.extra)
    return _connection(body.connection_id, values)


def _new(body: ConnectionBody) -> Connection:
    values = body.model_dump(by_alias=True)
    return _connection(body.connection_id, {name: values[name] for name in FIELDS})


def _connection(conn_id: str, values: dict[str, Any]) -> Connection:
    try:
        return Connection(conn_id=conn_id, **values)
    except (AirflowException, ValueError, TypeError) as err:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"Connection {conn_id!r} is not valid: {err}"
        ) from None


def _existing(session: Session, connection_id: str, config: Config) -> Connection:
    found = store.get_connection(session, connection_id, config=config)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _not_found(connection_id))
    return found


def _response(conn: Connection, redactor: Redactor) -> ConnectionResponse:
    return ConnectionResponse.model_validate(
        {
            "connection_id": conn.conn_id,
            "conn_type": conn.conn_type,
            "description": conn.description,
            "host": conn.host,
            "login": conn.login,
            "schema": conn.schema,
            "port": conn.port,
            "password": redactor.password(conn.password),
            "extra": redactor.extra(conn.extra),
        }
    )


def _ensure_testing_enabled(config: Config) -> None:
    setting = config.get("core", "test_connection", fallback="Disabled")
    if setting.strip().lower() != "enabled":
        raise HTTPException(status.HTTP_403_FORBIDDEN, TESTING_DISABLED)


def _untestable(conn_type: str) -> str:
    return (
        f"Slipstream cannot test connections of type {conn_type!r}: no installed hook "
        "implements test_connection"
    )


def _audited(body: ConnectionBody) -> dict[str, Any]:
    """The body as the audit log records it (`audit.record` masks the password and extra)."""
    return {"connection_id": body.connection_id, **body.given_fields()}


def _not_found(connection_id: str) -> str:
    return f"The Connection with connection_id: `{connection_id}` was not found"
