"""The few settings the CLI needs before the configuration system exists: home and DAGs folder."""

from __future__ import annotations

import os
from pathlib import Path


def slipstream_home() -> Path:
    """`SLIPSTREAM_HOME`, default `~/slipstream`."""
    return Path(os.environ.get("SLIPSTREAM_HOME") or Path.home() / "slipstream").expanduser()


def dags_folder() -> Path:
    """`SLIPSTREAM__CORE__DAGS_FOLDER` (or Airflow's `AIRFLOW__CORE__DAGS_FOLDER`), default
    `$SLIPSTREAM_HOME/dags`."""
    for name in ("SLIPSTREAM__CORE__DAGS_FOLDER", "AIRFLOW__CORE__DAGS_FOLDER"):
        value = os.environ.get(name)
        if value:
            return Path(value).expanduser()
    return slipstream_home() / "dags"
