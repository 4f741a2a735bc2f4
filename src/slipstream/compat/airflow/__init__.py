"""`import airflow…` in DAG files, answered by Slipstream when Apache Airflow is not installed.

Call `install()` before importing DAG files; `uninstall()` undoes it. `modules.MODULES` says which
Airflow modules and names exist and where each comes from; anything else fails at import time with
an `errors.UnsupportedAirflowImportError` (an `ImportError`) that names it.
"""

from __future__ import annotations

from slipstream.compat.airflow.errors import (
    RemovedAirflowModuleError,
    RemovedAirflowNameError,
    UnsupportedAirflowImportError,
    UnsupportedAirflowModuleError,
    UnsupportedAirflowNameError,
)
from slipstream.compat.airflow.finder import find_real_airflow, install, is_installed, uninstall

__all__ = [
    "RemovedAirflowModuleError",
    "RemovedAirflowNameError",
    "UnsupportedAirflowImportError",
    "UnsupportedAirflowModuleError",
    "UnsupportedAirflowNameError",
    "find_real_airflow",
    "install",
    "is_installed",
    "uninstall",
]
