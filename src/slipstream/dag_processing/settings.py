"""The settings the DAG processor reads, gathered once from the configuration.

| setting | meaning |
|---|---|
| `[core] dags_folder` | the folder (or single file) to parse |
| `[core] load_examples` | parse the bundled example DAGs too |
| `[core] dag_discovery_safe_mode`, `dag_ignore_file_syntax` | which files count |
| `[core] dagbag_import_timeout` | wall-clock seconds one file may take; then its child is killed |
| `[core] dags_are_paused_at_creation` | pause flag of new DAGs without `is_paused_upon_creation` |
| `[dag_processor] parsing_processes` | files parsed at once, one child process each |
| `[dag_processor] min_file_process_interval` | unchanged files are parsed again this often |
| `[dag_processor] refresh_interval` | longest time between two listings of the folder |
| `[dag_processor] file_parsing_memory_limit_mb` | address-space limit of a child (0: none) |
| `[dag_processor] file_watcher` | `auto` (inotify on Linux, else polling), `inotify` or `poll` |
| `[dag_processor] file_poll_interval` | seconds between stat scans when polling |

The last three are Slipstream's own; `[scheduler]` spellings of the Airflow 2 names are accepted
by the configuration itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MEMORY_LIMIT_MB = 2048
DEFAULT_POLL_INTERVAL_S = 1.0


@dataclass(frozen=True)
class ProcessorSettings:
    dags_folder: Path
    load_examples: bool = False
    safe_mode: bool = True
    ignore_file_syntax: str = "glob"
    import_timeout_s: float = 30.0
    paused_at_creation: bool = True
    parsing_processes: int = 2
    min_file_process_interval_s: float = 30.0
    refresh_interval_s: float = 300.0
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB
    file_watcher: str = "auto"
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S

    @classmethod
    def from_config(
        cls, config: Any, *, dags_folder: str | os.PathLike[str] | None = None
    ) -> ProcessorSettings:
        """Read the settings from a `slipstream.config.Config` (`dags_folder` overrides)."""
        section = "dag_processor"
        folder = (
            Path(dags_folder) if dags_folder is not None else config.getpath("core", "dags_folder")
        )
        return cls(
            dags_folder=Path(os.path.abspath(folder)),
            load_examples=config.getboolean("core", "load_examples", fallback=False),
            safe_mode=config.getboolean("core", "dag_discovery_safe_mode", fallback=True),
            ignore_file_syntax=config.get("core", "dag_ignore_file_syntax", fallback="glob"),
            import_timeout_s=config.getfloat("core", "dagbag_import_timeout", fallback=30.0),
            paused_at_creation=config.getboolean(
                "core", "dags_are_paused_at_creation", fallback=True
            ),
            parsing_processes=config.getint(section, "parsing_processes", fallback=2),
            min_file_process_interval_s=config.getfloat(
                section, "min_file_process_interval", fallback=30.0
            ),
            refresh_interval_s=config.getfloat(section, "refresh_interval", fallback=300.0),
            memory_limit_mb=config.getint(
                section, "file_parsing_memory_limit_mb", fallback=DEFAULT_MEMORY_LIMIT_MB
            ),
            file_watcher=config.get(section, "file_watcher", fallback="auto"),
            poll_interval_s=config.getfloat(
                section, "file_poll_interval", fallback=DEFAULT_POLL_INTERVAL_S
            ),
        )
