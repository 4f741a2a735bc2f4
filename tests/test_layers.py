"""The layering promises: what each layer may import, and what `import slipstream.sdk` loads."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "slipstream"

# package -> packages of ours it must never import (at any depth, lazily or not)
FORBIDDEN = {
    "core": {
        "sdk",
        "timetables",
        "compat",
        "dagfiles",
        "serialization",
        "orchestration",
        "runtime",
        "cli",
        "api",
    },
    "config": {
        "sdk",
        "timetables",
        "compat",
        "dagfiles",
        "serialization",
        "orchestration",
        "runtime",
        "cli",
        "db",
        "scheduler",
        "executors",
        "supervisor",
        "dag_processing",
        "api",
    },
    "timetables": {
        "sdk",
        "compat",
        "dagfiles",
        "serialization",
        "orchestration",
        "runtime",
        "cli",
        "api",
    },
    "orchestration": {
        "sdk",
        "timetables",
        "compat",
        "dagfiles",
        "serialization",
        "runtime",
        "cli",
        "api",
    },
    "sdk": {"dagfiles", "serialization", "orchestration", "runtime", "cli", "api"},
    "dagfiles": {"orchestration", "runtime", "cli", "api"},
    "serialization": {"runtime", "cli", "api"},
    "runtime": {"cli", "db", "scheduler", "executors", "supervisor", "dag_processing", "api"},
    "db": {"cli", "scheduler", "executors", "supervisor", "dag_processing", "runtime", "api"},
    "scheduler": {"cli", "supervisor", "dag_processing", "api"},
    "dag_processing": {"cli", "scheduler", "executors", "supervisor", "api"},
    "executors": {"cli", "api"},
    "supervisor": {"cli", "api"},
    "logs": {
        "sdk",
        "timetables",
        "compat",
        "dagfiles",
        "serialization",
        "orchestration",
        "runtime",
        "cli",
        "db",
        "scheduler",
        "executors",
        "supervisor",
        "dag_processing",
        "api",
    },
    # The UI package only serves the built front-end: it knows nothing of the rest.
    "ui": {
        "core",
        "config",
        "sdk",
        "timetables",
        "compat",
        "dagfiles",
        "serialization",
        "orchestration",
        "runtime",
        "cli",
        "db",
        "scheduler",
        "executors",
        "supervisor",
        "dag_processing",
        "api",
        "logs",
    },
    # The API meets the scheduler only through the database, and never runs DAG files.
    "api": {"cli", "scheduler", "executors", "supervisor", "dag_processing", "runtime", "dagfiles"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_point_down(package: str) -> None:
    offenders = []
    for path in sorted((SRC / package).rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "slipstream" and len(parts) > 1 and parts[1] in FORBIDDEN[package]:
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


HEAVY = {"sqlalchemy", "fastapi", "celery", "httpx", "jinja2", "jsonschema", "croniter", "rich"}


def test_import_sdk_loads_nothing_heavy() -> None:
    loaded = _modules_after("import slipstream.sdk")
    assert not {m.split(".")[0] for m in loaded} & (HEAVY | {"pendulum", "click"})
    assert not any(m.startswith("slipstream.runtime") for m in loaded)


def test_authoring_names_load_no_web_db_or_runtime_code() -> None:
    loaded = _modules_after(
        "from slipstream.sdk import DAG, task, TaskGroup, BaseOperator, Param, chain\n"
        "from slipstream.sdk.operators.python import PythonOperator"
    )
    roots = {m.split(".")[0] for m in loaded}
    assert not roots & HEAVY
    assert not any(m.startswith(("slipstream.runtime", "slipstream.cli")) for m in loaded)
