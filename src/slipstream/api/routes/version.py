"""`GET /api/v2/version`: which Slipstream serves the API (no login needed).

`version` is Slipstream's own version (the API it serves is Airflow 3's stable REST API v2);
`git_version` is the commit it was built from: the `git_version` file shipped in the package,
else the commit checked out when Slipstream runs from a git working copy, else null.
"""

from __future__ import annotations

import functools
from pathlib import Path

from slipstream import __version__
from slipstream.api.routing import api_router
from slipstream.api.schemas.monitor import VersionInfo

router = api_router(tags=["Version"])

PACKAGE_DIR = Path(__file__).resolve().parents[2]


@router.get("/version")
def get_version() -> VersionInfo:
    """Get version information."""
    return VersionInfo(version=__version__, git_version=git_version())


@functools.cache
def git_version() -> str | None:
    """The commit Slipstream was built or checked out from, read once (no `git` needed)."""
    shipped = _read(PACKAGE_DIR / "git_version")
    if shipped:
        return shipped
    checkout = PACKAGE_DIR.parents[1]  # <checkout>/src/slipstream, not site-packages
    if PACKAGE_DIR.parent.name == "src" and (checkout / ".git").is_dir():
        return _checked_out_commit(checkout / ".git")
    return None


def _checked_out_commit(git_dir: Path) -> str | None:
    head = _read(git_dir / "HEAD")
    if not head or not head.startswith("ref: "):
        return head or None  # a detached HEAD holds the commit itself
    ref = head.removeprefix("ref: ")
    loose = _read(git_dir / ref)
    if loose:
        return loose
    for line in (_read(git_dir / "packed-refs") or "").splitlines():
        commit, _, name = line.partition(" ")
        if name == ref:
            return commit
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
