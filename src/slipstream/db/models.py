"""Tables of the metadata database (SQLAlchemy 2). Column names follow Airflow's where the concept
is the same, so people who know Airflow's schema find their way."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 250


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware timestamps, stored as UTC on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored: give it a time zone")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UtcDateTime(), dict[str, Any]: JSON}


class DagModel(Base):
    """One row per DAG id: what the DAG processor last saw, and what users set (pause)."""

    __tablename__ = "dag"

    dag_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=True)
    is_stale: Mapped[bool] = mapped_column(Boolean, default=False)
    fileloc: Mapped[str] = mapped_column(Text, default="")
    relative_fileloc: Mapped[str | None] = mapped_column(Text)
    owners: Mapped[str] = mapped_column(String(2000), default="")
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    timetable_summary: Mapped[str | None] = mapped_column(Text)
    timetable_description: Mapped[str | None] = mapped_column(Text)
    max_active_runs: Mapped[int | None] = mapped_column(Integer)
    max_active_tasks: Mapped[int] = mapped_column(Integer, default=16)
    max_consecutive_failed_dag_runs: Mapped[int] = mapped_column(Integer, default=0)
    has_import_errors: Mapped[bool] = mapped_column(Boolean, default=False)
    last_parsed_time: Mapped[dt.datetime | None]
    next_dagrun: Mapped[dt.datetime | None]
    next_dagrun_data_interval_start: Mapped[dt.datetime | None]
    next_dagrun_data_interval_end: Mapped[dt.datetime | None]
    next_dagrun_create_after: Mapped[dt.datetime | None] = mapped_column(index=True)
    asset_expression: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SerializedDagModel(Base):
    """Every distinct structure a DAG has had (a DAG version); runs point at the one they use.

    Ids are never reused, even on SQLite (`AUTOINCREMENT`): processes cache versions by id, and
    deleting a DAG deletes its versions.
    """

    __tablename__ = "serialized_dag"
    __table_args__ = (
        UniqueConstraint("dag_id", "version_number"),
        Index(None, "dag_id", "dag_hash"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    dag_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    fileloc: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class DagRun(Base):
    __tablename__ = "dag_run"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id"),
        UniqueConstraint("dag_id", "logical_date"),
        Index(None, "dag_id", "state"),
        Index(None, "state", "last_scheduling_decision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    run_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    logical_date: Mapped[dt.datetime | None]
    data_interval_start: Mapped[dt.datetime | None]
    data_interval_end: Mapped[dt.datetime | None]
    run_after: Mapped[dt.datetime]
    run_type: Mapped[str] = mapped_column(String(50))
    triggered_by: Mapped[str | None] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(50))
    queued_at: Mapped[dt.datetime | None]
    start_date: Mapped[dt.datetime | None]
    end_date: Mapped[dt.datetime | None]
    conf: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    serialized_dag_id: Mapped[int | None] = mapped_column(ForeignKey("serialized_dag.id"))
    clear_number: Mapped[int] = mapped_column(Integer, default=0)
    last_scheduling_decision: Mapped[dt.datetime | None]
    needs_scheduling: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    view_version: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Raised by every examination: a scheduler's memory of the run's TIs is good only while it
    matches (`scheduler.run_views`)."""
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime | None]


class TaskInstance(Base):
    """One task (or map index) in one run; the current try. Past tries are in the history."""

    __tablename__ = "task_instance"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id", "task_id", "map_index"),
        Index(None, "dag_run_id", "state"),
        Index(None, "state", "pool"),
        Index(None, "dag_id", "task_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_run_id: Mapped[int] = mapped_column(ForeignKey("dag_run.id", ondelete="CASCADE"))
    dag_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    run_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    task_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    map_index: Mapped[int] = mapped_column(Integer, default=-1)
    state: Mapped[str | None] = mapped_column(String(20))
    try_number: Mapped[int] = mapped_column(Integer, default=0)
    max_tries: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[dt.datetime | None]
    end_date: Mapped[dt.datetime | None]
    duration: Mapped[float | None] = mapped_column(Float)
    hostname: Mapped[str | None] = mapped_column(String(1000))
    pid: Mapped[int | None] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(256), default="default")
    pool: Mapped[str] = mapped_column(String(256), default="default_pool")
    pool_slots: Mapped[int] = mapped_column(Integer, default=1)
    priority_weight: Mapped[int] = mapped_column(Integer, default=1)
    run_after: Mapped[dt.datetime | None]
    """Its run's `run_after` (which never changes), copied so that queueing orders by index."""
    operator: Mapped[str | None] = mapped_column(String(1000))
    custom_operator_name: Mapped[str | None] = mapped_column(String(1000))
    scheduled_dttm: Mapped[dt.datetime | None]
    queued_dttm: Mapped[dt.datetime | None]
    queue_token: Mapped[str | None] = mapped_column(String(64))
    executor: Mapped[str | None] = mapped_column(String(1000))
    executor_state: Mapped[str | None] = mapped_column(String(20))
    last_heartbeat_at: Mapped[dt.datetime | None]
    next_try_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    first_reschedule_date: Mapped[dt.datetime | None]
    rendered_map_index: Mapped[str | None] = mapped_column(String(250))
    rendered_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime | None]
    changed: Mapped[bool] = mapped_column(Boolean, onupdate=True, server_default=true())
    """Set by every insert and update of the row (the column's `onupdate`), cleared by the
    scheduler examination that read it: what changed since the run was last examined."""


# What the scheduler reads at each examination of a run (`store.ti_changes`).
Index(
    "ix_task_instance_changed",
    TaskInstance.dag_run_id,
    sqlite_where=TaskInstance.changed.is_(True),
    postgresql_where=TaskInstance.changed.is_(True),
)

# The queueing order (`store.ti_queueing`), read in index order: a tick reads the first few
# scheduled TIs instead of sorting every one of them.
Index(
    "ix_task_instance_queueing_order",
    TaskInstance.state,
    TaskInstance.priority_weight.desc(),
    TaskInstance.run_after,
    TaskInstance.map_index,
    TaskInstance.id,
)


class TaskInstanceHistory(Base):
    """Every finished try of a task instance, kept when it is retried or cleared."""

    __tablename__ = "task_instance_history"
    __table_args__ = (UniqueConstraint("dag_id", "run_id", "task_id", "map_index", "try_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_instance_id: Mapped[int] = mapped_column(
        ForeignKey("task_instance.id", ondelete="CASCADE"), index=True
    )
    dag_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    run_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    task_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    map_index: Mapped[int] = mapped_column(Integer)
    try_number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[dt.datetime | None]
    end_date: Mapped[dt.datetime | None]
    duration: Mapped[float | None] = mapped_column(Float)
    hostname: Mapped[str | None] = mapped_column(String(1000))
    pid: Mapped[int | None] = mapped_column(Integer)
    queue: Mapped[str | None] = mapped_column(String(256))
    pool: Mapped[str | None] = mapped_column(String(256))
    priority_weight: Mapped[int | None] = mapped_column(Integer)
    operator: Mapped[str | None] = mapped_column(String(1000))
    executor: Mapped[str | None] = mapped_column(String(1000))


class TaskReschedule(Base):
    """Each time a sensor in reschedule mode asked to be run again."""

    __tablename__ = "task_reschedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_instance_id: Mapped[int] = mapped_column(
        ForeignKey("task_instance.id", ondelete="CASCADE"), index=True
    )
    try_number: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.datetime]
    end_date: Mapped[dt.datetime]
    reschedule_date: Mapped[dt.datetime]


class XCom(Base):
    __tablename__ = "xcom"
    __table_args__ = (UniqueConstraint("dag_run_id", "task_id", "map_index", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_run_id: Mapped[int] = mapped_column(ForeignKey("dag_run.id", ondelete="CASCADE"))
    dag_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    run_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    task_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    map_index: Mapped[int] = mapped_column(Integer, default=-1)
    key: Mapped[str] = mapped_column(String(512))
    value: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[dt.datetime]


class Variable(Base):
    __tablename__ = "variable"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    val: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    is_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)


class Connection(Base):
    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conn_id: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    conn_type: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(500))
    schema: Mapped[str | None] = mapped_column(String(500))
    login: Mapped[str | None] = mapped_column(Text)
    password: Mapped[str | None] = mapped_column(Text)
    port: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[str | None] = mapped_column(Text)
    is_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_extra_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)


class Pool(Base):
    __tablename__ = "slot_pool"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pool: Mapped[str] = mapped_column(String(256), unique=True)
    slots: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str | None] = mapped_column(Text)
    include_deferred: Mapped[bool] = mapped_column(Boolean, default=False)


class ImportError_(Base):
    """A DAG file that failed to load, as the DAG processor last saw it."""

    __tablename__ = "import_error"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filename: Mapped[str] = mapped_column(Text)
    lineno: Mapped[int | None] = mapped_column(Integer)
    stacktrace: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[dt.datetime]


class Asset(Base):
    __tablename__ = "asset"
    __table_args__ = (UniqueConstraint("name", "uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(1500))
    uri: Mapped[str] = mapped_column(String(1500), index=True)
    group: Mapped[str] = mapped_column(String(1500), default="asset")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime | None]


class AssetEvent(Base):
    __tablename__ = "asset_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_dag_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    source_task_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    source_run_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    source_map_index: Mapped[int] = mapped_column(Integer, default=-1)
    timestamp: Mapped[dt.datetime] = mapped_column(index=True)


class DagScheduleAssetReference(Base):
    """Which DAGs an asset update may trigger."""

    __tablename__ = "dag_schedule_asset_reference"

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True
    )
    dag_id: Mapped[str] = mapped_column(
        ForeignKey("dag.dag_id", ondelete="CASCADE"), primary_key=True
    )


class AssetDagRunQueue(Base):
    """Asset updates waiting to trigger a run of a DAG scheduled on them."""

    __tablename__ = "asset_dag_run_queue"

    asset_id: Mapped[int] = mapped_column(
        ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True
    )
    target_dag_id: Mapped[str] = mapped_column(
        ForeignKey("dag.dag_id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[dt.datetime]


class DagRunAssetEvent(Base):
    """The asset events that triggered a run (`triggering_asset_events`)."""

    __tablename__ = "dagrun_asset_event"

    dag_run_id: Mapped[int] = mapped_column(
        ForeignKey("dag_run.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(
        ForeignKey("asset_event.id", ondelete="CASCADE"), primary_key=True
    )


class Log(Base):
    """The audit log: who did what, when (Airflow's `log` table, the API's event logs)."""

    __tablename__ = "log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dttm: Mapped[dt.datetime] = mapped_column(index=True)
    event: Mapped[str] = mapped_column(String(60))
    owner: Mapped[str | None] = mapped_column(String(500))
    owner_display_name: Mapped[str | None] = mapped_column(String(500))
    dag_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    task_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    run_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    map_index: Mapped[int | None] = mapped_column(Integer)
    try_number: Mapped[int | None] = mapped_column(Integer)
    logical_date: Mapped[dt.datetime | None]
    extra: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """A running component (scheduler, DAG processor, worker) and its heartbeat."""

    __tablename__ = "job"
    __table_args__ = (Index(None, "job_type", "state", "latest_heartbeat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_type: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))
    hostname: Mapped[str | None] = mapped_column(String(500))
    pid: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[dt.datetime]
    end_date: Mapped[dt.datetime | None]
    latest_heartbeat: Mapped[dt.datetime]
    wake_address: Mapped[str | None] = mapped_column(String(500))
    """Where the component listens for "look now" hints (a scheduler's event socket), if any."""


class User(Base):
    """Someone who may log in to the API and UI, with one role (admin, op, user, viewer)."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    email: Mapped[str | None] = mapped_column(String(500))
    first_name: Mapped[str | None] = mapped_column(String(256))
    last_name: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    changed_at: Mapped[dt.datetime]
    last_login: Mapped[dt.datetime | None]
