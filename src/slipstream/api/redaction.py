"""Hiding secrets in what the REST API returns, as Airflow's API does: connection passwords,
the fields of connection extras whose names look sensitive, and the values of variables whose
keys look sensitive (or the sensitive fields of JSON values) read `***`.

A name looks sensitive when it contains one of the words of `core.sensitive` (Airflow's
`password`, `secret`, `api_key`, `token`, ...; the words the task log masking uses) or one of
`[core] sensitive_var_conn_names`. `[core] hide_sensitive_var_conn_fields = False` shows extras and
variable values in clear, as in Airflow; connection passwords are never shown.

Clients that read a masked value and send it back unchanged (a form that edits only the
description) must not overwrite the secret with `***`: `restore` puts the stored secret back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from slipstream.core.sensitive import MASK, SENSITIVE_WORDS, looks_sensitive, sensitive_words

if TYPE_CHECKING:
    from slipstream.config import Config


@dataclass(frozen=True)
class Redactor:
    """What to hide, from the configuration of the running API server."""

    words: frozenset[str] = SENSITIVE_WORDS
    enabled: bool = True

    @classmethod
    def from_config(cls, config: Config) -> Redactor:
        return cls(
            words=sensitive_words(config.getlist("core", "sensitive_var_conn_names")),
            enabled=config.getboolean("core", "hide_sensitive_var_conn_fields"),
        )

    def is_sensitive(self, name: str) -> bool:
        return looks_sensitive(name, self.words)

    # -- hiding ----------------------------------------------------------------------------

    def password(self, password: str | None) -> str | None:
        """Always masked: `hide_sensitive_var_conn_fields` shows extras and variables only."""
        return MASK if password else password

    def extra(self, extra: str | None) -> str | None:
        """A connection's extra with its sensitive fields masked (all of it when it is not
        JSON: nothing tells what in it is secret)."""
        if not self.enabled or not extra:
            return extra
        try:
            data = json.loads(extra)
        except ValueError:
            return MASK
        masked = self._fields(data)
        return extra if masked == data else json.dumps(masked)

    def variable_value(self, key: str, value: str | None) -> str | None:
        """A variable's value: all of it masked when the key looks sensitive (the structure of
        a JSON object or list kept), else the sensitive fields of a JSON object or list."""
        if not self.enabled or value is None:
            return value
        try:
            data = json.loads(value)
        except ValueError:
            data = value
        if not isinstance(data, dict | list):
            return MASK if self.is_sensitive(key) and value else value
        masked = self._all(data) if self.is_sensitive(key) else self._fields(data)
        return value if masked == data else json.dumps(masked)

    def json_value(self, data: Any) -> Any:
        """A JSON value (an asset's or asset event's `extra`) with what its sensitive fields
        hold masked."""
        return self._fields(data) if self.enabled else data

    def _fields(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                key: self._all(item) if self.is_sensitive(str(key)) else self._fields(item)
                for key, item in data.items()
            }
        if isinstance(data, list):
            return [self._fields(item) for item in data]
        return data

    def _all(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: self._all(item) for key, item in data.items()}
        if isinstance(data, list):
            return [self._all(item) for item in data]
        return data if data in (None, "") else MASK

    # -- putting secrets back --------------------------------------------------------------

    def restore_password(self, new: str | None, old: str | None) -> str | None:
        """`new`, or the stored password when `new` is the mask."""
        return old if new == MASK and old is not None else new

    def restore_extra(self, new: str | None, old: str | None) -> str | None:
        """`new` with masked sensitive fields taken from the stored extra (all of it when the
        stored extra is not JSON, which is shown masked whole)."""
        if not self.enabled or new is None or old is None:
            return new
        if new == MASK and _json_or_none(old) is None:
            return old
        return self._restore_json(new, old, secret=False)

    def restore_variable_value(self, key: str, new: str | None, old: str | None) -> str | None:
        """`new` with what is masked in it taken from the stored value."""
        if not self.enabled or new is None or old is None:
            return new
        secret = self.is_sensitive(key)
        if new == MASK and secret:
            return old
        return self._restore_json(new, old, secret=secret)

    def _restore_json(self, new: str, old: str, *, secret: bool) -> str:
        new_data, old_data = _json_or_none(new), _json_or_none(old)
        if not isinstance(new_data, dict | list) or not isinstance(old_data, dict | list):
            return new
        restored = self._restore(new_data, old_data, secret=secret)
        return new if restored == new_data else json.dumps(restored)

    def _restore(self, new: Any, old: Any, *, secret: bool) -> Any:
        if new == MASK and secret and old is not None:
            return old
        if isinstance(new, dict) and isinstance(old, dict):
            return {
                key: self._restore(item, old.get(key), secret=secret or self.is_sensitive(key))
                for key, item in new.items()
            }
        if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
            return [self._restore(n, o, secret=secret) for n, o in zip(new, old, strict=True)]
        return new


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def redactor_of_app(request: Request) -> Redactor:
    config = request.app.state.config
    return Redactor.from_config(config)


AppRedactor = Annotated[Redactor, Depends(redactor_of_app)]
