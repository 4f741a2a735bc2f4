"""Logging in and what a token allows: `POST /auth/token`, 401 and 403."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from slipstream.api.auth.roles import is_allowed
from slipstream.api.auth.tokens import issue_token

from .conftest import PASSWORDS


def test_login_returns_a_token_that_opens_the_api(anonymous_client: TestClient) -> None:
    response = anonymous_client.post(
        "/auth/token", json={"username": "viewer", "password": PASSWORDS["viewer"]}
    )
    assert response.status_code == 201
    token = response.json()["access_token"]
    assert token.count(".") == 2
    assert anonymous_client.get("/api/v2/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("viewer", "wrong-password"), ("nobody", "whatever-it-is"), ("viewer", "")],
)
def test_wrong_credentials_are_401(
    anonymous_client: TestClient, username: str, password: str
) -> None:
    response = anonymous_client.post(
        "/auth/token", json={"username": username, "password": password}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid credentials"}


def test_malformed_login_body_is_422_naming_the_field(anonymous_client: TestClient) -> None:
    response = anonymous_client.post("/auth/token", json={"username": "viewer"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_expired_and_forged_tokens_are_401(api_app: FastAPI, anonymous_client: TestClient) -> None:
    settings = api_app.state.token_settings
    expired = issue_token(
        settings, "admin", "admin", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    )
    header, payload, _ = expired.split(".")
    forged = f"{header}.{payload}.c2lnbmF0dXJl"
    cases = {"Token expired": expired, "Invalid JWT token": forged}
    for detail, token in cases.items():
        response = anonymous_client.post(
            "/auth/token", json={"username": "x", "password": "y"}
        )  # the login route itself needs no token
        assert response.status_code == 401
        protected = _protected_request(anonymous_client, token)
        assert protected.status_code == 401, detail
        assert protected.json()["detail"] == detail
        assert protected.headers["WWW-Authenticate"] == "Bearer"


def test_no_token_is_401(anonymous_client: TestClient) -> None:
    response = _protected_request(anonymous_client, None)
    assert response.status_code == 401
    assert response.json()["detail"] == "Not authenticated"


def test_roles_are_ranked_like_airflows_simple_auth_manager() -> None:
    assert is_allowed("viewer", "dag", "GET")
    assert not is_allowed("viewer", "dag", "PATCH")
    assert is_allowed("user", "dag", "POST")
    assert not is_allowed("user", "pool", "POST")
    assert is_allowed("user", "pool", "GET")
    assert not is_allowed("user", "variable", "GET")
    assert is_allowed("op", "connection", "DELETE")
    assert not is_allowed("op", "user", "GET")
    assert is_allowed("admin", "user", "DELETE")
    assert not is_allowed("stranger", "dag", "GET")


def test_body_over_the_limit_is_413(anonymous_client: TestClient) -> None:
    response = anonymous_client.post(
        "/auth/token",
        content=b"{" + b" " * (6 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def _protected_request(client: TestClient, token: str | None) -> object:
    from httpx import Response

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response: Response = client.get("/api/v2/probe-auth", headers=headers)
    return response


@pytest.fixture(autouse=True)
def _probe_route(api_app: FastAPI) -> None:
    """A protected route of this test module's own, independent of the resource routes."""
    from slipstream.api.security import requires

    @api_app.get("/api/v2/probe-auth", dependencies=[requires("dag")])
    def probe() -> dict[str, bool]:
        return {"ok": True}

    @api_app.post("/api/v2/probe-auth", dependencies=[requires("dag")])
    def probe_change() -> dict[str, bool]:
        return {"changed": True}


def test_role_without_permission_is_403(client_as: Callable[[str], TestClient]) -> None:
    viewer = client_as("viewer")
    assert viewer.get("/api/v2/probe-auth").json() == {"ok": True}
    refused = viewer.post("/api/v2/probe-auth")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Forbidden: role 'viewer' may not POST dag resources"
    assert client_as("user").post("/api/v2/probe-auth").json() == {"changed": True}


def test_deleted_users_tokens_stop_working(
    api_db: object, client_as: Callable[[str], TestClient]
) -> None:
    from slipstream.db.store import users

    viewer = client_as("viewer")
    assert viewer.get("/api/v2/probe-auth").status_code == 200
    with api_db.begin() as session:  # type: ignore[attr-defined]
        users.delete_user(session, "viewer")
    response = viewer.get("/api/v2/probe-auth")
    assert response.status_code == 401
    assert response.json()["detail"] == "User 'viewer' no longer exists or is inactive"


def test_openapi_documents_auth_errors_on_protected_routes(anonymous_client: TestClient) -> None:
    paths = anonymous_client.get("/api/v2/openapi.json").json()["paths"]
    assert "401" in paths["/api/v2/dags"]["get"]["responses"]
    assert "401" not in paths["/api/v2/monitor/health"]["get"]["responses"]
