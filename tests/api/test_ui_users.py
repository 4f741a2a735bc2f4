"""`/ui/users`: the web UI's user administration: CRUD, admins only, the rules that keep an
admin from locking everyone out, the audit log with passwords masked, and tokens of deleted or
deactivated users refused at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from slipstream.db.store import audit as audit_log

URL = "/ui/users"
NEW_PASSWORD = "carol-pw-123"


def _create(client: TestClient, username: str = "carol", role: str = "op") -> dict[str, Any]:
    response = client.post(URL, json={"username": username, "role": role, "password": NEW_PASSWORD})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _login(client: TestClient, username: str, password: str) -> int:
    return client.post("/auth/token", json={"username": username, "password": password}).status_code


def _events(db: Database, event: str) -> list[dict[str, Any]]:
    with db.session() as session:
        found = audit_log.list_events(session, events=[event])
    return [{"owner": e.owner, "extra": json.loads(e.extra or "{}")} for e in found]


def test_list_shows_users_without_password_hashes(admin_client: TestClient) -> None:
    response = admin_client.get(URL)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] == 4
    assert [(u["username"], u["role"], u["active"]) for u in body["users"]] == [
        ("admin", "admin", True),
        ("op", "op", True),
        ("user", "user", True),
        ("viewer", "viewer", True),
    ]
    admin = body["users"][0]
    assert admin["last_login"] is not None  # the client logged in
    assert admin["created_at"]
    assert "hash" not in response.text and "password" not in response.text


def test_create_then_log_in_with_that_role(
    admin_client: TestClient, anonymous_client: TestClient
) -> None:
    created = _create(admin_client, "carol", "op")
    assert created["username"] == "carol" and created["role"] == "op" and created["active"]
    assert created["last_login"] is None
    assert "password" not in created
    token = anonymous_client.post(
        "/auth/token", json={"username": "carol", "password": NEW_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous_client.get("/api/v2/variables", headers=headers).status_code == 200
    assert anonymous_client.get(URL, headers=headers).status_code == 403


def test_create_refuses_a_taken_name_a_bad_role_and_a_short_password(
    admin_client: TestClient,
) -> None:
    _create(admin_client)
    taken = admin_client.post(URL, json={"username": "carol", "role": "op", "password": "x" * 9})
    assert taken.status_code == 409
    assert taken.json()["detail"] == "User 'carol' already exists"

    bad_role = admin_client.post(
        URL, json={"username": "dave", "role": "boss", "password": "x" * 9}
    )
    assert bad_role.status_code == 422
    assert "role" in bad_role.text and "'admin', 'op', 'user' or 'viewer'" in bad_role.text

    short = admin_client.post(URL, json={"username": "dave", "role": "op", "password": "short"})
    assert short.status_code == 422
    assert "at least 8 characters" in short.text

    empty = admin_client.post(URL, json={"username": "", "role": "op", "password": "x" * 9})
    assert empty.status_code == 422
    spaced = admin_client.post(URL, json={"username": "a b", "role": "op", "password": "x" * 9})
    assert spaced.status_code == 422
    assert [u["username"] for u in admin_client.get(URL).json()["users"]].count("dave") == 0


def test_change_role_password_and_active(
    admin_client: TestClient, anonymous_client: TestClient
) -> None:
    _create(admin_client, "carol", "viewer")
    promoted = admin_client.patch(f"{URL}/carol", json={"role": "user"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "user"

    reset = admin_client.patch(f"{URL}/carol", json={"password": "another-pw-1"})
    assert reset.status_code == 200 and reset.json()["role"] == "user"
    assert _login(anonymous_client, "carol", NEW_PASSWORD) == 401
    assert _login(anonymous_client, "carol", "another-pw-1") == 201

    off = admin_client.patch(f"{URL}/carol", json={"active": False})
    assert off.json()["active"] is False
    assert _login(anonymous_client, "carol", "another-pw-1") == 401

    short = admin_client.patch(f"{URL}/carol", json={"password": "1234"})
    assert short.status_code == 422
    assert admin_client.patch(f"{URL}/nobody", json={"role": "op"}).status_code == 404
    assert admin_client.patch(f"{URL}/carol", json={"name": "x"}).status_code == 422


def test_a_changed_role_applies_to_tokens_already_issued(
    admin_client: TestClient, client_as: Callable[[str], TestClient]
) -> None:
    op = client_as("op")
    assert op.get("/api/v2/variables").status_code == 200
    assert admin_client.patch(f"{URL}/op", json={"role": "viewer"}).status_code == 200
    assert op.get("/api/v2/variables").status_code == 403


def test_delete_and_the_deleted_users_token_stops_working(
    admin_client: TestClient, anonymous_client: TestClient
) -> None:
    _create(admin_client, "carol", "op")
    token = anonymous_client.post(
        "/auth/token", json={"username": "carol", "password": NEW_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous_client.get("/api/v2/pools", headers=headers).status_code == 200

    deleted = admin_client.delete(f"{URL}/carol")
    assert deleted.status_code == 204
    assert anonymous_client.get("/api/v2/pools", headers=headers).status_code == 401
    assert "carol" not in [u["username"] for u in admin_client.get(URL).json()["users"]]
    assert admin_client.delete(f"{URL}/carol").status_code == 404


def test_an_admin_cannot_delete_or_deactivate_themself(admin_client: TestClient) -> None:
    deleted = admin_client.delete(f"{URL}/admin")
    assert deleted.status_code == 409
    assert deleted.json()["detail"] == "You cannot delete your own user: ask another admin to do it"
    off = admin_client.patch(f"{URL}/admin", json={"active": False})
    assert off.status_code == 409
    assert "deactivate your own user" in off.json()["detail"]
    assert admin_client.get(URL).json()["users"][0]["active"] is True


def test_the_last_active_admin_cannot_be_demoted(
    admin_client: TestClient, client_as: Callable[[str], TestClient]
) -> None:
    demoted = admin_client.patch(f"{URL}/admin", json={"role": "op"})
    assert demoted.status_code == 409
    assert demoted.json()["detail"] == (
        "This change would leave no active admin: 'admin' is the last one"
    )

    _create(admin_client, "second", "admin")
    assert admin_client.patch(f"{URL}/second", json={"active": False}).status_code == 200
    # An inactive admin does not count: `admin` is still the last active one.
    assert admin_client.patch(f"{URL}/admin", json={"role": "op"}).status_code == 409

    assert admin_client.patch(f"{URL}/second", json={"active": True}).status_code == 200
    assert admin_client.patch(f"{URL}/admin", json={"role": "op"}).status_code == 200
    # The demotion applies at once: `admin` may no longer manage users.
    assert admin_client.get(URL).status_code == 403


@pytest.mark.parametrize("role", ["op", "user", "viewer"])
def test_only_admins_may_use_these_routes(
    client_as: Callable[[str], TestClient], role: str
) -> None:
    client = client_as(role)
    body = {"username": "eve", "role": "admin", "password": "x" * 12}
    assert client.get(URL).status_code == 403
    refused = client.post(URL, json=body)
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"Forbidden: role {role!r} may not POST user resources"
    assert client.patch(f"{URL}/{role}", json={"role": "admin"}).status_code == 403
    assert client.delete(f"{URL}/admin").status_code == 403


def test_no_token_is_a_401(anonymous_client: TestClient) -> None:
    assert anonymous_client.get(URL).status_code == 401


def test_changes_are_audited_with_the_password_masked(
    admin_client: TestClient, api_db: Database
) -> None:
    _create(admin_client, "carol", "op")
    admin_client.patch(f"{URL}/carol", json={"role": "viewer", "password": "new-secret-pw"})
    admin_client.delete(f"{URL}/carol")
    admin_client.delete(f"{URL}/admin")  # refused: not recorded

    assert _events(api_db, "post_user") == [
        {"owner": "admin", "extra": {"username": "carol", "role": "op", "password": "***"}}
    ]
    assert _events(api_db, "patch_user") == [
        {
            "owner": "admin",
            "extra": {"username": "carol", "role": "viewer", "password": "***"},
        }
    ]
    assert _events(api_db, "delete_user") == [{"owner": "admin", "extra": {"username": "carol"}}]
    with api_db.session() as session:
        every = audit_log.list_events(session)
    assert all(NEW_PASSWORD not in (e.extra or "") for e in every)
    assert all("new-secret-pw" not in (e.extra or "") for e in every)


def test_the_openapi_document_describes_the_errors(anonymous_client: TestClient) -> None:
    paths = anonymous_client.get("/api/v2/openapi.json").json()["paths"]
    assert {"409", "401", "403", "422"} <= set(paths["/ui/users"]["post"]["responses"])
    assert {"404", "409"} <= set(paths["/ui/users/{username}"]["delete"]["responses"])
    assert {"400", "404", "409", "422"} <= set(paths["/ui/users/{username}"]["patch"]["responses"])


@pytest.mark.integration
def test_two_admins_demoting_each_other_at_once_leave_one_on_postgres(pg_db: Database) -> None:
    """The check and the change of one request lock the admins' rows: a second request changing
    another admin waits for the first to commit, then finds only one admin left and is refused."""
    from sqlalchemy import text

    from slipstream.api.routes.ui_users import _keep_an_admin
    from slipstream.db.store import users as store

    with pg_db.begin() as session:
        ada = store.create_user(session, "ada", role="admin", password_hash="x")
        bob = store.create_user(session, "bob", role="admin", password_hash="x")

    outcome: dict[str, Any] = {}

    def demote_bob() -> None:
        try:
            with pg_db.begin() as session:
                _keep_an_admin(session, bob, "Demoting bob")
                store.update_user(session, "bob", role="op")
            outcome["bob"] = "demoted"
        except HTTPException as err:
            outcome["bob"] = err.status_code

    with pg_db.begin() as first:
        _keep_an_admin(first, ada, "Demoting ada")
        store.update_user(first, "ada", role="op")
        other = threading.Thread(target=demote_bob)
        other.start()
        # Bob's check waits on the rows this transaction locked (bounded, no sleep).
        with pg_db.session() as watcher:
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'SELECT%FOR UPDATE%'"
            )
            deadline = time.monotonic() + 10
            while not watcher.execute(waiting).scalar() and time.monotonic() < deadline:
                watcher.rollback()
            assert watcher.execute(waiting).scalar() == 1, "bob's check did not wait for the lock"
    other.join(timeout=10)

    assert outcome == {"bob": 409}
    with pg_db.session() as session:
        assert store.lock_active_admins(session) == ["bob"]
