"""Noticing that something changed in the DAGs folder, at (almost) no cost while nothing does.

Two watchers, one interface (`FileWatcher`):

- `InotifyWatcher` (Linux): the kernel reports changes in the folder's directories on a file
  descriptor that the processor waits on with `select`, together with its wake-up pipe. Idle, it
  costs nothing; a saved file is noticed within ~0.1 s. It is our own small ctypes binding: the
  `watchfiles` library would do the same from a background thread, and the processor forks a
  child per parsed file, which must happen in a single-threaded process (a fork copies only the
  forking thread; Python 3.12+ warns about forking a multi-threaded process).
- `PollWatcher` (anywhere, and where inotify cannot be had or runs out of watches, e.g. network
  file systems, `fs.inotify.max_user_watches`): a stat scan every `file_poll_interval` seconds
  (default 1). It stats directories and `.py` / `.airflowignore` files only, never reads them.

A watcher only says "look now": the processor then lists the DAG files again and compares
their (mtime, size, inode) with what it parsed, so a spurious wake-up costs one listing. Files
are never missed for long anyway: every `refresh_interval` / `min_file_process_interval` the
processor lists and re-parses regardless (a DAGs folder that does not exist yet is found then).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import struct
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

IGNORE_FILE = ".airflowignore"
SETTLE_S = 0.1  # after a change, wait this long for the rest of the burst (editors save in steps)


class WatcherError(OSError):
    """The watcher cannot keep watching (e.g. out of inotify watches)."""


class FileWatcher(Protocol):
    """What the processor needs from a watcher."""

    poll_interval: float | None
    """Call `changed(False)` at least this often (None: only when `fileno()` is readable)."""

    def fileno(self) -> int | None:
        """A descriptor that becomes readable on changes, or None."""

    def watch(self, roots: Sequence[str]) -> None:
        """Watch these folders (or files) from now on; call again after each listing."""

    def changed(self, readable: bool) -> bool:
        """Whether something relevant changed since the last call (`readable`: fileno was)."""

    def close(self) -> None: ...


def make_watcher(kind: str, poll_interval: float) -> FileWatcher:
    """`kind` is `auto` (inotify where possible), `inotify` or `poll`."""
    kind = (kind or "auto").strip().lower()
    if kind not in ("auto", "inotify", "poll"):
        raise ValueError(f"unknown [dag_processor] file_watcher {kind!r}: auto, inotify or poll")
    if kind != "poll":
        try:
            return InotifyWatcher()
        except OSError as err:
            if kind == "inotify":
                raise
            log.info("File-system events unavailable (%s); polling every %g s", err, poll_interval)
    return PollWatcher(poll_interval)


# --- walking the folder -------------------------------------------------------------------------


def _skipped(name: str) -> bool:
    return name == "__pycache__" or (name.startswith(".") and name != IGNORE_FILE)


def _directories(roots: Sequence[str]) -> Iterator[tuple[str, list[os.DirEntry[str]]]]:
    """Every directory under the roots (symlinks followed once, hidden ones and __pycache__
    skipped) with its entries. A root that is a file yields its own directory."""
    visited: set[str] = set()
    stack = []
    for root in roots:
        stack.append(root if os.path.isdir(root) else os.path.dirname(root) or ".")
    while stack:
        directory = stack.pop()
        real = os.path.realpath(directory)
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(directory) as scan:
                entries = list(scan)
        except OSError:
            continue
        yield directory, entries
        for entry in entries:
            with contextlib.suppress(OSError):
                if not _skipped(entry.name) and entry.is_dir():
                    stack.append(entry.path)


# --- polling ------------------------------------------------------------------------------------


class PollWatcher:
    """Stat scans every `poll_interval` seconds."""

    def __init__(self, poll_interval: float = 1.0) -> None:
        self.poll_interval: float | None = max(0.05, poll_interval)
        self._roots: list[str] = []
        self._snapshot: list[tuple[str, int, int, int]] = []

    def fileno(self) -> int | None:
        return None

    def watch(self, roots: Sequence[str]) -> None:
        self._roots = list(roots)
        self._snapshot = self._scan()

    def changed(self, readable: bool) -> bool:
        snapshot = self._scan()
        if snapshot == self._snapshot:
            return False
        self._snapshot = snapshot
        return True

    def close(self) -> None:
        pass

    def _scan(self) -> list[tuple[str, int, int, int]]:
        found: list[tuple[str, int, int, int]] = []
        for directory, entries in _directories(self._roots):
            with contextlib.suppress(OSError):
                found.append((directory, os.stat(directory).st_mtime_ns, 0, 0))
            for entry in entries:
                if _skipped(entry.name) or not (
                    entry.name.endswith(".py") or entry.name == IGNORE_FILE
                ):
                    continue
                with contextlib.suppress(OSError):
                    st = entry.stat()
                    found.append((entry.path, st.st_mtime_ns, st.st_size, st.st_ino))
        return found


# --- inotify ------------------------------------------------------------------------------------

IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_ISDIR = 0x40000000

_MASK = (
    IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
)
_SELF_EVENTS = IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF
_EVENT = struct.Struct("iIII")


class InotifyWatcher:
    """Linux inotify on every directory of the folder, read without a thread."""

    poll_interval: float | None = None

    def __init__(self) -> None:
        if not sys.platform.startswith("linux"):
            raise OSError(errno.ENOSYS, "inotify is only available on Linux")
        self._libc = ctypes.CDLL(None, use_errno=True)
        fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"inotify_init1: {os.strerror(code)}")
        self._fd: int = fd
        self._paths: dict[str, int] = {}  # directory -> watch descriptor
        self._wds: dict[int, str] = {}

    def fileno(self) -> int | None:
        return self._fd

    def watch(self, roots: Sequence[str]) -> None:
        wanted = [directory for directory, _ in _directories(roots)]
        for directory in set(self._paths) - set(wanted):
            wd = self._paths.pop(directory)
            self._wds.pop(wd, None)
            self._libc.inotify_rm_watch(self._fd, wd)
        for directory in wanted:
            if directory not in self._paths:
                self._add(directory)

    def _add(self, directory: str) -> None:
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(directory), _MASK)
        if wd >= 0:
            self._paths[directory] = wd
            self._wds[wd] = directory
            return
        code = ctypes.get_errno()
        if code in (errno.ENOENT, errno.ENOTDIR, errno.EACCES):  # gone, or not ours to watch
            return
        raise WatcherError(code, f"cannot watch {directory}: {os.strerror(code)}")

    def changed(self, readable: bool) -> bool:
        if not readable or not self._consume():
            return False
        time.sleep(SETTLE_S)
        self._consume()
        return True

    def _consume(self) -> bool:
        """Read every pending event; whether any concerns DAG files or directories."""
        relevant = False
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return relevant
            if not data:
                return relevant
            for wd, mask, name in _events(data):
                if mask & IN_IGNORED:  # the kernel dropped the watch (directory gone)
                    directory = self._wds.pop(wd, None)
                    if directory is not None:
                        self._paths.pop(directory, None)
                relevant = relevant or _is_relevant(mask, name)

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


def _events(data: bytes) -> Iterator[tuple[int, int, str]]:
    offset = 0
    while offset + _EVENT.size <= len(data):
        wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
        offset += _EVENT.size
        raw = data[offset : offset + length].split(b"\0", 1)[0]
        offset += length
        yield wd, mask, os.fsdecode(raw)


def _is_relevant(mask: int, name: str) -> bool:
    if mask & _SELF_EVENTS:
        return True
    if not name or _skipped(name):
        return False
    return bool(mask & IN_ISDIR) or name.endswith(".py") or name == IGNORE_FILE
