"""The stand-in modules that `import airflow…` returns, and how their names resolve.

An alias module holds nothing at first. Asking it for a name (`airflow.sdk.DAG`, or
`from airflow.sdk import DAG`) looks the name up in `modules.MODULES`, imports the Slipstream module
that defines it, and caches the value in the alias module. So `import airflow.sdk` costs a dict
lookup, and a Slipstream module that is not written yet only breaks the names that need it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from slipstream.compat.airflow import errors
from slipstream.compat.airflow.modules import (
    KNOWN,
    MODULES,
    PACKAGES,
    REMOVED_NAMES,
    removed_replacement,
)


class AirflowAliasModule(ModuleType):
    """An `airflow…` module whose names are served lazily from Slipstream.

    Asking for a public name it lacks raises an `ImportError` that names it (`from x import y` then
    reports our message, not Python's generic one), so `hasattr()` on such a name raises too.
    """

    def __getattr__(self, name: str) -> Any:
        value = resolve_name(self.__name__, name)
        setattr(self, name, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *public_names(self.__name__), *_children(self.__name__)})


def public_names(module: str) -> list[str]:
    """The names `from <module> import *` gives: the table's, without private ones."""
    return [name for name in MODULES.get(module, {}) if not name.startswith("_")]


def resolve_name(module: str, name: str) -> Any:
    """The value of `module.name` for an alias module; raises an `ImportError` naming both if none.

    Private names that are not in the table raise `AttributeError`, as Python's machinery
    (`hasattr(module, "__path__")`, `copy`, `inspect`, …) expects.
    """
    source = MODULES.get(module, {}).get(name)
    if source is not None:
        return load_source(module, name, source)
    if name.startswith("_"):
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    replacement = REMOVED_NAMES.get(module, {}).get(name)
    if replacement is not None:
        raise errors.removed_name(module, name, replacement)
    child = f"{module}.{name}"
    if child in KNOWN or (module in PACKAGES and removed_replacement(child) is not None):
        # `from airflow.operators import python`: a submodule; importing it may raise the
        # finder's error for modules Airflow 3 removed.
        return importlib.import_module(child)
    if module in MODULES:
        raise errors.unsupported_name(module, name)
    # A module that only holds others (`airflow.providers`): the name must be a submodule.
    raise errors.unsupported_module(child)


def load_source(module: str, name: str, source: str) -> Any:
    """Import the Slipstream object `source` (see `modules`) that `module.name` stands for."""
    path, sep, attribute = source.partition(":")
    if not sep:
        attribute = name
    try:
        target = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        missing = exc.name or path
        if not missing.startswith("slipstream."):
            raise
        # Not written yet (Slipstream is being built module by module), or a bug that the
        # chained traceback shows.
        raise errors.unsupported_name(module, name, _not_available(missing)) from exc
    if not attribute:
        return target
    try:
        return getattr(target, attribute)
    except AttributeError as exc:
        if _is_namespace_package(target):  # a folder without `__init__.py`: no code yet
            reason = _not_available(path)
        else:
            reason = f"Slipstream's {path!r} has no {attribute!r}"
        raise errors.unsupported_name(module, name, reason) from exc


def _not_available(slipstream_module: str) -> str:
    return f"Slipstream's {slipstream_module!r} is not available"


def _is_namespace_package(module: ModuleType) -> bool:
    spec = module.__spec__
    return spec is not None and spec.origin is None and spec.submodule_search_locations is not None


def _children(module: str) -> set[str]:
    prefix = f"{module}."
    return {known[len(prefix) :].partition(".")[0] for known in KNOWN if known.startswith(prefix)}
