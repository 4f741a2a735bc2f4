"""`api.routing`: routes FastAPI analyses when first used, served and documented exactly as
`include_router` would; and the API server's start with the garbage collector off."""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi import FastAPI, Query
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from slipstream.api import errors
from slipstream.api.app import (
    _PROTECTED_CODES,
    _PUBLIC_CODES,
    API_PREFIX,
    PUBLIC_MODULES,
    ROUTE_MODULES,
    UI_PREFIX,
    UI_ROUTE_MODULES,
    operation_id,
)
from slipstream.api.routing import LazyAPIRoute, add_router, api_router


def _lazy_routes(app: FastAPI) -> list[LazyAPIRoute]:
    return [route for route in app.routes if isinstance(route, LazyAPIRoute)]


def test_no_route_is_analysed_until_a_request_reaches_it(api_app: FastAPI) -> None:
    routes = _lazy_routes(api_app)
    assert len(routes) == len([r for r in api_app.routes if isinstance(r, APIRoute)]) > 90
    assert not any(route.is_built for route in routes)
    with TestClient(api_app) as client:
        assert client.get("/api/v2/monitor/health").status_code == 200
        assert client.get("/dags/some_dag").status_code in (200, 503)  # the UI's, not a route's
    built = [route.path for route in routes if route.is_built]
    assert built == ["/api/v2/monitor/health"]


def test_the_openapi_document_is_the_one_include_router_makes(api_app: FastAPI) -> None:
    """The same routers put in with FastAPI's `include_router`, as the application did before
    its routes were lazy: the same paths, operations and schemas."""
    reference = FastAPI(
        title=api_app.title,
        version=api_app.version,
        generate_unique_id_function=operation_id,
    )
    reference.include_router(importlib.import_module("slipstream.api.routes.auth").router)
    for name in ROUTE_MODULES:
        codes = _PUBLIC_CODES if name in PUBLIC_MODULES else _PROTECTED_CODES
        reference.include_router(
            importlib.import_module(f"slipstream.api.routes.{name}").router,
            prefix=API_PREFIX,
            responses=errors.documented(*codes),
        )
    for name in UI_ROUTE_MODULES:
        reference.include_router(
            importlib.import_module(f"slipstream.api.routes.{name}").router,
            prefix=UI_PREFIX,
            responses=errors.documented(*_PROTECTED_CODES),
        )
    ours, theirs = api_app.openapi(), reference.openapi()
    assert list(ours["paths"]) == list(theirs["paths"])
    assert ours["paths"] == theirs["paths"]
    assert ours["components"]["schemas"] == theirs["components"]["schemas"]
    assert all(route.is_built for route in _lazy_routes(api_app))


# -- LazyAPIRoute on its own ------------------------------------------------------------------


@pytest.fixture
def small_app() -> FastAPI:
    router = api_router(tags=["Thing"])

    @router.get("/things/{thing_id}")
    def get_thing(thing_id: int, detail: bool = Query(False)) -> dict[str, object]:
        return {"id": thing_id, "detail": detail}

    @router.post("/things", status_code=201)
    def add_thing() -> dict[str, str]:
        return {"added": "yes"}

    app = FastAPI()
    add_router(app, router, prefix="/v1", responses={404: {"description": "No such thing"}})
    return app


def test_a_lazy_route_serves_validates_and_refuses_like_any_route(small_app: FastAPI) -> None:
    client = TestClient(small_app)
    assert client.get("/v1/things/7?detail=true").json() == {"id": 7, "detail": True}
    assert client.get("/v1/things/seven").status_code == 422
    assert client.put("/v1/things/7").status_code == 405
    assert client.post("/v1/things").status_code == 201
    assert client.get("/v2/things/7").status_code == 404
    operation = small_app.openapi()["paths"]["/v1/things/{thing_id}"]["get"]
    assert operation["tags"] == ["Thing"]
    assert set(operation["responses"]) == {"200", "404", "422"}


def test_building_a_url_or_reading_an_attribute_analyses_the_route(small_app: FastAPI) -> None:
    get_route, post_route = _lazy_routes(small_app)
    assert small_app.url_path_for("get_thing", thing_id="3") == "/v1/things/3"
    assert get_route.is_built
    assert not post_route.is_built
    assert post_route.status_code == 201
    assert post_route.is_built
    with pytest.raises(AttributeError):
        _ = post_route.no_such_attribute


def test_threads_reading_an_unbuilt_route_all_see_it_built(small_app: FastAPI) -> None:
    route = _lazy_routes(small_app)[0]
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(route.dependant)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(dependant is seen[0] for dependant in seen)


def test_add_router_refuses_a_router_of_eager_routes() -> None:
    from fastapi import APIRouter

    router = APIRouter()
    router.add_api_route("/x", lambda: None)
    with pytest.raises(TypeError, match="api_router"):
        add_router(FastAPI(), router)


# -- the server's start: the garbage collector -------------------------------------------------


@pytest.fixture
def collector_restored() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.usefixtures("api_db", "collector_restored")
def test_app_factory_freezes_the_start_and_turns_the_collector_back_on() -> None:
    from slipstream.cli.api_server_cmd import app_factory

    gc.disable()
    frozen_before = gc.get_freeze_count()
    app = app_factory()
    assert isinstance(app, FastAPI)
    assert gc.isenabled()
    assert gc.get_freeze_count() > frozen_before


@pytest.mark.usefixtures("slipstream_home", "collector_restored")
def test_a_server_that_cannot_start_leaves_the_collector_on() -> None:
    from slipstream.cli.api_server_cmd import api_server

    result = CliRunner().invoke(api_server, ["--port", "1"])  # the database is not migrated
    assert result.exit_code != 0
    assert "slipstream db migrate" in result.output
    assert gc.isenabled()
