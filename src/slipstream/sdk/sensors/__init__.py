"""Sensors: tasks that wait for a condition (a file, a time, a callable) before succeeding.

`BaseSensorOperator` and `PokeReturnValue` load on first use, like the rest of `slipstream.sdk`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BaseSensorOperator": "slipstream.sdk.sensors.base",
    "PokeReturnValue": "slipstream.sdk.sensors.base",
    "poke_mode_only": "slipstream.sdk.sensors.base",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
