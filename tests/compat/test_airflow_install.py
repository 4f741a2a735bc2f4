"""`install()` in fresh interpreters: it is cheap, and it steps aside for a real Apache Airflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any


def _python(code: str, *path: Path) -> Any:
    """Run `code` in a fresh interpreter (with `path` first on sys.path); return what it printed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, path), env.get("PYTHONPATH", "")]).strip(
        os.pathsep
    )
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_importing_airflow_sdk_loads_no_heavy_module() -> None:
    loaded = _python(
        """
        import json, sys
        from slipstream.compat.airflow import install
        assert install()
        import airflow.sdk
        import airflow.operators.python
        import airflow.utils.timezone
        from airflow.sdk import TriggerRule
        heavy = ["jinja2", "pendulum", "sqlalchemy", "slipstream.sdk.dag_definition", "importlib.metadata"]
        print(json.dumps([name for name in heavy if name in sys.modules]))
        """
    )
    assert loaded == []


def test_install_steps_aside_for_a_real_airflow(tmp_path: Path) -> None:
    (tmp_path / "airflow").mkdir()
    (tmp_path / "airflow" / "__init__.py").write_text('REAL = True\n__version__ = "3.3.2"\n')
    dist_info = tmp_path / "apache_airflow-3.3.2.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: apache-airflow\nVersion: 3.3.2\n"
    )
    result = _python(
        """
        import json, sys
        from slipstream.compat.airflow import find_real_airflow, install, is_installed
        installed = install()
        import airflow
        print(json.dumps({
            "installed": installed,
            "is_installed": is_installed(),
            "real": getattr(airflow, "REAL", False),
            "found": find_real_airflow(),
        }))
        """,
        tmp_path,
    )
    assert result["installed"] is False and result["is_installed"] is False
    assert result["real"] is True
    assert result["found"].startswith("apache-airflow 3.3.2 at ")
    assert result["found"].endswith(os.path.join("airflow", "__init__.py"))


def test_an_airflow_folder_without_init_is_not_airflow(tmp_path: Path) -> None:
    (tmp_path / "airflow").mkdir()  # e.g. a DAG repository's config folder
    result = _python(
        """
        import json
        from slipstream.compat.airflow import install
        installed = install()
        from airflow.utils.state import State
        print(json.dumps({"installed": installed, "state": State.__module__}))
        """,
        tmp_path,
    )
    assert result == {"installed": True, "state": "slipstream.core.states"}


def test_install_steps_aside_for_an_imported_airflow() -> None:
    result = _python(
        """
        import json, sys, types
        sys.modules["airflow"] = types.ModuleType("airflow")
        from slipstream.compat.airflow import install
        print(json.dumps(install()))
        """
    )
    assert result is False
