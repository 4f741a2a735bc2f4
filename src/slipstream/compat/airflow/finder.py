"""The import hook that answers `import airflow…` with Slipstream's alias modules.

`install()` puts one `AirflowAliasFinder` first on `sys.meta_path`, unless Apache Airflow itself
is importable: then DAG files get the real thing and `install()` does nothing. "Importable" means
that `importlib.util.find_spec("airflow")` finds a regular package (Airflow is one); a stray
`airflow.py`, or an `airflow/` folder without `__init__.py` in a DAG repository, is not Airflow and
is shadowed by the finder. Installed distribution metadata is only used to describe what was
found (`find_real_airflow()`), never to decide.

The finder claims every `airflow` and `airflow.…` name: known ones get an alias module (a package
when it has submodules, so `import airflow.providers.standard.operators.python` walks down as
usual); for anything else it raises a `ModuleNotFoundError` subclass naming the module the DAG file
asked for — never a silent empty module. (So `importlib.util.find_spec("airflow.providers.x")`
raises that error too, instead of returning None.)
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import threading
from importlib.machinery import ModuleSpec
from types import FrameType, ModuleType

from slipstream.compat.airflow import errors
from slipstream.compat.airflow.alias import AirflowAliasModule, public_names
from slipstream.compat.airflow.modules import KNOWN, PACKAGES, removed_replacement

_ORIGIN = "slipstream"
_LOCK = threading.Lock()


class AirflowAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A `sys.meta_path` finder and loader for the `airflow` namespace."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != "airflow" and not fullname.startswith("airflow."):
            return None
        if fullname in KNOWN:
            return ModuleSpec(fullname, self, origin=_ORIGIN, is_package=fullname in PACKAGES)
        requested = _requested_module(fullname)
        replacement = removed_replacement(requested)
        if replacement is not None:
            raise errors.removed_module(requested, replacement)
        raise errors.unsupported_module(requested)

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return AirflowAliasModule(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        module.__doc__ = f"Slipstream's stand-in for Airflow's {module.__name__!r}."
        setattr(module, "__all__", public_names(module.__name__))


def install() -> bool:
    """Make `import airflow…` resolve to Slipstream; return whether the finder is active.

    Idempotent. Does nothing (and returns False) when Apache Airflow itself is importable.
    """
    with _LOCK:
        if is_installed():
            return True
        if find_real_airflow() is not None:
            return False
        sys.meta_path.insert(0, AirflowAliasFinder())
        return True


def uninstall() -> None:
    """Remove the finder and forget every alias module imported so far. Idempotent.

    Objects DAG files already got from Slipstream stay valid; only the `airflow…` entries of
    `sys.modules` go, so a later `install()` starts afresh.
    """
    with _LOCK:
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, AirflowAliasFinder)]
        for name, module in list(sys.modules.items()):
            if isinstance(module, AirflowAliasModule):
                del sys.modules[name]


def is_installed() -> bool:
    return any(isinstance(finder, AirflowAliasFinder) for finder in sys.meta_path)


def find_real_airflow() -> str | None:
    """Describe the Apache Airflow that `import airflow` would load, or None if there is none.

    Call it while the finder is not installed (it is then the import system's own answer).
    """
    module = sys.modules.get("airflow")
    if isinstance(module, AirflowAliasModule):
        return None
    if module is not None:  # already imported: that is what DAG files will get
        return f"{_distribution_version()} at {getattr(module, '__file__', None) or 'sys.modules'}"
    spec = importlib.util.find_spec("airflow")
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return None
    return f"{_distribution_version()} at {spec.origin}"


def _distribution_version() -> str:
    from importlib import metadata

    for distribution in ("apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk"):
        try:
            return f"{distribution} {metadata.version(distribution)}"
        except metadata.PackageNotFoundError:
            continue
    return "an 'airflow' package"


def _requested_module(fullname: str) -> str:
    """The module the running import statement asked for, of which `fullname` is a parent.

    Python imports `airflow.providers.amazon` before `airflow.providers.amazon.aws.hooks.s3`,
    so the first unknown name is often a parent of what the DAG file wrote; the frames of
    `importlib._bootstrap._find_and_load` still in progress tell which. Falls back to `fullname`.
    """
    requested = fullname
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if (
            frame.f_code.co_name == "_find_and_load"
            and frame.f_globals.get("__name__") == "importlib._bootstrap"
        ):
            name = frame.f_locals.get("name")
            if not isinstance(name, str):
                break
            if name.startswith(f"{requested}."):
                requested = name
            elif name != requested:
                break
        frame = frame.f_back
    return requested
