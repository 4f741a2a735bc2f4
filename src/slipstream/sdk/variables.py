"""Variables: a global key/value store read by DAG code (`Variable.get`) and templates (`var`).

Values are strings; `deserialize_json=True` parses them as JSON, `serialize_json=True` stores JSON.
Where they come from (environment first, then the runtime backend) is decided in `sdk.secrets`.
"""

from __future__ import annotations

import json
from typing import Any

from slipstream.core.exceptions import AirflowNotFoundException
from slipstream.sdk import secrets
from slipstream.sdk.params import NOTSET

__all__ = ["Variable", "VariableAccessor", "VariableNotFound"]


class VariableNotFound(AirflowNotFoundException, KeyError):
    """Variable `key` is not defined anywhere: "Variable <key> does not exist".

    A `KeyError` (what Airflow 2-era DAG code catches) and an `AirflowNotFoundException`.
    """

    def __init__(self, key: str) -> None:
        super().__init__(f"Variable {key} does not exist")
        self.key = key

    def __str__(self) -> str:
        return str(self.args[0])


class Variable:
    """A variable record (`key`, `value`, `description`) and Airflow's classmethods to use them."""

    def __init__(self, key: str, value: Any = None, description: str | None = None) -> None:
        self.key = key
        self.value = value
        self.description = description

    def __repr__(self) -> str:
        return f"Variable(key={self.key!r})"

    @classmethod
    def get(
        cls,
        key: str,
        default: Any = NOTSET,
        deserialize_json: bool = False,
        default_var: Any = NOTSET,
    ) -> Any:
        """The value of `key` (parsed as JSON with `deserialize_json`).

        When no source defines it, return `default` (or the Airflow 2 spelling `default_var`) as
        given, or raise `VariableNotFound` when neither is passed.
        """
        value = secrets.get_variable(key)
        if value is None:
            if default is not NOTSET:
                return default
            if default_var is not NOTSET:
                return default_var
            raise VariableNotFound(key)
        return json.loads(value) if deserialize_json else value

    @classmethod
    def set(
        cls, key: str, value: Any, description: str | None = None, serialize_json: bool = False
    ) -> None:
        """Store `value` under `key`: as indented JSON with `serialize_json`, else `str(value)`."""
        stored = json.dumps(value, indent=2) if serialize_json else str(value)
        secrets.set_variable(key, stored, description)

    @classmethod
    def delete(cls, key: str) -> None:
        """Remove `key` from the runtime store."""
        secrets.delete_variable(key)

    @classmethod
    def setdefault(
        cls, key: str, default: Any, description: str | None = None, deserialize_json: bool = False
    ) -> Any:
        """Return `key`'s value; if it is undefined, store `default` first and return it."""
        value = cls.get(key, default=None, deserialize_json=deserialize_json)
        if value is None:
            if default is None:
                raise ValueError("Default Value must be set")
            cls.set(key, default, description=description, serialize_json=deserialize_json)
            return default
        return value


class VariableAccessor:
    """The `var.value` (`deserialize_json=False`) and `var.json` template variables.

    `{{ var.value.my_key }}`, `{{ var.value.get('my_key', 'fallback') }}`,
    `{{ var.json.cfg.field }}`.
    """

    def __init__(self, deserialize_json: bool) -> None:
        self._deserialize_json = deserialize_json

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return Variable.get(key, deserialize_json=self._deserialize_json)

    def get(self, key: str, default: Any = None, default_var: Any = NOTSET) -> Any:
        """The value of `key`, or `default` (alias `default_var`) when it is not defined."""
        if default_var is not NOTSET and default is None:
            default = default_var
        return Variable.get(key, default=default, deserialize_json=self._deserialize_json)

    def __repr__(self) -> str:
        return "<VariableAccessor (dynamic access)>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VariableAccessor)

    def __hash__(self) -> int:
        return hash(type(self).__name__)
