"""Fixtures for the corpus: the DAG bag of `dags/`, a record file per test, and a runner.

Tasks and callbacks in the corpus report what they saw through `corpus_lib.record`, which
appends JSON lines to the file named by CORPUS_RECORD_FILE; `records` points it at a fresh file
and reads it back. Variables and connections come from AIRFLOW_VAR_* / AIRFLOW_CONN_* variables,
as in Airflow.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slipstream.dagfiles.bag import DagBag
from slipstream.runtime.dag_test import DagTestResult, test_dag

from .support import CORPUS_ENV, DAGS_FOLDER, LOGICAL_DATE, Records


@pytest.fixture(scope="session")
def corpus_bag() -> DagBag:
    return DagBag(DAGS_FOLDER)


@pytest.fixture
def corpus_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment corpus runs need: variables, connections and a fresh record file."""
    env = {**CORPUS_ENV, "CORPUS_RECORD_FILE": str(tmp_path / "records.jsonl")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def records(corpus_env: dict[str, str]) -> Records:
    return Records(Path(corpus_env["CORPUS_RECORD_FILE"]))


@pytest.fixture
def run_dag(corpus_bag: DagBag, corpus_env: dict[str, str]) -> Callable[..., DagTestResult]:
    """`run_dag(dag_id, conf=None)`: one in-process run at LOGICAL_DATE, like `dags test`."""

    def run(dag_id: str, conf: dict[str, Any] | None = None) -> DagTestResult:
        dag = corpus_bag.get_dag(dag_id)
        assert dag is not None, f"{dag_id} not loaded: {corpus_bag.import_errors}"
        return test_dag(dag, logical_date=LOGICAL_DATE, conf=conf)

    return run
