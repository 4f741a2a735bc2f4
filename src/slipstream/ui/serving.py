"""Serving the built UI from the API server, without a CDN or any other outside request.

`mount_ui(app)` puts a middleware in front of the application. It answers GET and HEAD requests
for paths the application does not serve (not under `/api`, `/auth`, `/execution` or `/ui`,
and matching none of its routes): with the file of the build at that path, else with
`index.html`, so that the UI's own routes (`/login`, `/?tag=etl`, `/dags/<id>`) load the
application, which picks the page. Everything else goes to the application untouched.

- Files under `static/` have content hashes in their names (Vite): cached for a year as
  immutable. Everything else (`index.html`, the icon) is revalidated on every use (ETag).
- The build writes `name.gz` beside each text file; it is sent, with `Content-Encoding: gzip`,
  to clients that accept gzip.
- Responses carry a Content-Security-Policy allowing this origin only, so a stray reference to
  another host fails in the browser instead of quietly depending on it.
- Without a build (`static/index.html` missing), UI paths answer 503 with a page saying to run
  `make ui`; the API keeps working.
"""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from pathlib import Path, PurePosixPath

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["STATIC_DIR", "BuiltFiles", "UiMiddleware", "mount_ui"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Paths the API server keeps for itself, whatever routes it has now.
API_PREFIXES = ("/api", "/auth", "/execution", "/ui")
ASSETS_DIR = "static"  # Vite's `assetsDir`: content-hashed file names
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Files browsers ask for on their own: a 404 when the build has none, not the application.
NOT_APPLICATION = frozenset({"favicon.ico", "robots.txt", "apple-touch-icon.png"})

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slipstream: web UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto">
<h1>The web UI is not built</h1>
<p>This Slipstream runs from a source checkout whose UI has not been built yet. Build it with
<code>make ui</code> (it needs Node.js 20.19 or newer and npm), then reload this
page.</p>
<p>The REST API works without it, under <code>/api/v2</code>.</p>
</body></html>
"""


def mount_ui(app: Starlette, static_dir: Path | None = None) -> None:
    """Serve the UI built into `static_dir` (default: `STATIC_DIR`) at `/` of `app`, a FastAPI
    (or Starlette) application that has not started yet."""
    app.add_middleware(UiMiddleware, static_dir=static_dir or STATIC_DIR)


class UiMiddleware:
    """Answers the UI's requests (see the module docstring); passes on every other."""

    def __init__(self, app: ASGIApp, static_dir: Path) -> None:
        self.app = app
        self.files = BuiltFiles(static_dir)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and _is_ui(scope):
            response = self.files.response(scope["path"], Headers(scope=scope))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _is_ui(scope: Scope) -> bool:
    path: str = scope["path"]
    if any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES):
        return False
    # A route of the application (its docs, say) wins, even one for another method.
    routes = getattr(scope.get("app"), "routes", ())
    return all(route.matches(scope)[0] == Match.NONE for route in routes)


class BuiltFiles:
    """The files of one build and how each is answered."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def response(self, path: str, request_headers: Headers) -> Response:
        index = self.root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT_PAGE, 503, headers={"Cache-Control": "no-store"})
        name = path.lstrip("/")
        found = self.find(name)
        if found is None:
            if name.startswith(ASSETS_DIR + "/") or name in NOT_APPLICATION:
                return PlainTextResponse("Not Found", 404, headers={"Cache-Control": "no-store"})
            found, name = index, "index.html"
        immutable = name.startswith(ASSETS_DIR + "/")
        return _file_response(found, request_headers, IMMUTABLE if immutable else REVALIDATE)

    def find(self, name: str) -> Path | None:
        """The file of the build at `name` (a relative URL path), if there is one."""
        parts = PurePosixPath(name).parts
        if not parts or any(part in ("..", ".") or "\\" in part for part in parts):
            return None
        candidate = self.root.joinpath(*parts)
        try:
            if not candidate.resolve().is_relative_to(self.root) or not candidate.is_file():
                return None
        except (OSError, ValueError):
            return None
        return candidate


def _file_response(file: Path, request_headers: Headers, cache_control: str) -> Response:
    packed = file.with_name(file.name + ".gz")
    headers = {"Cache-Control": cache_control, **SECURITY_HEADERS}
    send = file
    if packed.is_file():
        headers["Vary"] = "Accept-Encoding"
        if _accepts_gzip(request_headers.get("accept-encoding", "")):
            send = packed
            headers["Content-Encoding"] = "gzip"
    stat = send.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers["ETag"] = etag
    if etag in _etags(request_headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    body = _read(str(send), stat.st_mtime_ns, stat.st_size)
    return Response(body, media_type=_media_type(file), headers=headers)


@lru_cache(maxsize=256)
def _read(path: str, mtime_ns: int, size: int) -> bytes:
    """A file's bytes, read again only when it changed (a new build)."""
    with open(path, "rb") as handle:
        return handle.read()


def _media_type(file: Path) -> str:
    known = MEDIA_TYPES.get(file.suffix.lower())
    return known or mimetypes.guess_type(file.name)[0] or "application/octet-stream"


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        quality = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
        try:
            return float(quality) > 0
        except ValueError:
            return False
    return False


def _etags(if_none_match: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in if_none_match.split(",") if tag.strip()}
