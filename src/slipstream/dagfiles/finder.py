"""Finding DAG files in a folder, the way Airflow 3's DAG processor lists them.

The walk follows Airflow (``list_py_file_paths``): every ``.py`` file below the folder that no
``.airflowignore`` rule excludes (see :mod:`slipstream.dagfiles.ignore`) and, in safe mode, that
passes :func:`might_contain_dag`. Where Slipstream differs, on purpose:

- the order is deterministic: in each directory its files come first, sorted by name, then each
  sub-directory (sorted by name), depth first. Airflow uses whatever order ``os.walk`` yields.
- ``.zip`` archives are not listed (Airflow loads DAGs from zip files; Slipstream cannot yet), nor
  is any other non-``.py`` file.
- ``__pycache__`` directories are skipped, and with ``skip_hidden`` (the default) so is every
  entry whose name starts with ``.``. Airflow walks them all (``.git``, ``.venv``...) and would
  list a ``.py`` file found there. Names starting with ``_`` are *not* skipped, like Airflow.
- symlinked directories are followed, but a directory already visited (a loop, or two links to
  the same place) is skipped with a warning instead of Airflow's ``RuntimeError``.
- the safe-mode heuristic also accepts ``slipstream`` where Airflow requires ``airflow``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from slipstream.dagfiles.ignore import (
    IGNORE_FILE_NAME,
    IgnoreRule,
    IgnoreSyntax,
    is_ignored,
    normalize_syntax,
    read_ignore_file,
)

log = logging.getLogger(__name__)

EXAMPLE_DAGS_FOLDER = Path(__file__).resolve().parent.parent / "example_dags"


def might_contain_dag(path: str | os.PathLike[str]) -> bool:
    """Safe-mode heuristic: could this file define a DAG?

    True when the file's bytes, compared case-insensitively, contain ``airflow`` or
    ``slipstream``, and also ``dag`` or ``asset`` (Airflow counts asset-only files as DAG files
    too, since ``@asset`` creates a DAG). A file that cannot be read gives ``False``.
    """
    try:
        with open(path, "rb") as fh:
            content = fh.read().lower()
    except OSError as exc:
        log.warning("Cannot read %s: %s", path, exc)
        return False
    if b"airflow" not in content and b"slipstream" not in content:
        return False
    return b"dag" in content or b"asset" in content


def find_dag_files(
    folder: str | os.PathLike[str],
    *,
    ignore_file_syntax: str = "glob",
    safe_mode: bool = True,
    include_examples: bool = False,
    skip_hidden: bool = True,
) -> list[Path]:
    """List the DAG files under ``folder``.

    ``ignore_file_syntax`` is ``"glob"`` (Airflow 3's default for ``core.dag_ignore_file_syntax``)
    or ``"regexp"``; ``safe_mode`` is ``core.dag_discovery_safe_mode``. When ``folder`` is a file
    it is returned as is, unchecked (like Airflow); a missing folder gives an empty list. With
    ``include_examples`` the bundled example DAGs are listed after the folder's own files.

    Returned paths are built from ``folder`` as given (not resolved), so a relative ``folder``
    gives relative paths and a file reached through a symlinked directory keeps the link's path.
    """
    syntax = normalize_syntax(ignore_file_syntax)
    root = Path(folder)
    found: list[Path] = []
    if root.is_file():
        found.append(root)
    elif root.is_dir():
        found.extend(_walk(root, syntax, safe_mode=safe_mode, skip_hidden=skip_hidden))
    else:
        log.warning("DAGs folder %s does not exist", root)

    if include_examples and EXAMPLE_DAGS_FOLDER.is_dir():
        same = root.is_dir() and _same_dir(root, EXAMPLE_DAGS_FOLDER)
        if not same:
            found.extend(
                _walk(EXAMPLE_DAGS_FOLDER, syntax, safe_mode=safe_mode, skip_hidden=skip_hidden)
            )
    return found


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _walk(root: Path, syntax: IgnoreSyntax, *, safe_mode: bool, skip_hidden: bool) -> list[Path]:
    found: list[Path] = []
    visited: set[Path] = {root.resolve()}
    # Stack of (directory, rules inherited from its parents); popped in sorted order.
    stack: list[tuple[Path, list[IgnoreRule]]] = [(root, [])]
    while stack:
        directory, inherited = stack.pop()
        rules = list(inherited)
        ignore_file = directory / IGNORE_FILE_NAME
        if ignore_file.is_file():
            rules.extend(read_ignore_file(ignore_file, syntax=syntax, walk_root=root))

        files, subdirs = _list_dir(directory, skip_hidden=skip_hidden)
        for path in files:
            if path.suffix != ".py" or is_ignored(path, rules, is_dir=False):
                continue
            if safe_mode and not might_contain_dag(path):
                continue
            found.append(path)

        to_visit: list[Path] = []
        for path in subdirs:
            if is_ignored(path, rules, is_dir=True):
                continue
            try:
                real = path.resolve()
            except OSError as exc:
                log.warning("Cannot resolve %s: %s", path, exc)
                continue
            if real in visited:
                log.warning(
                    "Skipping %s: it leads to %s, which this walk of %s already visited",
                    path,
                    real,
                    root,
                )
                continue
            visited.add(real)
            to_visit.append(path)
        stack.extend((path, rules) for path in reversed(to_visit))
    return found


def _list_dir(directory: Path, *, skip_hidden: bool) -> tuple[list[Path], list[Path]]:
    """The regular files and the directories (symlinks followed) in ``directory``, sorted."""
    files: list[Path] = []
    subdirs: list[Path] = []
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        log.warning("Cannot list %s: %s", directory, exc)
        return files, subdirs
    for entry in entries:
        name = entry.name
        if skip_hidden and name.startswith("."):
            continue
        try:
            if entry.is_dir():
                if name != "__pycache__":
                    subdirs.append(directory / name)
            elif entry.is_file():
                files.append(directory / name)
        except OSError as exc:
            log.warning("Cannot examine %s: %s", entry.path, exc)
    return files, subdirs
