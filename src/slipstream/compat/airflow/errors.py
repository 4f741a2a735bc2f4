"""The errors an `airflow…` import raises when Slipstream cannot honour it.

Every one of them is an `ImportError` (the module-level ones a `ModuleNotFoundError`), so DAG files
that guard optional imports with `try: … except ImportError:` keep working, and every message names
the exact Airflow module or name. Code that reports broken DAG files recognises them by the base
class, `UnsupportedAirflowImportError`, and reads the attributes instead of parsing the message.
"""

from __future__ import annotations


class UnsupportedAirflowImportError(ImportError):
    """An `airflow…` import that Slipstream does not support.

    Attributes:
        airflow_module: the Airflow module imported, or imported from (`"airflow.models"`).
        airflow_name: the name imported from it, or `None` when the module itself is unsupported.
        replacement: for things Airflow 3 itself removed, what to use instead; else `None`.
    """

    def __init__(
        self,
        message: str,
        *,
        airflow_module: str | None = None,
        airflow_name: str | None = None,
        replacement: str | None = None,
    ) -> None:
        super().__init__(message, name=airflow_module)
        self.airflow_module = airflow_module
        self.airflow_name = airflow_name
        self.replacement = replacement


class UnsupportedAirflowModuleError(UnsupportedAirflowImportError, ModuleNotFoundError):
    """`import airflow.x` or `from airflow.x import …` where Slipstream has no `airflow.x`."""


class UnsupportedAirflowNameError(UnsupportedAirflowImportError):
    """`from airflow.x import Y` where Slipstream has `airflow.x` but not (yet) `Y`."""


class RemovedAirflowModuleError(UnsupportedAirflowModuleError):
    """A module Airflow 3 itself removed; the message names what replaced it."""


class RemovedAirflowNameError(UnsupportedAirflowNameError):
    """A name Airflow 3 removed from a module it kept; the message names the replacement."""


def unsupported_module(module: str) -> UnsupportedAirflowModuleError:
    return UnsupportedAirflowModuleError(
        f"Slipstream does not support the Airflow module {module!r} (yet)", airflow_module=module
    )


def unsupported_name(
    module: str, name: str, reason: str | None = None
) -> UnsupportedAirflowNameError:
    message = f"Slipstream does not support {name!r} from {module!r} (yet)"
    if reason:
        message = f"{message}: {reason}"
    return UnsupportedAirflowNameError(message, airflow_module=module, airflow_name=name)


def removed_module(module: str, replacement: str) -> RemovedAirflowModuleError:
    return RemovedAirflowModuleError(
        f"Airflow 3 removed the module {module!r} and Slipstream runs Airflow 3 DAG files: "
        f"use {replacement} instead",
        airflow_module=module,
        replacement=replacement,
    )


def removed_name(module: str, name: str, replacement: str) -> RemovedAirflowNameError:
    return RemovedAirflowNameError(
        f"Airflow 3 removed {name!r} from {module!r} and Slipstream runs Airflow 3 DAG files: "
        f"use {replacement} instead",
        airflow_module=module,
        airflow_name=name,
        replacement=replacement,
    )
