"""A DAGs folder in tmp_path, a configuration with short timeouts, and a processor over them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from slipstream.config import Config, load_config
from slipstream.dag_processing import DagProcessor
from slipstream.db.engine import Database

IMPORT_TIMEOUT_S = 1.5

GOOD_DAG = """
    import pendulum
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG(
        "{dag_id}",
        schedule={schedule},
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        catchup=False,
        tags=["team-a", "{dag_id}"],
        description="a good DAG",
    ):
        EmptyOperator(task_id="{task_id}")
"""


def good_dag(dag_id: str, *, schedule: str = '"@daily"', task_id: str = "only") -> str:
    return textwrap.dedent(GOOD_DAG.format(dag_id=dag_id, schedule=schedule, task_id=task_id))


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    return folder


@pytest.fixture
def write_dag(dags_folder: Path) -> Callable[[str, str], Path]:
    """`write_dag("name.py", source)`: (over)write a file in the DAGs folder."""

    def write(name: str, source: str) -> Path:
        path = dags_folder / name
        path.write_text(textwrap.dedent(source))
        return path

    return write


@pytest.fixture
def make_config(slipstream_home: Path, dags_folder: Path) -> Callable[..., Config]:
    """`make_config(**{"section__key": value})`: settings for the test's DAGs folder."""

    def make(**settings: object) -> Config:
        env = {
            "SLIPSTREAM_HOME": str(slipstream_home),
            "SLIPSTREAM__CORE__DAGS_FOLDER": str(dags_folder),
            "SLIPSTREAM__CORE__DAGBAG_IMPORT_TIMEOUT": str(IMPORT_TIMEOUT_S),
            "SLIPSTREAM__CORE__LOAD_EXAMPLES": "false",
            "SLIPSTREAM__DAG_PROCESSOR__PARSING_PROCESSES": "2",
            "SLIPSTREAM__DAG_PROCESSOR__FILE_PARSING_MEMORY_LIMIT_MB": "1024",
        }
        for name, value in settings.items():
            env[f"SLIPSTREAM__{name.upper()}"] = str(value)
        return load_config(slipstream_home, env=env)

    return make


@pytest.fixture
def processor_for(
    make_config: Callable[..., Config],
) -> Iterator[Callable[..., DagProcessor]]:
    """`processor_for(db, **settings)`: a `DagProcessor` on the test's folder, closed after."""
    made: list[DagProcessor] = []

    def make(db: Database, clock: object = None, **settings: object) -> DagProcessor:
        processor = DagProcessor(db, make_config(**settings), clock)
        made.append(processor)
        return processor

    yield make
    for processor in made:
        processor.close()
