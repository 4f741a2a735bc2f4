"""Importing one DAG file in isolation and turning any failure into a :class:`FileLoadError`.

Like Airflow's DagBag, each file is executed as a fresh module named
``unusual_prefix_<sha1 of the file's absolute path>_<file stem>``, so two ``dag.py`` files in
different folders never collide and re-loading a file replaces its previous module.

Decisions worth knowing:

- ``sys.modules``: the module is registered under its name *before* it runs (``dataclasses``,
  ``pickle`` and ``typing.get_type_hints`` look it up there). After a successful load it is kept
  there (objects defined in the file stay importable/picklable by reference); after a failed one
  it is removed, as Python's own import system does. Loading the same file again first drops the
  old module.
- ``sys.path``: the DAGs folder (``dags_folder``), when given, is *appended* to ``sys.path`` and
  left there, as Airflow does for its DAGS_FOLDER at start-up, so ``import common.utils`` works
  from any DAG file and from task code run later. The DAG file's own directory is put at the
  *front* of ``sys.path`` only while the file executes (what ``python dag_file.py`` does), so a
  sibling ``helpers.py`` imports. Helper modules imported that way are cached in
  ``sys.modules`` under their plain names: two different ``helpers.py`` in two folders cannot
  both be loaded in one process, and an edited helper is not re-read (Airflow has the same
  limits within one parsing process).
- exceptions: everything raised while the file executes is caught, ``SyntaxError`` and
  ``SystemExit`` included, except ``KeyboardInterrupt``, which propagates after clean-up.
- warnings: every warning issued while the file executes is recorded (action ``"default"``:
  once per place, whatever filters are active, so ``-W error`` cannot turn a
  ``DeprecationWarning`` into an import error) and returned as
  ``"<file>:<line>: <Category>: <message>"`` strings, Airflow's format. They are not re-emitted.
- bytecode caching is left to Python (``__pycache__`` next to the file, unless
  ``sys.dont_write_bytecode``), so a ``SyntaxWarning`` of the compiler shows on the first load
  of a file only.
- loads are serialised by a process-wide lock because ``sys.path``, ``sys.modules`` and the
  warning filters are process-wide.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import threading
import time
import traceback as tb_module
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType

MODULE_NAME_PREFIX = "unusual_prefix_"

_LOAD_LOCK = threading.RLock()


@dataclass(frozen=True, slots=True)
class FileLoadError:
    """Why a DAG file could not be imported.

    ``lineno`` is the line *of the DAG file* where the error surfaced: the line of a syntax
    error in the file itself, otherwise that of the deepest traceback frame executing the file
    (e.g. the ``import helpers`` line when ``helpers.py`` is broken). ``None`` when no line of
    the file was involved (e.g. the file could not be read). ``message`` is one line,
    ``"<ExceptionType>: <text>"`` — what Airflow shows after ``Broken DAG: [<file>]``.
    ``traceback`` is the formatted traceback, starting at the DAG file's first frame (the
    loader's own frames are dropped).
    """

    filename: str
    lineno: int | None
    message: str
    traceback: str

    def __str__(self) -> str:
        return f"Broken DAG: [{self.filename}] {self.message}"


@dataclass(slots=True)
class LoadedFile:
    """The outcome of :func:`load_module`: a module, or an error, plus what happened on the way.

    It unpacks as ``module, error = load_module(path)`` for callers that need nothing else.
    """

    path: Path
    module_name: str
    module: ModuleType | None
    error: FileLoadError | None
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def __iter__(self) -> Iterator[ModuleType | FileLoadError | None]:
        return iter((self.module, self.error))


def unique_module_name(path: str | os.PathLike[str]) -> str:
    """``unusual_prefix_<sha1 of the absolute path>_<stem with . and - as _>``, as Airflow names
    DAG modules."""
    text = os.path.abspath(path)
    digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    stem = re.sub(r"[.-]", "_", Path(text).stem)
    return f"{MODULE_NAME_PREFIX}{digest}_{stem}"


def load_module(
    path: str | os.PathLike[str],
    *,
    module_name: str | None = None,
    dags_folder: str | os.PathLike[str] | None = None,
) -> LoadedFile:
    """Import the DAG file at ``path`` as a new module; never raises except ``KeyboardInterrupt``.

    ``module_name`` overrides the generated :func:`unique_module_name`. ``dags_folder`` is the
    root of the DAGs folder, appended to ``sys.path`` for good (see the module docs).
    """
    filename = os.path.abspath(path)
    name = module_name or unique_module_name(filename)
    with _LOAD_LOCK:
        if dags_folder is not None:
            root = os.path.abspath(dags_folder)
            if root not in sys.path:
                sys.path.append(root)
        file_dir = os.path.dirname(filename)
        added_dir = file_dir not in sys.path
        if added_dir:
            sys.path.insert(0, file_dir)

        sys.modules.pop(name, None)
        module: ModuleType | None = None
        error: FileLoadError | None = None
        started = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                try:
                    module = _execute(name, filename)
                except KeyboardInterrupt:
                    _forget(name)
                    raise
                except BaseException as exc:
                    _forget(name)
                    error = _describe(exc, filename)
        finally:
            duration = time.perf_counter() - started
            if added_dir:
                _remove_one(sys.path, file_dir)
        return LoadedFile(
            path=Path(filename),
            module_name=name,
            module=module,
            error=error,
            warnings=[_format_warning(w) for w in caught],
            duration_s=duration,
        )


def _execute(name: str, filename: str) -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(name, filename)
    spec = importlib.util.spec_from_loader(name, loader)
    if spec is None:  # pragma: no cover - SourceFileLoader always gives a spec
        raise ImportError(f"cannot create a module spec for {filename}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def _forget(name: str) -> None:
    sys.modules.pop(name, None)


def _remove_one(items: list[str], value: str) -> None:
    try:
        items.remove(value)
    except ValueError:  # the DAG file removed it itself
        pass


def _describe(exc: BaseException, filename: str) -> FileLoadError:
    frames = _frames_from(exc.__traceback__, filename)
    lineno: int | None = None
    if isinstance(exc, SyntaxError) and _same_file(exc.filename, filename):
        lineno = exc.lineno
    else:
        tb = frames
        while tb is not None:
            if _same_file(tb.tb_frame.f_code.co_filename, filename):
                lineno = tb.tb_lineno
            tb = tb.tb_next
    text = "".join(tb_module.format_exception(type(exc), exc, frames)).rstrip("\n")
    return FileLoadError(
        filename=filename, lineno=lineno, message=_one_line(exc), traceback=text + "\n"
    )


def _frames_from(tb: TracebackType | None, filename: str) -> TracebackType | None:
    """The traceback from the DAG file's first frame on (``None`` if it has none)."""
    while tb is not None and not _same_file(tb.tb_frame.f_code.co_filename, filename):
        tb = tb.tb_next
    return tb


def _same_file(candidate: str | None, filename: str) -> bool:
    return candidate is not None and os.path.abspath(candidate) == filename


def _one_line(exc: BaseException) -> str:
    kind = type(exc)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    text = str(exc).strip()
    if not text:
        return name
    return f"{name}: {' '.join(text.split())}"


def _format_warning(message: warnings.WarningMessage) -> str:
    category = message.category.__name__
    if message.category.__module__ != "builtins":
        category = f"{message.category.__module__}.{category}"
    return f"{message.filename}:{message.lineno}: {category}: {message.message}"
