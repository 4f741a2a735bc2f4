"""Routes that FastAPI analyses once, when first needed, instead of at start-up.

FastAPI analyses a route (its parameters, body and response model: a pydantic validator or
serializer each) when the route is made, and again, on the first request that reaches them, for
the routes of every router included in the application. For this API's 95 routes the two
analyses were about a third of the API server's start. Here each route module's router makes
`LazyAPIRoute`s, which only keep what they were made with, and `add_router` puts a module's
routes straight into the application (as `include_router` would serve and document them). A
route is analysed, once, the first time a request's path matches it, a URL is built for it, or
anything else about it is read (the OpenAPI document reads them all): a few milliseconds on the
first request of each route.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match, compile_path, get_route_path
from starlette.types import Scope

__all__ = ["LazyAPIRoute", "add_router", "api_router"]

_BUILD_LOCK = threading.RLock()


class LazyAPIRoute(APIRoute):
    """An `APIRoute` whose analysis waits until the route is first used. Before that it only
    knows its path pattern, enough to tell that a request is not for it."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self._lazy_args = (path, endpoint, kwargs)
        self._lazy_path_regex = compile_path(path)[0]
        self._lazy_building = False

    @property
    def lazy_args(self) -> tuple[str, Callable[..., Any], dict[str, Any]]:
        """What the route was made with: path, endpoint and `APIRoute`'s keyword arguments."""
        return self._lazy_args

    @property
    def is_built(self) -> bool:
        """Whether FastAPI has analysed the route yet."""
        return "app" in self.__dict__

    def build(self) -> None:
        """Analyse the route now, as `APIRoute` does when it is made (idempotent)."""
        if self.is_built:
            return
        with _BUILD_LOCK:
            if self.is_built or self._lazy_building:
                return
            self._lazy_building = True
            try:
                path, endpoint, kwargs = self._lazy_args
                super().__init__(path, endpoint, **kwargs)
            finally:
                self._lazy_building = False

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes the instance lacks: before the analysis, all but the above.
        if name.startswith("__"):
            raise AttributeError(name)
        self.build()  # waits for another thread's build; returns at once within this one's
        return object.__getattribute__(self, name)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.is_built:
            if scope["type"] != "http" or not self._lazy_path_regex.match(get_route_path(scope)):
                return Match.NONE, {}
            self.build()
        return super().matches(scope)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        self.build()
        return super().url_path_for(name, **path_params)


def api_router(**kwargs: Any) -> APIRouter:
    """The router of one route module: an `APIRouter` (same arguments) making `LazyAPIRoute`s,
    to be put into the application with `add_router`."""
    return APIRouter(route_class=LazyAPIRoute, **kwargs)


def add_router(
    app: FastAPI,
    router: APIRouter,
    *,
    prefix: str = "",
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> None:
    """Add the routes of `router` (from `api_router`) to `app` as `app.include_router(router,
    prefix=prefix, responses=responses)` would serve and document them, each route directly in
    the application so that FastAPI analyses it once."""
    for route in router.routes:
        if not isinstance(route, LazyAPIRoute):
            raise TypeError(
                f"{route!r} of {router!r}: add_router takes routers made by api_router, "
                "whose routes are all LazyAPIRoute"
            )
        path, endpoint, kwargs = route.lazy_args
        kwargs = dict(kwargs)
        kwargs["responses"] = {**(responses or {}), **(kwargs.get("responses") or {})}
        kwargs.pop("dependency_overrides_provider", None)  # the application's, as it includes it
        app.router.add_api_route(
            prefix + path, endpoint, route_class_override=LazyAPIRoute, **kwargs
        )
