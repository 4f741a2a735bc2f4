"""Settings the CLI reads often, from the configuration (file + environment)."""

from __future__ import annotations

from pathlib import Path


def slipstream_home() -> Path:
    """`SLIPSTREAM_HOME`, default `~/slipstream`."""
    from slipstream.config import slipstream_home as home

    return Path(home())


def dags_folder() -> Path:
    """`core.dags_folder` (env `SLIPSTREAM__CORE__DAGS_FOLDER`, or Airflow's
    `AIRFLOW__CORE__DAGS_FOLDER`), default `$SLIPSTREAM_HOME/dags`."""
    from slipstream.config import get_config

    return Path(get_config().getpath("core", "dags_folder"))
