"""Where the log of each task try lives: Airflow's layout under `[logging] base_log_folder`,
`dag_id=<dag>/run_id=<run>/task_id=<task>/[map_index=<i>/]attempt=<try>.log`.

The supervisor (`supervisor/log_files.py`) writes to this path and the API reads from it; a
test checks both compute the same path.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["try_log_path"]


def try_log_path(
    base_log_folder: str | os.PathLike[str],
    *,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    try_number: int,
) -> Path:
    """The log file of one try."""
    path = Path(base_log_folder) / f"dag_id={_part(dag_id)}" / f"run_id={_part(run_id)}"
    path /= f"task_id={_part(task_id)}"
    if map_index >= 0:
        path /= f"map_index={map_index}"
    return path / f"attempt={try_number}.log"


def _part(value: str) -> str:
    """A path component: separators in ids must not make folders."""
    return value.replace(os.sep, "_").replace("\0", "_")
