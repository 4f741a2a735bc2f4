"""The web UI: a single-page application built from `ui/` at the repository root (TypeScript,
Preact, Vite) into `static/` beside this module, and served by the API server at `/`.

`make ui` builds it (`make install`, `make test` and `make run` do too); a wheel carries the
built files, so `pip install slipstream` serves a working UI without Node.js. `docs/ui.md` says
how it is built, served and tested.
"""

from __future__ import annotations

from slipstream.ui.serving import STATIC_DIR, mount_ui

__all__ = ["STATIC_DIR", "mount_ui"]
