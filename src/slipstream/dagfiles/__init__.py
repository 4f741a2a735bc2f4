"""Finding DAG files in a folder (honouring ``.airflowignore``) and importing them one by one.

- :func:`find_dag_files` / :func:`might_contain_dag` — :mod:`slipstream.dagfiles.finder`
- :func:`load_module` → :class:`LoadedFile` / :class:`FileLoadError` —
  :mod:`slipstream.dagfiles.module_loader`
- the ignore-file rules themselves — :mod:`slipstream.dagfiles.ignore`
"""

from __future__ import annotations

from slipstream.dagfiles.finder import find_dag_files, might_contain_dag
from slipstream.dagfiles.module_loader import (
    FileLoadError,
    LoadedFile,
    load_module,
    unique_module_name,
)

__all__ = [
    "FileLoadError",
    "LoadedFile",
    "find_dag_files",
    "load_module",
    "might_contain_dag",
    "unique_module_name",
]
