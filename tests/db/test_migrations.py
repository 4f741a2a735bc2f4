"""Migrations: from nothing to head, idempotent, concurrent, and in sync with the models."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, insert, inspect, select, text
from sqlalchemy.orm import Session

from slipstream.db import migrate
from slipstream.db.engine import Database
from slipstream.db.models import Base, DagRun, SerializedDagModel
from slipstream.db.store import pools

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """A database with no tables at all."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path}/empty.db")
    else:
        server = request.getfixturevalue("pg_server")
        db = Database(server.create_database(migrated=False))
    request.addfinalizer(db.dispose)
    return db


def _differences(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def _through_migrations(db: Database) -> None:
    """Every migration from nothing to head, as an older database gets them."""
    with migrate._migration_transaction(db) as connection:
        migrate._upgrade(connection)


def test_models_and_migrations_are_in_sync(empty_db: Database) -> None:
    """A model change without a migration fails here: add one with
    `python -m slipstream.db.migrate revision "what changed"`."""
    _through_migrations(empty_db)
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    assert _differences(empty_db) == []


def test_a_fresh_database_is_created_at_head_from_the_models(empty_db: Database) -> None:
    """The same schema as the migrations give (the test above), at head, without Alembic."""
    migrate.migrate(empty_db, default_pool_slots=3)
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    assert _differences(empty_db) == []
    code = (
        "import sys; from slipstream.db.engine import Database; from slipstream.db import migrate;"
        f"db = Database({str(empty_db.url.render_as_string(hide_password=False))!r});"
        "migrate.reset(db, default_pool_slots=3); assert migrate.check(db);"
        "assert 'alembic' not in sys.modules, 'Alembic was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_database_created_fresh_takes_later_migrations(tmp_path: Path) -> None:
    """Alembic reads the version a fresh database was created at, like any other."""
    db = Database(f"sqlite:///{tmp_path}/fresh.db")
    try:
        migrate.migrate(db, default_pool_slots=3)
        with migrate._migration_transaction(db) as connection:
            from alembic.runtime.migration import MigrationContext as Context

            assert Context.configure(connection).get_current_revision() == migrate.HEAD_REVISION
            migrate._upgrade(connection)  # nothing to do, and no error
        assert migrate.check(db)
    finally:
        db.dispose()


def test_migrate_from_nothing_then_again(empty_db: Database) -> None:
    assert not migrate.check(empty_db)
    assert migrate.current_revision(empty_db) is None
    migrate.migrate(empty_db, default_pool_slots=7)
    assert migrate.check(empty_db)
    assert migrate.current_revision(empty_db) == migrate.head_revision()
    tables = set(inspect(empty_db.engine).get_table_names())
    assert set(Base.metadata.tables) | {"alembic_version"} == tables

    with empty_db.begin() as session:  # a size set by users survives the next migrate
        pools.set_pool(session, pools.DEFAULT_POOL, 2, "mine")
    migrate.migrate(empty_db, default_pool_slots=7)
    with empty_db.session() as session:
        assert [(p.name, p.slots) for p in pools.list_pools(session)] == [("default_pool", 2)]


def test_default_pool_slots_come_from_config(
    tmp_path: Path, slipstream_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIPSTREAM__CORE__DEFAULT_POOL_TASK_SLOT_COUNT", "42")
    db = Database(f"sqlite:///{tmp_path}/x.db")
    migrate.migrate(db)
    with db.session() as session:
        assert pools.pool_usage(session) == {"default_pool": (42, 0)}
    db.dispose()


def test_reset_drops_everything_and_migrates(any_db: Database) -> None:
    with any_db.begin() as session:
        pools.set_pool(session, "extra", 3)
        session.execute(text("CREATE TABLE stray (x INTEGER)"))
    migrate.reset(any_db, default_pool_slots=5)
    assert migrate.check(any_db)
    assert "stray" not in inspect(any_db.engine).get_table_names()
    with any_db.session() as session:
        assert pools.pool_usage(session) == {"default_pool": (5, 0)}


def test_check_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    db = Database(f"sqlite:///{path}")
    assert not migrate.check(db)
    assert not path.exists()


def test_check_is_false_for_an_unreachable_server() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert not migrate.check(db)
    db.dispose()


MIGRATE_IN_CHILD = """
import sys
from slipstream.db.engine import Database
from slipstream.db.migrate import migrate
migrate(Database(sys.argv[1]), default_pool_slots=9)
"""


def test_concurrent_migrations_from_processes(empty_db: Database) -> None:
    url = empty_db.url.render_as_string(hide_password=False)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_IN_CHILD, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    assert migrate.check(empty_db)
    assert _differences(empty_db) == []
    with empty_db.session() as session:
        assert pools.pool_usage(session) == {"default_pool": (9, 0)}


def test_migrations_ship_with_the_package() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["slipstream"]
    assert {"db/migrations/*", "db/migrations/versions/*"} <= set(patterns)
    assert (migrate.MIGRATIONS / "env.py").exists()
    assert (migrate.MIGRATIONS / "script.py.mako").exists()


def test_one_head_and_versions_numbered_in_order() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrate.MIGRATIONS))
    assert len(script.get_heads()) == 1
    revisions = list(reversed(list(script.walk_revisions())))
    assert [r.revision for r in revisions] == [f"{n:04d}" for n in range(1, len(revisions) + 1)]


def test_head_revision_constant_matches_the_scripts() -> None:
    """`migrate.HEAD_REVISION` lets `check` skip importing Alembic: bump it with each migration."""
    from alembic.script import ScriptDirectory

    assert migrate.head_revision() == ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def _add_version(session: Session, dag_id: str, number: int) -> int:
    from slipstream.db.store import serialized_dags

    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return serialized_dags.add_version(
        session, dag_id=dag_id, data={}, dag_hash=f"h{number}", fileloc="", version_number=number,
        now=now,
    )  # fmt: skip


def test_dag_version_ids_are_never_reused(empty_db: Database) -> None:
    """Processes cache DAG versions by id, and deleting a DAG deletes its versions: a new
    version must never take the id of a deleted one (SQLite needs `AUTOINCREMENT` for that)."""
    migrate.migrate(empty_db, default_pool_slots=1)
    with empty_db.begin() as session:
        first, newest = _add_version(session, "a", 1), _add_version(session, "b", 1)
    with empty_db.begin() as session:
        session.execute(delete(SerializedDagModel).where(SerializedDagModel.id == newest))
    with empty_db.begin() as session:
        assert _add_version(session, "b", 1) > newest > first


def test_migration_0004_keeps_versions_and_the_runs_using_them(tmp_path: Path) -> None:
    """Rebuilding `serialized_dag` on SQLite keeps its rows, their ids and the runs pointing at
    them, and from then on ids are never reused."""
    from alembic import command

    db = Database(f"sqlite:///{tmp_path}/old.db")
    with migrate._migration_transaction(db) as connection:
        command.upgrade(migrate._alembic_config(connection), "0003")
    with db.begin() as session:
        ids = [_add_version(session, "a", 1), _add_version(session, "a", 2)]
        session.execute(
            insert(DagRun).values(
                dag_id="a", run_id="r", run_after=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                run_type="manual", state="success", conf={}, serialized_dag_id=ids[1],
            )
        )  # fmt: skip
    migrate.migrate(db, default_pool_slots=1)
    assert migrate.check(db)
    with db.begin() as session:
        kept = session.execute(select(SerializedDagModel.id, SerializedDagModel.version_number))
        assert sorted(kept) == [(ids[0], 1), (ids[1], 2)]
        assert session.scalar(select(DagRun.serialized_dag_id)) == ids[1]
        session.execute(delete(DagRun))
        session.execute(delete(SerializedDagModel).where(SerializedDagModel.id == ids[1]))
    with db.begin() as session:
        assert _add_version(session, "a", 2) > ids[1]
    db.dispose()


def _changed_index(db: Database) -> str:
    with db.engine.connect() as connection:
        if db.is_sqlite:
            query = "SELECT sql FROM sqlite_master WHERE name = 'ix_task_instance_changed'"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_task_instance_changed'"
        return str(connection.execute(text(query)).scalar_one())


def test_migration_0006_flags_existing_tis_as_changed(empty_db: Database, tmp_path: Path) -> None:
    """TIs from before count as changed (a scheduler reads them at its first look), runs start
    at view version 0, and the partial index is the one the models create."""
    from alembic import command

    with migrate._migration_transaction(empty_db) as connection:
        command.upgrade(migrate._alembic_config(connection), "0005")
    with empty_db.begin() as session:
        session.execute(
            text(
                "INSERT INTO dag_run (dag_id, run_id, run_after, run_type, state, conf, "
                "clear_number, needs_scheduling) VALUES ('a', 'r', :t, 'manual', 'running', "
                "'{}', 0, false)"
            ),
            {"t": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)},
        )
        session.execute(
            text(
                "INSERT INTO task_instance (dag_run_id, dag_id, run_id, task_id, map_index, "
                "try_number, max_tries, queue, pool, pool_slots, priority_weight) "
                "SELECT id, 'a', 'r', 't', -1, 0, 0, 'default', 'default_pool', 1, 1 FROM dag_run"
            )
        )
    migrate.migrate(empty_db, default_pool_slots=1)
    with empty_db.session() as session:
        assert session.scalar(text("SELECT view_version FROM dag_run")) == 0
        assert bool(session.scalar(text("SELECT changed FROM task_instance"))) is True
    fresh = Database(f"sqlite:///{tmp_path}/fresh.db") if empty_db.is_sqlite else None
    if fresh is not None:
        migrate.migrate(fresh, default_pool_slots=1)
        assert _changed_index(empty_db) == _changed_index(fresh)
        fresh.dispose()
    assert "changed IS" in _changed_index(empty_db).replace("(", "").replace(")", "")
