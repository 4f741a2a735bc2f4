"""A folder of DAG files loaded into DAGs and import errors: what every command starts from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What loading any DAG file needs (the `import airflow` hook; DAG with its params, timetable and
# pendulum dates) is imported with the DagBag, so that a file's load time is the file's own.
import pendulum  # noqa: F401

import slipstream.sdk.params
import slipstream.timetables.factory  # noqa: F401
from slipstream.compat.airflow import install
from slipstream.dagfiles.finder import find_dag_files
from slipstream.dagfiles.module_loader import load_module
from slipstream.sdk.dag_definition import DAG, DagContext
from slipstream.timetables import assets, simple, trigger  # noqa: F401 (create_timetable's)


@dataclass(frozen=True)
class ImportErrorRecord:
    """Why a file gave no (or not all) DAGs: a broken import, or a DAG that failed validation."""

    filename: str
    lineno: int | None
    message: str
    traceback: str
    dag_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "lineno": self.lineno,
            "message": self.message,
            "stack_trace": self.traceback,
            "dag_id": self.dag_id,
        }


class DagBag:
    """DAGs by id and import errors by file, for one DAGs folder.

    One broken file never stops the others: each file is imported on its own and its failure
    is recorded. Each DAG is validated (cycles, trigger rules, params); a DAG id defined in two
    files keeps the first and records an error on the second.
    """

    def __init__(
        self,
        dag_folder: str | os.PathLike[str] | None,
        *,
        include_examples: bool = False,
        safe_mode: bool = True,
        ignore_file_syntax: str = "glob",
        collect: bool = True,
    ) -> None:
        self.dag_folder = Path(dag_folder) if dag_folder is not None else None
        self.include_examples = include_examples
        self.safe_mode = safe_mode
        self.ignore_file_syntax = ignore_file_syntax
        self.dags: dict[str, Any] = {}
        self.import_errors: dict[str, ImportErrorRecord] = {}
        self.file_dags: dict[str, list[str]] = {}
        self.warnings: dict[str, list[str]] = {}
        if collect:
            self.collect()

    def files(self) -> list[Path]:
        if self.dag_folder is None:
            return []
        return find_dag_files(
            self.dag_folder,
            ignore_file_syntax=self.ignore_file_syntax,
            safe_mode=self.safe_mode,
            include_examples=self.include_examples,
        )

    def collect(self) -> None:
        for path in self.files():
            self.process_file(path)

    def process_file(self, path: str | os.PathLike[str]) -> list[Any]:
        """Import one file and add its valid DAGs; returns them."""
        install()
        filename = os.path.abspath(path)
        DagContext.reset()
        loaded = load_module(filename, dags_folder=self.dag_folder)
        if loaded.warnings:
            self.warnings[filename] = loaded.warnings
        self.import_errors.pop(filename, None)
        if loaded.error is not None:
            err = loaded.error
            self.import_errors[filename] = ImportErrorRecord(
                filename, err.lineno, err.message, err.traceback
            )
            return []
        found: list[DAG] = list(DagContext.autoregistered_dags)
        for value in vars(loaded.module).values():
            if isinstance(value, DAG) and value not in found:
                found.append(value)
        DagContext.reset()
        added = [dag for dag in found if self._add(dag, filename)]
        self.file_dags[filename] = [dag.dag_id for dag in added]
        return added

    def _add(self, dag: Any, filename: str) -> bool:
        dag.fileloc = filename
        try:
            dag.validate()
        except Exception as err:
            self._error(filename, dag, f"{type(err).__name__}: {err}")
            return False
        existing = self.dags.get(dag.dag_id)
        if existing is not None and existing is not dag:
            self._error(
                filename,
                dag,
                f"AirflowDagDuplicatedIdException: Ignoring DAG '{dag.dag_id}' from {filename}: "
                f"the id is already used by {existing.fileloc}",
            )
            return False
        self.dags[dag.dag_id] = dag
        return True

    def _error(self, filename: str, dag: Any, message: str) -> None:
        line = getattr(dag, "lineno", None)
        where = f'  File "{filename}", line {line}, in DAG {dag.dag_id!r}\n' if line else ""
        previous = self.import_errors.get(filename)
        if previous is not None:
            message = f"{previous.message}\n{message}"
        self.import_errors[filename] = ImportErrorRecord(
            filename, line, message, where + message + "\n", dag_id=dag.dag_id
        )

    def get_dag(self, dag_id: str) -> Any | None:
        return self.dags.get(dag_id)

    @property
    def dag_ids(self) -> list[str]:
        return sorted(self.dags)

    def size(self) -> int:
        return len(self.dags)


def load_dag(dag_folder: str | os.PathLike[str], dag_id: str, **kwargs: Any) -> tuple[Any, DagBag]:
    """Find one DAG quickly: files naming the id are loaded first, the rest only if needed."""
    bag = DagBag(dag_folder, collect=False, **kwargs)
    files = bag.files()
    needle = dag_id.encode()
    first = [p for p in files if _mentions(p, needle)]
    for path in first:
        bag.process_file(path)
        if dag_id in bag.dags:
            return bag.dags[dag_id], bag
    for path in files:
        if path not in first:
            bag.process_file(path)
            if dag_id in bag.dags:
                return bag.dags[dag_id], bag
    return None, bag


def _mentions(path: Path, needle: bytes) -> bool:
    try:
        return needle in path.read_bytes()
    except OSError:
        return False
