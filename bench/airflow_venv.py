"""Apache Airflow for side-by-side comparisons, in its own venv (bench/.airflow-venv).

Installed from PyPI on first use; Slipstream never depends on it. The version is pinned
(`AIRFLOW_VERSION`, default 3.3.2, the version of the brief's reference figures); when the
registry lacks that exact version, the newest 3.x it has is installed instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VENV = Path(os.environ.get("AIRFLOW_BENCH_VENV", BENCH / ".airflow-venv"))
VERSION = os.environ.get("AIRFLOW_VERSION", "3.3.2")


def airflow_bin() -> Path:
    return VENV / "bin" / "airflow"


def airflow_python() -> Path:
    return VENV / "bin" / "python"


def ensure_airflow() -> str:
    """The installed Airflow's version, installing it first if needed."""
    if not airflow_bin().exists():
        print(f"Installing apache-airflow[postgres]=={VERSION} into {VENV} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
        log = VENV / "install.log"
        with open(log, "w") as out:
            done = subprocess.run(
                [*pip, f"apache-airflow[postgres]=={VERSION}"], stdout=out, stderr=out
            )
            if done.returncode != 0:
                print(f"{VERSION} not installable; trying the newest 3.x", file=sys.stderr)
                subprocess.run(
                    [*pip, "apache-airflow[postgres]>=3,<4"], stdout=out, stderr=out, check=True
                )
    version = subprocess.run(
        [str(airflow_python()), "-c", "import airflow; print(airflow.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return version


if __name__ == "__main__":
    print(ensure_airflow())
