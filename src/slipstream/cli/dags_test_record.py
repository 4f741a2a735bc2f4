"""Recording `slipstream dags test` runs in the metadata database, so that `dags list-runs`,
`tasks states-for-dag-run` and the API see them like runs the scheduler ran.

Before a run starts (`DbRecorder.run_starting`, called by the runner for the DAG's run and for
each run it triggers inline): the database is open and at this Slipstream's schema (a SQLite file
that does not exist yet is created and migrated); the DAG is known to it (a DAG it has never seen
is stored the way the DAG processor stores it); and no queued or running run holds the run id or
logical date, else the command stops before running anything. While the run goes on, each try
logs to its file under `[logging] base_log_folder`. After it (`record`): the run, the runs it
triggered and an audit entry (`cli_dags_test`) are written in one transaction.

On SQLite this goes through `sqlite3` (`store.plain_sql`): importing SQLAlchemy would cost more
than the whole command. Only creating the database and storing a new DAG import it. Other
databases (PostgreSQL) go through SQLAlchemy and are never migrated here.

A run is linked to the newest stored version of its DAG, as Airflow's `dags test` does: the
DAG processor stores changed DAGs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from slipstream.db.store.plain_sql import PlainConnection, SqliteConnection, head_revision
from slipstream.db.store.test_runs import (
    RecordedAssetEvent,
    RecordedRun,
    RecordedTI,
    RecordedTry,
    RecordedXCom,
)

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.db.engine import Database
    from slipstream.runtime.dag_test import DagTestResult
    from slipstream.runtime.task_instance import DagRunInfo

log = logging.getLogger("slipstream.dag_test")

AUDIT_EVENT = "cli_dags_test"
NO_DB_HINT = "(`--no-db` runs the DAG without recording it)"


class RecordingError(click.ClickException):
    """The run cannot be (or was not) recorded; the message says why and what to do."""


class DbRecorder:
    """Records the runs of one `dags test` command. Open with `open_recorder`, then `close`."""

    def __init__(self, config: Config, access: _Access, *, dags_folder: Path, owner: str) -> None:
        self.config = config
        self.access = access
        self.dags_folder = dags_folder
        self.owner = owner
        self._versions: dict[str, int | None] = {}
        self._log_folder = Path(config.getpath("logging", "base_log_folder"))

    @property
    def log_folder(self) -> Path | None:
        return self._log_folder

    def run_starting(self, dag: Any, dag_run: DagRunInfo) -> None:
        """Make sure the run can be recorded: the DAG is stored, nothing is in the way."""
        from slipstream.db.store.test_runs import latest_version_id, run_in_the_way

        with self._errors("prepare"):
            with self.access.read() as conn:
                version = latest_version_id(conn, dag.dag_id)
            if version is None:
                version = self._store_dag(dag)
            self._versions[dag.dag_id] = version
            with self.access.read() as conn:
                reason = run_in_the_way(conn, dag.dag_id, dag_run.run_id, dag_run.logical_date)
        if reason is not None:
            raise RecordingError(f"{reason} {NO_DB_HINT}")

    def record(self, result: DagTestResult) -> None:
        """Write the run, the runs it triggered inline and the audit entry, in one transaction."""
        import socket

        from slipstream.db.store.test_runs import record_audit, record_run

        runs = [*result.triggered, result]
        hostname, pid, now = socket.gethostname(), os.getpid(), dt.datetime.now(dt.UTC)
        with self._errors("write"), self.access.write() as conn:
            for run in runs:
                record_run(conn, self._recorded(run), hostname=hostname, pid=pid, now=now)
            record_audit(
                conn,
                AUDIT_EVENT,
                owner=self.owner,
                dag_id=result.dag_id,
                run_id=result.run_id,
                logical_date=result.logical_date,
                extra=_audit_extra(result),
                now=now,
            )

    def close(self) -> None:
        self.access.close()

    # --- storing a DAG the database does not know ---------------------------------------------

    def _store_dag(self, dag: Any) -> int | None:
        """Parse the DAG's file and save what it defines, as the DAG processor does; returns the
        DAG's version (None when it cannot be serialized: it then gets a bare `dag` row)."""
        from slipstream.dag_processing.collection import save_results
        from slipstream.dag_processing.parse_worker import parse_file
        from slipstream.db.store.test_runs import ensure_dag_row, latest_version_id

        path = os.path.abspath(dag.fileloc)
        root = self.dags_folder if self.dags_folder.is_dir() else self.dags_folder.parent
        log.info("Storing DAG %s (new to the metadata database) from %s", dag.dag_id, path)
        parsed = parse_file(path, str(root.resolve()))
        paused = self.config.getboolean("core", "dags_are_paused_at_creation")
        db = self.access.database()
        with db.begin() as session:
            save_results(
                session, [parsed], now=_utcnow(), present_files=[path], paused_at_creation=paused
            )
        with self.access.write() as conn:
            version = latest_version_id(conn, dag.dag_id)
            if version is None:
                problem = parsed.error.message if parsed.error else "it was not stored"
                log.warning("DAG %s has no stored version (%s)", dag.dag_id, problem)
                owners = str(getattr(dag, "owner", None) or "airflow")
                ensure_dag_row(conn, dag.dag_id, fileloc=path, is_paused=paused, owners=owners)
        return version

    # --- from the runner's result to rows -----------------------------------------------------

    def _recorded(self, result: DagTestResult) -> RecordedRun:
        dag, dag_run, weights = result.dag, result.dag_run, result.priority_weights
        assert dag is not None and dag_run is not None, "the result of a run, not of one task"
        return RecordedRun(
            dag_id=result.dag_id,
            run_id=result.run_id,
            state=result.state.value,
            run_after=dag_run.run_after or dag_run.logical_date,
            logical_date=dag_run.logical_date,
            data_interval_start=dag_run.data_interval_start,
            data_interval_end=dag_run.data_interval_end,
            start_date=dag_run.start_date,
            end_date=dag_run.end_date,
            conf=dict(dag_run.conf or {}),
            run_type=dag_run.run_type,
            triggered_by=dag_run.triggered_by,
            serialized_dag_id=self._versions.get(result.dag_id),
            tis=[_recorded_ti(r, dag.task_dict[r.task_id], weights) for r in result.tis],
            xcoms=[
                RecordedXCom(x.task_id, x.map_index, x.key, x.value, x.timestamp)
                for x in result.xcoms
            ],
            asset_events=[_recorded_event(e) for e in result.asset_events],
        )

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except RecordingError:
            raise
        except Exception as err:
            raise RecordingError(
                f"Could not {doing} the run ({self.access.where}): {_reason(err)} {NO_DB_HINT}"
            ) from err


def open_recorder(config: Config, *, dags_folder: Path, owner: str) -> DbRecorder:
    """The recorder on the configured metadata database, ready (or a `RecordingError`)."""
    from slipstream.db.store.plain_sql import sqlite_file

    url = config.get("database", "sql_alchemy_conn")
    path = sqlite_file(url)
    access: _Access = _SqliteAccess(path, config) if path else _SessionAccess(url, config)
    try:
        access.open()
    except RecordingError:
        access.close()
        raise
    except Exception as err:
        access.close()
        raise RecordingError(
            f"Cannot use the metadata database ({access.where}): {_reason(err)} {NO_DB_HINT}"
        ) from err
    return DbRecorder(config, access, dags_folder=dags_folder, owner=owner)


# --- reaching the database ----------------------------------------------------------------------


class _Access:
    """Connections to the metadata database: `read()` and `write()` give a `PlainConnection`;
    `database()` the SQLAlchemy `Database` (made on first use)."""

    where = "?"

    def __init__(self, config: Config) -> None:
        self.config = config
        self._db: Database | None = None

    def open(self) -> None:
        raise NotImplementedError

    def read(self) -> contextlib.AbstractContextManager[PlainConnection]:
        raise NotImplementedError

    def write(self) -> contextlib.AbstractContextManager[PlainConnection]:
        raise NotImplementedError

    def database(self) -> Database:
        if self._db is None:
            from slipstream.db.session import open_database

            self._db = open_database(self.config)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


class _SqliteAccess(_Access):
    """SQLite through `sqlite3`; creates and migrates a database file that does not exist."""

    def __init__(self, path: str, config: Config) -> None:
        super().__init__(config)
        self.path = path
        self.where = path
        self.conn: SqliteConnection | None = None

    def open(self) -> None:
        from slipstream.db.store.test_runs import schema_revision

        if not os.path.exists(self.path):
            self._migrate()
        self.conn = SqliteConnection(self.path)
        revision = schema_revision(self.conn)
        if revision is None:
            self._migrate()
            revision = schema_revision(self.conn)
        if revision != head_revision():
            raise RecordingError(
                f"The metadata database {self.path} is at schema revision {revision}, this "
                f"Slipstream needs {head_revision()}: run `slipstream db migrate` {NO_DB_HINT}"
            )
        with self.conn.write():
            pass  # can write (not read-only, not locked for good): found now, not after the run

    def _migrate(self) -> None:
        from slipstream.config import ensure_home
        from slipstream.db import migrate

        ensure_home(self.config)
        log.info("Creating the metadata database %s", self.path)
        alembic_log = logging.getLogger("alembic")
        level = alembic_log.level
        alembic_log.setLevel(logging.WARNING)  # its INFO lines say nothing to a user here
        try:
            migrate.migrate(self.database())
        finally:
            alembic_log.setLevel(level)

    @contextlib.contextmanager
    def read(self) -> Iterator[PlainConnection]:
        assert self.conn is not None
        yield self.conn

    @contextlib.contextmanager
    def write(self) -> Iterator[PlainConnection]:
        assert self.conn is not None
        with self.conn.write():
            yield self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        super().close()


class _SessionAccess(_Access):
    """Any other database (PostgreSQL) through SQLAlchemy; it must be migrated already."""

    def __init__(self, url: str, config: Config) -> None:
        from slipstream.config.masking import mask_url_password

        super().__init__(config)
        self.where = mask_url_password(url)

    def open(self) -> None:
        from slipstream.core.exceptions import AirflowException
        from slipstream.db.session import require_current_schema

        try:
            require_current_schema(self.database())
        except AirflowException as err:
            raise RecordingError(f"{err} {NO_DB_HINT}") from None

    @contextlib.contextmanager
    def read(self) -> Iterator[PlainConnection]:
        from slipstream.db.store.plain_sql import SessionConnection

        with self.database().session() as session:
            yield SessionConnection(session)

    @contextlib.contextmanager
    def write(self) -> Iterator[PlainConnection]:
        from slipstream.db.store.plain_sql import SessionConnection

        with self.database().begin() as session:
            yield SessionConnection(session)


# --- helpers ------------------------------------------------------------------------------------


def _recorded_ti(record: Any, task: Any, weights: dict[str, int]) -> RecordedTI:
    return RecordedTI(
        task_id=record.task_id,
        map_index=record.map_index,
        state=None if record.state is None else record.state.value,
        try_number=record.try_number,
        max_tries=int(getattr(task, "retries", 0) or 0),
        start_date=record.start_date,
        end_date=record.end_date,
        queue=str(getattr(task, "queue", None) or "default"),
        pool=str(getattr(task, "pool", None) or "default_pool"),
        pool_slots=int(getattr(task, "pool_slots", 1) or 1),
        priority_weight=weights.get(record.task_id, 1),
        operator=task.task_type,
        custom_operator_name=task.operator_name,
        first_reschedule_date=record.first_reschedule_date,
        tries=[
            RecordedTry(t.try_number, t.state.value, t.start_date, t.end_date, t.next_try_at)
            for t in record.tries
        ],
    )


def _recorded_event(event: Any) -> RecordedAssetEvent:
    asset = event.asset
    return RecordedAssetEvent(
        uri=event.asset_uri,
        task_id=event.source_task_id,
        map_index=event.source_map_index,
        timestamp=event.timestamp,
        name=getattr(asset, "name", None) or event.asset_uri,
        group=getattr(asset, "group", None) or "asset",
        extra=json.loads(json.dumps(event.extra, default=str)),
    )


def _audit_extra(result: DagTestResult) -> dict[str, Any]:
    extra: dict[str, Any] = {"state": result.state.value}
    if result.dag_run is not None and result.dag_run.conf:
        extra["conf"] = result.dag_run.conf
    if result.triggered:
        extra["triggered"] = [f"{r.dag_id}/{r.run_id}" for r in result.triggered]
    return extra


def _reason(err: BaseException) -> str:
    return str(getattr(err, "orig", None) or err).strip() or type(err).__name__


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
