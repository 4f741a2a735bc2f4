"""The DAG processor: keeps the metadata database in step with the DAGs folder.

    processor = DagProcessor(db, config)
    processor.run_once()               # list, parse what changed or is due, store
    processor.run_forever(stop_event)  # ... and again whenever files change

Each round lists the DAG files (`find_dag_files`, with `.airflowignore` and safe mode), compares
each file's (mtime, size, inode) with what it last parsed, and parses the files that are new,
modified, or not parsed for `min_file_process_interval` seconds, each in a forked child with a
timeout and a memory limit (`ParsePool`). Results are stored in one transaction per batch
(`collection.save_results`); DAGs whose file disappeared are marked stale. Between rounds it
sleeps on the file watcher (inotify, or a stat scan where that is unavailable) and a wake-up
pipe, so an idle processor uses no CPU and a saved file is parsed within a fraction of a second.

The processor is single-threaded by design: it forks, and forking is only safe from a process
with one thread. Stop it from a signal handler or another thread with `stop()`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import select
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from slipstream.dag_processing.collection import SaveStats, reconcile_files, save_results
from slipstream.dag_processing.forkers import Forker
from slipstream.dag_processing.parse_pool import ParseJob, ParsePool
from slipstream.dag_processing.parse_result import FileResult
from slipstream.dag_processing.settings import ProcessorSettings
from slipstream.dag_processing.watcher import FileWatcher, PollWatcher, WatcherError, make_watcher

if TYPE_CHECKING:
    from slipstream.db.engine import Database

log = logging.getLogger(__name__)

BATCH_FILES = 50  # results stored per transaction at most
BATCH_SECONDS = 1.0  # ... and results wait at most this long for the rest of their batch
MAX_IDLE_WAIT_S = 1.0  # a stop_event set without stop() is noticed within this time
ALIGN_FRACTION = 0.25  # a round also parses files due within this part of the interval

FileState = tuple[int, int, int]  # (mtime_ns, size, inode)


class StopEvent(Protocol):
    def is_set(self) -> bool: ...


@dataclass
class ParseSummary:
    """What one round did."""

    files_listed: int = 0
    files_parsed: int = 0
    files_removed: int = 0
    dags_saved: int = 0
    new_versions: int = 0
    stale_dags: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    """Files that failed this round: path -> first line of the error."""
    duration_s: float = 0.0

    @property
    def import_errors(self) -> int:
        return len(self.errors)

    def add(self, stats: SaveStats) -> None:
        self.dags_saved += stats.dags_saved
        self.new_versions += stats.new_versions
        self.stale_dags += stats.stale
        self.errors.update(stats.errors)


@dataclass(frozen=True)
class _Listed:
    state: FileState
    root: str | None


class DagProcessor:
    """Parses the DAGs folder into the metadata database (see the module docs).

    `config` is a `slipstream.config.Config`; `clock` a `slipstream.core.clock.Clock` (its
    `now()` stamps rows and decides next runs) or a zero-argument callable returning an aware
    datetime. `dags_folder` overrides `core.dags_folder`. `forker` starts the parsing children
    (default: this process forks them, and imports what they need first).
    """

    def __init__(
        self,
        db: Database,
        config: Any,
        clock: Any = None,
        *,
        dags_folder: str | os.PathLike[str] | None = None,
        settings: ProcessorSettings | None = None,
        forker: Forker | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or ProcessorSettings.from_config(config, dags_folder=dags_folder)
        self._now = _clock_function(clock)
        self._pool = ParsePool(
            processes=self.settings.parsing_processes,
            timeout_s=self.settings.import_timeout_s,
            memory_limit_mb=self.settings.memory_limit_mb,
            forker=forker,
        )
        self._known: dict[str, _Listed] = {}
        self._parsed_at: dict[str, float] = {}  # monotonic time of each file's last parse
        self._hashes: dict[str, dict[str, str]] = {}  # file -> {dag_id: hash} stored last
        self._listed_at = -math.inf
        self._reconciled = False
        self._stopping = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._watcher: FileWatcher | None = None
        self._heartbeat: Callable[[], bool] | None = None
        self._stop_event: StopEvent | None = None
        if forker is None:
            warm_up()

    # --- control ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask `run_forever` (and a running parse) to end soon. Safe in a signal handler."""
        self._stopping = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def close(self) -> None:
        """Release the wake-up pipe, the watcher and the forker."""
        self._pool.forker.close()
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    # --- rounds ------------------------------------------------------------------------------

    def run_once(self, *, full: bool = False) -> ParseSummary:
        """List the files, parse the new, modified and due ones (all with `full`), store them."""
        started = time.monotonic()
        listing = self._list_files()
        removed = set(self._known) - set(listing)
        due = [path for path in listing if full or self._is_due(path, listing[path], started)]
        if due:  # files falling due soon come along, so the periodic parses share one round
            soon = started + self.settings.min_file_process_interval_s * ALIGN_FRACTION
            due += [p for p in listing if p not in due and self._is_due(p, listing[p], soon)]
        summary = ParseSummary(files_listed=len(listing), files_removed=len(removed))
        parsed = self._parse_and_store(due, listing, summary)
        if removed or not self._reconciled:
            summary.stale_dags += self.db.run_write(reconcile_files, list(listing))
            self._reconciled = True
        # Files left unparsed (stop requested) keep their old state, so they count as changed.
        self._known = {
            path: listed if path in parsed else self._known.get(path, _Listed((-1, -1, -1), None))
            for path, listed in listing.items()
        }
        for path in removed:
            self._parsed_at.pop(path, None)
            self._hashes.pop(path, None)
        summary.duration_s = time.monotonic() - started
        if summary.files_parsed or removed:
            log.info(
                "Parsed %d of %d DAG files in %.2f s: %d DAGs, %d new versions, %d import "
                "errors, %d stale",
                summary.files_parsed, summary.files_listed, summary.duration_s,
                summary.dags_saved, summary.new_versions, summary.import_errors,
                summary.stale_dags,
            )  # fmt: skip
        return summary

    def run_forever(
        self,
        stop_event: StopEvent | None = None,
        *,
        max_rounds: int | None = None,
        heartbeat: Callable[[], bool] | None = None,
    ) -> None:
        """Parse, then wait for changes or the next due file, until stopped.

        With `max_rounds`, every file is parsed that many times (`min_file_process_interval`
        apart), as `dag-processor --num-runs` does, then it returns. `heartbeat` is called
        about once a second and after each stored batch (rate-limit it yourself); when it
        returns False the processor stops.
        """
        self._heartbeat = heartbeat
        self._stop_event = stop_event
        stopped = self._should_stop

        self._watcher = self._watcher or make_watcher(
            self.settings.file_watcher, self.settings.poll_interval_s
        )
        rounds = 0
        try:
            while not stopped():
                if max_rounds is not None:
                    self.run_once(full=True)
                    rounds += 1
                    if rounds >= max_rounds:
                        return
                    self._wait(stopped, self.settings.min_file_process_interval_s, watch=False)
                else:
                    self.run_once()
                    self._wait(stopped, self._seconds_to_next_due(), watch=True)
        finally:
            self._heartbeat = None
            self._stop_event = None
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None

    def _should_stop(self) -> bool:
        event = self._stop_event
        return self._stopping or (event is not None and event.is_set())

    def _beat(self) -> None:
        if self._heartbeat is not None and self._heartbeat() is False:
            log.info("The DAG processor's job was ended elsewhere; stopping")
            self.stop()

    # --- listing -----------------------------------------------------------------------------

    def _roots(self) -> list[str]:
        from slipstream.dagfiles.finder import EXAMPLE_DAGS_FOLDER

        roots = [str(self.settings.dags_folder)]
        if self.settings.load_examples:
            roots.append(str(EXAMPLE_DAGS_FOLDER))
        return roots

    def _list_files(self) -> dict[str, _Listed]:
        from slipstream.dagfiles.finder import EXAMPLE_DAGS_FOLDER, find_dag_files

        if self._watcher is not None:
            self._watch()
        settings = self.settings
        examples = str(EXAMPLE_DAGS_FOLDER) + os.sep
        folder = str(settings.dags_folder)
        listing: dict[str, _Listed] = {}
        for found in find_dag_files(
            settings.dags_folder,
            ignore_file_syntax=settings.ignore_file_syntax,
            safe_mode=settings.safe_mode,
            include_examples=settings.load_examples,
        ):
            path = os.path.abspath(found)
            try:
                st = os.stat(path)
            except OSError:
                continue
            root = str(EXAMPLE_DAGS_FOLDER) if path.startswith(examples) else folder
            listing[path] = _Listed((st.st_mtime_ns, st.st_size, st.st_ino), root)
        self._listed_at = time.monotonic()
        return listing

    def _watch(self) -> None:
        assert self._watcher is not None
        try:
            self._watcher.watch(self._roots())
        except WatcherError as err:
            log.warning("%s; watching the DAGs folder by polling instead", err)
            self._watcher.close()
            self._watcher = PollWatcher(self.settings.poll_interval_s)
            self._watcher.watch(self._roots())

    def _is_due(self, path: str, listed: _Listed, now: float) -> bool:
        known = self._known.get(path)
        if known is None or known.state != listed.state:
            return True
        last = self._parsed_at.get(path, -math.inf)
        return now - last >= self.settings.min_file_process_interval_s

    def _seconds_to_next_due(self) -> float:
        now = time.monotonic()
        interval = self.settings.min_file_process_interval_s
        next_parse = min((t + interval for t in self._parsed_at.values()), default=math.inf)
        next_listing = self._listed_at + self.settings.refresh_interval_s
        return max(0.0, min(next_parse, next_listing) - now)

    # --- parsing and storing --------------------------------------------------------------------

    def _parse_and_store(
        self, due: list[str], listing: dict[str, _Listed], summary: ParseSummary
    ) -> set[str]:
        if not due:
            return set()
        jobs = [
            ParseJob(path, listing[path].root, tuple(self._hashes.get(path, {}).items()))
            for path in due
        ]
        present = list(listing)
        parsed: set[str] = set()
        batch: list[FileResult] = []
        batch_started = 0.0

        def flush(*, when_old: bool) -> None:
            nonlocal batch
            old = time.monotonic() - batch_started >= BATCH_SECONDS
            if batch and (not when_old or old or len(batch) >= BATCH_FILES):
                self._store(batch, present, summary)
                batch = []

        def idle() -> None:
            flush(when_old=True)
            self._beat()

        results = self._pool.parse(
            jobs, wake_fd=self._wake_r, should_stop=self._should_stop, idle=idle
        )
        for result in results:
            parsed.add(result.path)
            self._parsed_at[result.path] = time.monotonic()
            _log_result(result)
            if not batch:
                batch_started = time.monotonic()
            batch.append(result)
            flush(when_old=True)
        flush(when_old=False)
        summary.files_parsed += len(parsed)
        return parsed

    def _store(self, batch: list[FileResult], present: list[str], summary: ParseSummary) -> None:
        stats: SaveStats = self.db.run_write(
            save_results,
            batch,
            now=self._now(),
            present_files=present,
            paused_at_creation=self.settings.paused_at_creation,
        )
        summary.add(stats)
        for result in batch:
            if result.loaded:
                self._hashes[result.path] = stats.stored.get(result.path, {})
        for path in stats.reparse:  # stored rows moved on: parse it again, data and all
            self._hashes.pop(path, None)
            self._parsed_at[path] = -math.inf
        self._beat()

    # --- waiting -------------------------------------------------------------------------------

    def _wait(self, stopped: Callable[[], bool], seconds: float, *, watch: bool) -> None:
        """Sleep up to `seconds`; return early on stop or (with `watch`) on a file change."""
        deadline = time.monotonic() + seconds
        watcher = self._watcher if watch else None
        while not stopped():
            self._beat()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            timeout = min(remaining, MAX_IDLE_WAIT_S)
            fds = [self._wake_r]
            watch_fd = watcher.fileno() if watcher is not None else None
            if watcher is not None and watcher.poll_interval is not None:
                timeout = min(timeout, watcher.poll_interval)
            if watch_fd is not None:
                fds.append(watch_fd)
            ready, _, _ = select.select(fds, [], [], timeout)
            if self._wake_r in ready:
                with contextlib.suppress(OSError):
                    os.read(self._wake_r, 4096)
            if watcher is not None and watcher.changed(watch_fd is not None and watch_fd in ready):
                return


def warm_up() -> None:
    """Import what DAG files use and parse a sample file, once, so every forked parsing child
    starts with it loaded and its code warm (`parse_worker.warm_up_parsing`)."""
    import importlib

    from slipstream.compat.airflow import install

    install()
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # an optional dependency missing: the child imports it or fails
            log.debug("Cannot preload %s", name, exc_info=True)
    from slipstream.dag_processing.parse_worker import warm_up_parsing
    from slipstream.dagfiles.warm_up import exercise_sdk

    exercise_sdk()
    warm_up_parsing()


WARM_MODULES = (
    "pendulum",
    "croniter",
    "slipstream.dagfiles.bag",
    "slipstream.sdk.dag_definition",
    "slipstream.sdk.baseoperator",
    "slipstream.sdk.assets",
    "slipstream.sdk.decorators",
    "slipstream.sdk.decorators.python",
    "slipstream.sdk.edges",
    "slipstream.sdk.mapping",
    "slipstream.sdk.params",
    "slipstream.sdk.taskgroup",
    "slipstream.sdk.xcom_arg",
    "slipstream.sdk.operators.bash",
    "slipstream.sdk.operators.empty",
    "slipstream.sdk.operators.python",
    "slipstream.sdk.sensors.base",
    "slipstream.serialization",
    "slipstream.timetables.assets",
    "slipstream.timetables.factory",
    "slipstream.timetables.simple",
    "slipstream.timetables.trigger",
    "slipstream.timetables._cron",
    "airflow.sdk",
    "airflow.providers.standard.operators.empty",
    "airflow.providers.standard.operators.python",
    "airflow.providers.standard.operators.bash",
)
"""Modules most DAG files need: the SDK's authoring names, `airflow` aliases, schedule math."""


def _log_result(result: FileResult) -> None:
    for warning in result.warnings:
        log.warning("%s", warning)
    if result.error is not None:
        log.warning("Import error in %s: %s", result.path, result.error.message)


def _clock_function(clock: Any) -> Callable[[], dt.datetime]:
    if clock is None:
        return lambda: dt.datetime.now(dt.UTC)
    now = getattr(clock, "now", None)
    if callable(now):
        return now
    if callable(clock):
        return clock
    raise TypeError(f"clock must have now() or be callable, not {clock!r}")
