"""Connecting to the metadata database: SQLite (WAL, one writer at a time, waiting instead of
failing) or PostgreSQL, with sessions for reading and transactions for writing."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 60_000
WRITE_OPTION = "slipstream_write"


class Database:
    """One metadata database. Create it once per process (after a fork, call `after_fork`)."""

    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.engine = _create_engine(url, pool_size=pool_size, echo=echo)
        self._writer = self.engine.execution_options(**{WRITE_OPTION: True})
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)
        self._pid = os.getpid()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self._read_sessions() as session:
            yield session

    @contextlib.contextmanager
    def begin(self) -> Iterator[Session]:
        """A write transaction, committed on success and rolled back on error.

        On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`), so two writers queue
        behind each other rather than one failing with "database is locked" half-way through.
        """
        with self._write_sessions() as session, session.begin():
            yield session

    def run_write(self, fn: Any, *args: Any, attempts: int = 5, **kwargs: Any) -> Any:
        """Call `fn(session, ...)` in a write transaction, retrying if the lock wait timed out."""
        for attempt in range(1, attempts + 1):
            try:
                with self.begin() as session:
                    return fn(session, *args, **kwargs)
            except OperationalError as err:
                if not _is_lock_error(err) or attempt == attempts:
                    raise
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    def after_fork(self) -> None:
        """Drop connections inherited from the parent process (never use them in the child)."""
        if os.getpid() != self._pid:
            self.engine.dispose(close=False)
            self._pid = os.getpid()

    def dispose(self) -> None:
        self.engine.dispose()


def _create_engine(url: str, *, pool_size: int, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, echo=echo
        )
    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _is_lock_error(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return "database is locked" in text or "database is busy" in text
