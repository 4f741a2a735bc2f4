"""The DAG processor against a real folder and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from slipstream.core.clock import FakeClock
from slipstream.dag_processing import DagProcessor
from slipstream.db.engine import Database
from slipstream.db.models import (
    Asset,
    DagModel,
    DagScheduleAssetReference,
    ImportError_,
    SerializedDagModel,
)
from slipstream.db.store import dags as dag_store
from slipstream.db.store import import_errors

from .conftest import good_dag

ProcessorFor = Callable[..., DagProcessor]
WriteDag = Callable[[str, str], Path]

NOW = dt.datetime(2024, 3, 10, 12, 30, tzinfo=dt.UTC)


def dag_rows(db: Database) -> dict[str, DagModel]:
    with db.session() as session:
        return {row.dag_id: row for row in session.scalars(select(DagModel))}


def errors_by_file(db: Database) -> dict[str, ImportError_]:
    with db.session() as session:
        rows, _ = import_errors.list_import_errors(session)
    return {os.path.basename(row.filename): row for row in rows}


def versions(db: Database, dag_id: str) -> list[int]:
    with db.session() as session:
        return list(
            session.scalars(
                select(SerializedDagModel.version_number)
                .where(SerializedDagModel.dag_id == dag_id)
                .order_by(SerializedDagModel.version_number)
            )
        )


def touch_later(path: Path) -> None:
    """Make sure the file's mtime moves, even on coarse-grained file systems."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_good_dags_are_stored_while_broken_files_become_import_errors(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    write_dag("one.py", good_dag("one"))
    write_dag("two.py", good_dag("two", schedule="None"))
    write_dag("hang.py", "# airflow dag\nwhile True:\n    pass\n")
    write_dag("segv.py", "# airflow dag\nimport os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    write_dag("hog.py", "# airflow dag\nblob = bytearray(10**10)\n")
    write_dag("syntax.py", "# airflow dag\n\nx = (\n")

    summary = processor_for(any_db, FakeClock(NOW)).run_once()

    assert summary.files_listed == 6 and summary.files_parsed == 6
    assert summary.dags_saved == 2 and summary.new_versions == 2
    assert summary.import_errors == 4
    rows = dag_rows(any_db)
    assert set(rows) == {"one", "two"}
    one = rows["one"]
    assert one.fileloc.endswith("one.py") and one.relative_fileloc == "one.py"
    assert one.tags == ["one", "team-a"] and one.description == "a good DAG"
    assert one.owners == "airflow" and one.timetable_summary == "0 0 * * *"
    assert one.max_active_runs == 16 and one.max_active_tasks == 16
    assert one.is_paused and not one.is_stale and not one.has_import_errors
    assert one.last_parsed_time == NOW
    errors = errors_by_file(any_db)
    assert set(errors) == {"hang.py", "segv.py", "hog.py", "syntax.py"}
    assert "timed out after 1.5 s" in errors["hang.py"].stacktrace
    assert "killed by signal SIGSEGV" in errors["segv.py"].stacktrace
    assert "MemoryError" in errors["hog.py"].stacktrace
    assert errors["syntax.py"].lineno == 3
    assert "SyntaxError" in errors["syntax.py"].stacktrace
    assert errors["hog.py"].timestamp == NOW


def test_next_run_is_computed_for_new_dags(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    write_dag("daily.py", good_dag("daily"))
    write_dag("manual.py", good_dag("manual", schedule="None"))
    processor_for(any_db, FakeClock(NOW)).run_once()
    rows = dag_rows(any_db)
    daily = rows["daily"]
    # catchup=False: the newest past daily point runs now.
    assert daily.next_dagrun == dt.datetime(2024, 3, 10, tzinfo=dt.UTC)
    assert daily.next_dagrun_create_after == dt.datetime(2024, 3, 10, tzinfo=dt.UTC)
    assert daily.next_dagrun_data_interval_start == daily.next_dagrun
    assert daily.next_dagrun_data_interval_end == daily.next_dagrun
    manual = rows["manual"]
    assert manual.next_dagrun is None and manual.next_dagrun_create_after is None
    with any_db.session() as session:
        due = [row.dag_id for row in dag_store.dags_due(session, NOW, 10)]
    assert due == []  # paused at creation
    with any_db.begin() as session:
        assert dag_store.set_paused(session, "daily", False)
    with any_db.session() as session:
        due = [row.dag_id for row in dag_store.dags_due(session, NOW, 10)]
    assert due == ["daily"]


def test_unchanged_files_are_not_parsed_again_until_due(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    write_dag("one.py", good_dag("one"))
    processor = processor_for(any_db, dag_processor__min_file_process_interval=3600)
    assert processor.run_once().files_parsed == 1
    assert processor.run_once().files_parsed == 0
    full = processor.run_once(full=True)
    assert full.files_parsed == 1 and full.new_versions == 0
    assert versions(any_db, "one") == [1]


def test_editing_a_file_stores_a_new_version_and_new_dags(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    path = write_dag("one.py", good_dag("one"))
    processor = processor_for(any_db, dag_processor__min_file_process_interval=3600)
    processor.run_once()
    with any_db.session() as session:
        first_id, first = dag_store.latest_serialized_dag(session, "one")  # type: ignore[misc]
    assert first.task_ids == ["only"]

    path.write_text(good_dag("one", task_id="renamed") + "\n" + good_dag("extra"))
    touch_later(path)
    summary = processor.run_once()

    assert summary.files_parsed == 1 and summary.new_versions == 2
    assert versions(any_db, "one") == [1, 2]
    assert set(dag_rows(any_db)) == {"one", "extra"}
    with any_db.session() as session:
        second_id, second = dag_store.latest_serialized_dag(session, "one")  # type: ignore[misc]
        assert second_id != first_id and second.task_ids == ["renamed"]
        # the old version is still there, for the runs that use it
        old = dag_store.serialized_dag_by_id(session, first_id)
        assert old is not None and old.task_ids == ["only"]
        assert dag_store.serialized_dag_by_id(session, first_id) is old  # cached


def test_deleting_a_file_marks_its_dags_stale_and_drops_its_import_error(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    keep = write_dag("keep.py", good_dag("keep"))
    gone = write_dag("gone.py", good_dag("gone"))
    broken = write_dag("broken.py", "# airflow dag\nraise ValueError('no')\n")
    processor = processor_for(any_db)
    processor.run_once()
    assert set(errors_by_file(any_db)) == {"broken.py"}

    gone.unlink()
    broken.unlink()
    summary = processor.run_once()

    assert summary.files_removed == 2 and summary.stale_dags == 1
    rows = dag_rows(any_db)
    assert rows["gone"].is_stale and not rows["keep"].is_stale
    assert errors_by_file(any_db) == {}
    with any_db.session() as session:
        listed, total = dag_store.list_dags(session)
        assert [row.dag_id for row in listed] == ["keep"] and total == 1
        stale, _ = dag_store.list_dags(session, stale=True)
        assert [row.dag_id for row in stale] == ["gone"]
    assert keep.exists()


def test_a_restarted_processor_marks_dags_of_missing_files_stale(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    gone = write_dag("gone.py", good_dag("gone"))
    processor_for(any_db).run_once()
    gone.unlink()
    summary = processor_for(any_db).run_once()  # a new process knows nothing of the old files
    assert summary.stale_dags == 1
    assert dag_rows(any_db)["gone"].is_stale


def test_a_dag_removed_from_its_file_goes_stale_and_comes_back(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    path = write_dag("pair.py", good_dag("a") + good_dag("b"))
    processor = processor_for(any_db)
    processor.run_once()
    path.write_text(good_dag("a"))
    touch_later(path)
    assert processor.run_once().stale_dags == 1
    assert dag_rows(any_db)["b"].is_stale

    path.write_text(good_dag("a") + good_dag("b"))
    touch_later(path)
    processor.run_once()
    assert not dag_rows(any_db)["b"].is_stale


def test_a_broken_file_keeps_its_dags_and_flags_them(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    path = write_dag("one.py", good_dag("one"))
    processor = processor_for(any_db)
    processor.run_once()
    path.write_text(good_dag("one") + "\nraise RuntimeError('broken now')\n")
    touch_later(path)
    processor.run_once()
    row = dag_rows(any_db)["one"]
    assert not row.is_stale and row.has_import_errors
    assert "RuntimeError: broken now" in errors_by_file(any_db)["one.py"].stacktrace
    with any_db.session() as session:
        assert import_errors.count_import_errors(session) == 1

    path.write_text(good_dag("one"))
    touch_later(path)
    processor.run_once()
    assert not dag_rows(any_db)["one"].has_import_errors
    assert errors_by_file(any_db) == {}


def test_the_pause_flag_of_existing_dags_is_never_overwritten(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    path = write_dag("one.py", good_dag("one"))
    processor = processor_for(any_db)
    processor.run_once()
    assert dag_rows(any_db)["one"].is_paused
    with any_db.begin() as session:
        assert dag_store.set_paused(session, "one", False)
        assert not dag_store.set_paused(session, "missing", True)
    path.write_text(good_dag("one", task_id="changed"))
    touch_later(path)
    processor.run_once(full=True)
    assert not dag_rows(any_db)["one"].is_paused


def test_new_dags_follow_is_paused_upon_creation_then_the_config(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    source = good_dag("active").replace(
        'description="a good DAG",', "is_paused_upon_creation=False,"
    )
    write_dag("active.py", source)
    write_dag("plain.py", good_dag("plain"))
    processor_for(any_db, core__dags_are_paused_at_creation="false").run_once()
    rows = dag_rows(any_db)
    assert not rows["active"].is_paused and not rows["plain"].is_paused

    write_dag("later.py", good_dag("later"))
    processor_for(any_db, core__dags_are_paused_at_creation="true").run_once()
    rows = dag_rows(any_db)
    assert rows["later"].is_paused and not rows["plain"].is_paused


def test_a_dag_id_defined_in_two_files_keeps_the_first_owner(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    write_dag("b_original.py", good_dag("shared"))
    processor = processor_for(any_db)
    processor.run_once()
    write_dag("a_copy.py", good_dag("shared", task_id="other"))
    processor.run_once(full=True)
    row = dag_rows(any_db)["shared"]
    assert row.fileloc.endswith("b_original.py")
    error = errors_by_file(any_db)["a_copy.py"]
    assert "AirflowDagDuplicatedIdException" in error.stacktrace
    assert versions(any_db, "shared") == [1]


def test_asset_scheduled_dags_get_asset_references_and_expression(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    write_dag(
        "assets.py",
        """
        import pendulum
        from airflow.sdk import DAG, Asset, AssetAlias
        from airflow.providers.standard.operators.empty import EmptyOperator

        raw = Asset("s3://bucket/raw", extra={"owner": "ingest"})
        clean = Asset(name="clean", uri="s3://bucket/clean")

        with DAG("producer", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
            EmptyOperator(task_id="make", outlets=[Asset("s3://bucket/other")])

        with DAG("consumer", schedule=(raw | clean), start_date=pendulum.datetime(2024, 1, 1)):
            EmptyOperator(task_id="use")

        with DAG("both", schedule=[raw, AssetAlias("alias")], start_date=pendulum.datetime(2024, 1, 1)):
            EmptyOperator(task_id="use")
        """,
    )
    processor_for(any_db).run_once()
    rows = dag_rows(any_db)
    assert rows["consumer"].asset_expression == {
        "any": [
            {"asset": {"uri": "s3://bucket/raw", "name": "s3://bucket/raw", "group": "asset"}},
            {"asset": {"uri": "s3://bucket/clean", "name": "clean", "group": "asset"}},
        ]
    }
    assert rows["both"].asset_expression == {
        "all": [
            {"asset": {"uri": "s3://bucket/raw", "name": "s3://bucket/raw", "group": "asset"}},
            {"alias": {"name": "alias", "group": "asset"}},
        ]
    }
    assert rows["producer"].asset_expression is None
    assert rows["consumer"].next_dagrun is None
    with any_db.session() as session:
        assets = {a.uri: a for a in session.scalars(select(Asset))}
        refs = {
            (ref.dag_id, session.get(Asset, ref.asset_id).uri)  # type: ignore[union-attr]
            for ref in session.scalars(select(DagScheduleAssetReference))
        }
    assert set(assets) == {"s3://bucket/raw", "s3://bucket/clean", "s3://bucket/other"}
    assert assets["s3://bucket/raw"].extra == {"owner": "ingest"}
    assert refs == {
        ("consumer", "s3://bucket/raw"),
        ("consumer", "s3://bucket/clean"),
        ("both", "s3://bucket/raw"),
    }


def test_changing_a_schedule_updates_asset_references(
    any_db: Database, processor_for: ProcessorFor, write_dag: WriteDag
) -> None:
    template = """
        import pendulum
        from airflow.sdk import DAG, Asset
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("consumer", schedule={schedule}, start_date=pendulum.datetime(2024, 1, 1)):
            EmptyOperator(task_id="use")
        """
    path = write_dag(
        "consumer.py", template.format(schedule='[Asset("s3://b/x"), Asset("s3://b/y")]')
    )
    processor = processor_for(any_db)
    processor.run_once()
    path.write_text(template.format(schedule='[Asset("s3://b/y")]').replace("\n        ", "\n"))
    touch_later(path)
    processor.run_once()
    with any_db.session() as session:
        refs = [
            session.get(Asset, ref.asset_id).uri  # type: ignore[union-attr]
            for ref in session.scalars(select(DagScheduleAssetReference))
        ]
    assert refs == ["s3://b/y"]


def test_example_dags_are_included_when_load_examples_is_set(
    any_db: Database, processor_for: ProcessorFor
) -> None:
    summary = processor_for(any_db, core__load_examples="true").run_once()
    assert summary.import_errors == 0
    rows = dag_rows(any_db)
    assert {"example_etl", "example_taskflow"} <= set(rows)
    assert rows["example_etl"].owners == "data-team"
