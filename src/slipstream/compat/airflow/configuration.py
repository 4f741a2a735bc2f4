"""`airflow.configuration.conf` for DAG files: a read-only view of the environment.

DAG files read a handful of settings (`conf.get("core", "default_timezone")`,
`conf.getboolean("core", "load_examples")`, …). Values come from `SLIPSTREAM__<SECTION>__<KEY>`,
then Airflow's own `AIRFLOW__<SECTION>__<KEY>`, then the few defaults below, read at call time.
"""

from __future__ import annotations

import os
from typing import Any

from slipstream.core.exceptions import AirflowConfigException

DEFAULTS: dict[str, dict[str, str]] = {
    "core": {
        "default_timezone": "utc",
        "load_examples": "False",
        "dags_are_paused_at_creation": "True",
        "max_active_runs_per_dag": "16",
        "max_active_tasks_per_dag": "16",
        "default_task_retries": "0",
    },
    "api": {"base_url": "http://localhost:8080"},
}

_MISSING = object()
_TRUE = frozenset({"true", "t", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "f", "0", "no", "n", "off"})


class SlipstreamConfig:
    """The subset of Airflow's `AirflowConfigParser` that DAG files call."""

    def get(self, section: str, key: str, fallback: object = _MISSING, **_: object) -> str | None:
        """The setting as a string; `fallback` if unset, else `AirflowConfigException`."""
        value = self._lookup(section, key)
        if value is not None:
            return value
        fallback = self._fallback(section, key, fallback)
        return None if fallback is None else str(fallback)

    def getboolean(self, section: str, key: str, fallback: object = _MISSING, **_: object) -> bool:
        value = self._lookup(section, key)
        if value is None:
            return self._fallback(section, key, fallback)
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise AirflowConfigException(
            f"The value for [{section}] {key} should be a boolean, but was {value!r}"
        )

    def getint(self, section: str, key: str, fallback: object = _MISSING, **_: object) -> int:
        value = self._lookup(section, key)
        if value is None:
            return self._fallback(section, key, fallback)
        try:
            return int(value)
        except ValueError:
            raise AirflowConfigException(
                f"The value for [{section}] {key} should be an integer, but was {value!r}"
            ) from None

    def getfloat(self, section: str, key: str, fallback: object = _MISSING, **_: object) -> float:
        value = self._lookup(section, key)
        if value is None:
            return self._fallback(section, key, fallback)
        try:
            return float(value)
        except ValueError:
            raise AirflowConfigException(
                f"The value for [{section}] {key} should be a number, but was {value!r}"
            ) from None

    def has_option(self, section: str, key: str) -> bool:
        return self._lookup(section, key) is not None

    def _lookup(self, section: str, key: str) -> str | None:
        suffix = f"__{section.upper()}__{key.upper()}"
        for prefix in ("SLIPSTREAM", "AIRFLOW"):
            value = os.environ.get(prefix + suffix)
            if value is not None:
                return value
        return DEFAULTS.get(section.lower(), {}).get(key.lower())

    def _fallback(self, section: str, key: str, fallback: object) -> Any:
        if fallback is _MISSING:
            raise AirflowConfigException(f"section/key [{section}/{key}] not found in config")
        return fallback


conf = SlipstreamConfig()
