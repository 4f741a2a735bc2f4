"""`mount_ui`: the built UI at `/` of the API server, next to an API that stays untouched."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from slipstream.ui import mount_ui
from slipstream.ui.serving import IMMUTABLE

INDEX = '<!doctype html><html><head><script type="module" src="/static/app-1a2b.js"></script>'
SCRIPT = "console.log('slipstream');" * 50


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A build as Vite leaves it: index.html, hashed files under static/, and their .gz."""
    root = tmp_path / "static"
    (root / "static").mkdir(parents=True)
    files = {"index.html": INDEX, "static/app-1a2b.js": SCRIPT, "favicon.svg": "<svg/>"}
    for name, text in files.items():
        (root / name).write_text(text)
        (root / f"{name}.gz").write_bytes(gzip.compress(text.encode()))
    return root


def app_with_ui(static_dir: Path) -> FastAPI:
    app = FastAPI(docs_url="/api/v2/docs")

    @app.get("/api/v2/things")
    def things() -> dict[str, int]:
        return {"things": 1}

    @app.post("/auth/token")
    def token() -> dict[str, str]:
        return {"access_token": "t"}

    mount_ui(app, static_dir)
    return app


@pytest.fixture
def client(build: Path) -> TestClient:
    return TestClient(app_with_ui(build))


@pytest.mark.parametrize("path", ["/", "/login", "/dags/etl.daily", "/?tag=etl&page=2"])
def test_client_side_routes_load_the_application(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_hashed_files_are_cached_for_a_year_and_sent_compressed(client: TestClient) -> None:
    response = client.get("/static/app-1a2b.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.text == SCRIPT  # decoded by the client
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < len(SCRIPT)
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["vary"] == "Accept-Encoding"


def test_plain_files_for_clients_without_gzip(client: TestClient) -> None:
    response = client.get("/static/app-1a2b.js", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "content-encoding" not in response.headers
    assert response.content == SCRIPT.encode()


def test_unchanged_files_answer_304(client: TestClient) -> None:
    first = client.get("/favicon.svg")
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/favicon.svg", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_head_requests(client: TestClient) -> None:
    response = client.head("/")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize("path", ["/static/gone-0000.js", "/favicon.ico"])
def test_missing_files_are_404_not_the_application(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404


def test_files_outside_the_build_are_never_served(client: TestClient, build: Path) -> None:
    (build.parent / "secret.txt").write_text("secret")
    for path in ["/../secret.txt", "/static/../../secret.txt", "/%2e%2e/secret.txt"]:
        assert "secret" not in client.get(path).text


def test_the_api_keeps_its_paths(client: TestClient) -> None:
    assert client.get("/api/v2/things").json() == {"things": 1}
    missing = client.get("/api/v2/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert client.get("/api").status_code == 404
    assert client.get("/auth/token").status_code == 405  # a route for another method
    assert client.post("/auth/token").status_code == 200
    assert client.post("/login").status_code in (404, 405)  # only GET and HEAD are the UI's
    assert "swagger" in client.get("/api/v2/docs").text.lower()
    assert client.get("/docs/oauth2-redirect").status_code == 200  # an app route outside /api


def test_without_a_build_the_ui_says_how_to_build_it(tmp_path: Path) -> None:
    client = TestClient(app_with_ui(tmp_path / "not-built"))
    response = client.get("/dags")
    assert response.status_code == 503
    assert "make ui" in response.text
    assert client.get("/api/v2/things").status_code == 200


def test_the_api_server_serves_the_ui(api_app: FastAPI) -> None:
    """`create_app` mounts the UI (whatever the state of this checkout's build)."""
    response = TestClient(api_app).get("/login")
    assert response.status_code in (200, 503)
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_the_ui_package_imports_no_other_layer() -> None:
    """`slipstream.ui` serves files; it reaches nothing else of Slipstream's (the API imports
    it, not the other way round)."""
    import ast

    import slipstream.ui

    package = Path(slipstream.ui.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith("slipstream.") or name.startswith("slipstream.ui"), (
                    f"{path.name} imports {name}"
                )
