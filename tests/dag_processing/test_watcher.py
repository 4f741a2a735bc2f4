"""Noticing changes in the DAGs folder: inotify and stat polling, and the processor's loop."""

from __future__ import annotations

import select
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from slipstream.dag_processing import DagProcessor
from slipstream.dag_processing.watcher import (
    FileWatcher,
    InotifyWatcher,
    PollWatcher,
    make_watcher,
)
from slipstream.db.engine import Database
from slipstream.db.store import dags as dag_store

from .conftest import good_dag

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


def readable(watcher: FileWatcher, timeout: float = 1.0) -> bool:
    fd = watcher.fileno()
    assert fd is not None
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready)


def test_poll_watcher_sees_dag_files_and_directories_only(tmp_path: Path) -> None:
    watcher = PollWatcher(0.1)
    watcher.watch([str(tmp_path)])
    assert not watcher.changed(False)
    (tmp_path / "notes.txt").write_text("not a DAG file")
    (tmp_path / ".hidden.py").write_text("")
    # the directory's mtime moved: a (cheap) false alarm is allowed, once
    watcher.changed(False)
    assert not watcher.changed(False)
    (tmp_path / "dag.py").write_text("# airflow dag")
    assert watcher.changed(False)
    assert not watcher.changed(False)
    sub = tmp_path / "team"
    sub.mkdir()
    assert watcher.changed(False)
    (sub / "nested.py").write_text("x = 1")
    assert watcher.changed(False)
    (sub / "nested.py").write_text("x = 22")
    assert watcher.changed(False)
    (sub / "nested.py").unlink()
    assert watcher.changed(False)


@linux_only
def test_inotify_watcher_wakes_on_dag_files_and_ignores_the_rest(tmp_path: Path) -> None:
    watcher = InotifyWatcher()
    try:
        watcher.watch([str(tmp_path)])
        assert not readable(watcher, 0.05)
        (tmp_path / "dag.py").write_text("# airflow dag")
        assert readable(watcher) and watcher.changed(True)
        assert not readable(watcher, 0.05)

        (tmp_path / "notes.txt").write_text("ignored")
        (tmp_path / ".dag.py.swp").write_text("ignored")
        (tmp_path / "__pycache__").mkdir()
        assert readable(watcher) and not watcher.changed(True)

        sub = tmp_path / "team"
        sub.mkdir()
        assert readable(watcher) and watcher.changed(True)
        watcher.watch([str(tmp_path)])  # the processor re-lists, and so watches the new folder
        (sub / "nested.py").write_text("x = 1")
        assert readable(watcher) and watcher.changed(True)

        (tmp_path / ".airflowignore").write_text("team/\n")
        assert readable(watcher) and watcher.changed(True)
    finally:
        watcher.close()


@linux_only
def test_inotify_watcher_follows_a_replaced_directory(tmp_path: Path) -> None:
    sub = tmp_path / "team"
    sub.mkdir()
    watcher = InotifyWatcher()
    try:
        watcher.watch([str(tmp_path)])
        sub.rmdir()
        assert readable(watcher) and watcher.changed(True)
        sub.mkdir()
        assert readable(watcher) and watcher.changed(True)
        watcher.watch([str(tmp_path)])
        (sub / "dag.py").write_text("x = 1")
        assert readable(watcher) and watcher.changed(True)
    finally:
        watcher.close()


def test_make_watcher_kinds() -> None:
    poll = make_watcher("poll", 2.0)
    assert isinstance(poll, PollWatcher) and poll.poll_interval == 2.0
    auto = make_watcher("auto", 1.0)
    try:
        expected = InotifyWatcher if sys.platform.startswith("linux") else PollWatcher
        assert isinstance(auto, expected)
    finally:
        auto.close()
    with pytest.raises(ValueError, match="file_watcher"):
        make_watcher("magic", 1.0)


@pytest.mark.parametrize("kind", ["inotify", "poll"])
def test_run_forever_parses_a_new_file_within_a_second(
    kind: str,
    sqlite_db: Database,
    processor_for: Callable[..., DagProcessor],
    dags_folder: Path,
) -> None:
    if kind == "inotify" and not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux's")
    processor = processor_for(
        sqlite_db,
        dag_processor__min_file_process_interval=3600,
        dag_processor__file_watcher=kind,
        dag_processor__file_poll_interval=0.1,
    )
    written_at: list[float] = []
    seen_after: list[float] = []

    def heartbeat() -> bool:
        # Runs in the processor's own loop: the test acts without a second thread.
        if not written_at:
            (dags_folder / "new.py").write_text(good_dag("new"))
            written_at.append(time.monotonic())
            return True
        with sqlite_db.session() as session:
            if dag_store.get_dag_model(session, "new") is not None:
                seen_after.append(time.monotonic() - written_at[0])
                return False
        return time.monotonic() - written_at[0] < 10

    processor.run_forever(heartbeat=heartbeat)
    assert seen_after and seen_after[0] < 1.5


def test_run_forever_stops_when_the_event_is_set(
    sqlite_db: Database, processor_for: Callable[..., DagProcessor]
) -> None:
    event = threading.Event()
    event.set()
    processor_for(sqlite_db).run_forever(event)


def test_max_rounds_parses_every_file_that_many_times(
    sqlite_db: Database, processor_for: Callable[..., DagProcessor], dags_folder: Path
) -> None:
    (dags_folder / "one.py").write_text(good_dag("one"))
    processor = processor_for(sqlite_db, dag_processor__min_file_process_interval=0)
    parsed: list[int] = []
    original = processor.run_once

    def counting_run_once(*, full: bool = False) -> object:
        summary = original(full=full)
        parsed.append(summary.files_parsed)
        return summary

    processor.run_once = counting_run_once  # type: ignore[method-assign]
    processor.run_forever(max_rounds=2)
    assert parsed == [1, 1]
