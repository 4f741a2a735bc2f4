"""Storing parse results: what crosses the pipe, and batches of files written at once."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from slipstream.dag_processing.collection import save_results
from slipstream.dag_processing.parse_result import (
    SUMMARY_FIELDS,
    TASK_SUMMARY_FIELDS,
    FileResult,
    ParsedDag,
)
from slipstream.dag_processing.parse_worker import parse_file, warm_up_parsing
from slipstream.db.engine import Database
from slipstream.db.models import (
    Asset,
    DagModel,
    DagRun,
    DagScheduleAssetReference,
    ImportError_,
    SerializedDagModel,
)

from .conftest import good_dag

WriteDag = Callable[[str, str], Path]
NOW = dt.datetime(2024, 3, 10, 12, 30, tzinfo=dt.UTC)

ASSET_DAGS = """
    import pendulum
    from airflow.sdk import DAG, Asset
    from airflow.providers.standard.operators.empty import EmptyOperator

    raw = Asset("s3://bucket/raw")
    with DAG("producer", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
        EmptyOperator(task_id="make", outlets=[raw])
    with DAG("consumer", schedule=[raw], start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
        EmptyOperator(task_id="use", inlets=[Asset("s3://bucket/other")])
"""


def crossed(result: FileResult) -> FileResult:
    """The result as the processor reads it from a parsing child."""
    return FileResult.from_json(result.to_json().encode("utf-8"))


def stored_data(db: Database) -> dict[str, object]:
    with db.session() as session:
        rows = session.execute(select(SerializedDagModel.dag_id, SerializedDagModel.data))
        return {dag_id: data for dag_id, data in rows}


def save(db: Database, results: list[FileResult], present: list[str]) -> None:
    with db.begin() as session:
        save_results(session, results, now=NOW, present_files=present, paused_at_creation=True)


def test_data_crosses_the_pipe_as_text_beside_the_fields_the_processor_reads(
    write_dag: WriteDag, dags_folder: Path
) -> None:
    path = write_dag("assets.py", ASSET_DAGS)
    result = parse_file(str(path), str(dags_folder))
    back = crossed(result)
    assert [d.dag_id for d in back.dags] == ["producer", "consumer"]
    for before, after in zip(result.dags, back.dags, strict=True):
        assert after.hash == before.hash and after.text is not None
        assert json.loads(after.text) == before.data
        assert after.stored == after.text
        record = before.record
        assert after.record == {
            **{k: record[k] for k in SUMMARY_FIELDS if k in record},
            "tasks": [
                {k: task[k] for k in TASK_SUMMARY_FIELDS if k in task} for task in record["tasks"]
            ],
        }
    assert crossed(back) == back


def test_unchanged_dags_and_errors_cross_without_data() -> None:
    result = FileResult(
        path="/dags/a.py",
        dags=[ParsedDag("a", {}, "abc", unchanged=True)],
        warnings=["careful"],
    ).with_error("ValueError: half of it broke")
    back = crossed(result)
    assert back.dags == [ParsedDag("a", {}, "abc", unchanged=True)]
    assert back.error == result.error and back.warnings == ["careful"] and back.loaded


def test_a_message_cut_short_is_unreadable(write_dag: WriteDag, dags_folder: Path) -> None:
    path = write_dag("one.py", good_dag("one"))
    payload = parse_file(str(path), str(dags_folder)).to_json().encode()
    with pytest.raises(ValueError):
        FileResult.from_json(payload[:-10])
    with pytest.raises(ValueError):
        FileResult.from_json(payload + b"}")


def test_results_from_the_pipe_store_what_results_in_process_store(
    any_db: Database, write_dag: WriteDag, dags_folder: Path
) -> None:
    paths = [str(write_dag("assets.py", ASSET_DAGS)), str(write_dag("one.py", good_dag("one")))]
    results = [parse_file(path, str(dags_folder)) for path in paths]
    save(any_db, [crossed(r) for r in results], paths)
    stored = stored_data(any_db)
    assert stored == {d.dag_id: d.data for r in results for d in r.dags}
    with any_db.session() as session:
        rows = {row.dag_id: row for row in session.scalars(select(DagModel))}
        assets = sorted(session.scalars(select(Asset.uri)))
        refs = list(session.execute(select(DagScheduleAssetReference.dag_id)))
    assert rows["one"].tags == ["one", "team-a"] and rows["one"].description == "a good DAG"
    assert rows["one"].relative_fileloc == "one.py" and rows["one"].is_paused
    assert rows["one"].next_dagrun == dt.datetime(2024, 3, 10, tzinfo=dt.UTC)
    assert rows["consumer"].asset_expression is not None
    assert assets == ["s3://bucket/other", "s3://bucket/raw"]
    assert [r[0] for r in refs] == ["consumer"]


def test_one_batch_stores_many_files_errors_and_versions(
    any_db: Database, write_dag: WriteDag, dags_folder: Path
) -> None:
    names = [f"d{i}" for i in range(6)]
    paths = [str(write_dag(f"{n}.py", good_dag(n))) for n in names]
    broken = str(write_dag("broken.py", "import nothing_here\n"))
    present = [*paths, broken]
    save(any_db, [crossed(parse_file(p, str(dags_folder))) for p in present], present)
    assert sorted(stored_data(any_db)) == names
    with any_db.session() as session:
        errors = list(session.scalars(select(ImportError_.filename)))
    assert errors == [broken]

    write_dag("d0.py", good_dag("d0", task_id="renamed"))
    write_dag("broken.py", good_dag("fixed"))
    save(any_db, [crossed(parse_file(p, str(dags_folder))) for p in present], present)
    with any_db.session() as session:
        rows = session.execute(
            select(SerializedDagModel.dag_id, SerializedDagModel.version_number).where(
                SerializedDagModel.version_number > 1
            )
        )
        versions = {dag_id: number for dag_id, number in rows}
        errors = list(session.scalars(select(ImportError_.filename)))
    assert versions == {"d0": 2}
    assert errors == []
    assert sorted(stored_data(any_db)) == sorted([*names, "fixed"])


def test_a_changed_dag_with_scheduled_runs_runs_next_after_the_newest(
    any_db: Database, write_dag: WriteDag, dags_folder: Path
) -> None:
    path = str(write_dag("one.py", good_dag("one")))
    save(any_db, [crossed(parse_file(path, str(dags_folder)))], [path])
    start = dt.datetime(2024, 3, 10, tzinfo=dt.UTC)
    with any_db.begin() as session:
        session.add(
            DagRun(
                dag_id="one",
                run_id="scheduled__1",
                logical_date=start,
                data_interval_start=start,
                data_interval_end=start,  # a cron trigger's run: the interval is its point
                run_after=start,
                run_type="scheduled",
                state="success",
            )
        )
    write_dag("one.py", good_dag("one", task_id="renamed"))
    save(any_db, [crossed(parse_file(path, str(dags_folder)))], [path])
    with any_db.session() as session:
        row = session.get(DagModel, "one")
    assert row is not None  # without that run, it would be the newest past point (the 10th)
    assert row.next_dagrun == start + dt.timedelta(days=1)


def test_warming_up_leaves_no_module_or_path_behind() -> None:
    import sys

    modules, path = set(sys.modules), list(sys.path)
    warm_up_parsing(rounds=2)
    assert not {m for m in set(sys.modules) - modules if "warm_up_parsing" in m}
    assert sys.path == path


def test_a_warm_up_sample_is_a_valid_dag_file(tmp_path: Path) -> None:
    from slipstream.dag_processing import parse_worker

    sample = tmp_path / "sample.py"
    sample.write_text(textwrap.dedent(parse_worker._WARM_UP_DAG))
    result = parse_file(str(sample), str(tmp_path))
    assert result.error is None
    assert [d.dag_id for d in result.dags] == ["__warm_up_parsing__"]
