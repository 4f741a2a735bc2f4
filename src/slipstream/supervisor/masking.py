"""Hiding secrets in task logs: every connection password, and every variable value or
connection extra whose name looks sensitive, that a task reads is replaced by `***` in each log
line it writes afterwards (its prints and subprocess output included, since they are logged).

A name looks sensitive when it contains one of the words of `core.sensitive` (Airflow's
`password`, `secret`, `passwd`, `authorization`, `api_key`, `access_token`, ...) or one of
`[core] sensitive_var_conn_names`. Secrets shorter than `[logging] min_length_masked_secret`
are left alone, as in Airflow (masking "a" would garble every line).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from slipstream.core.sensitive import MASK, looks_sensitive, sensitive_words


class SecretsMasker:
    """The secrets one task has seen, and a `redact` that hides them in text."""

    def __init__(
        self,
        extra_sensitive_words: Iterable[str] = (),
        *,
        min_length: int = 5,
        enabled: bool = True,
    ) -> None:
        self.words = sensitive_words(extra_sensitive_words)
        self.min_length = min_length
        self.enabled = enabled
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def is_sensitive_name(self, name: str) -> bool:
        return looks_sensitive(name, self.words)

    def add(self, value: Any, name: str | None = None) -> None:
        """Mask `value` from now on: always when `name` is None, else when the name looks
        sensitive. Dicts and lists are searched for fields with sensitive names."""
        if not self.enabled or value is None:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if self.is_sensitive_name(str(key)):
                    self.add(item)
                elif isinstance(item, dict | list):
                    self.add(item, str(key))
            return
        if isinstance(value, list):
            for item in value:
                self.add(item, name)
            return
        if name is not None and not self.is_sensitive_name(name):
            return
        text = str(value)
        if len(text) < self.min_length:
            return
        variants = {text, quote(text, safe=""), json.dumps(text)[1:-1]}
        variants |= {line for line in text.splitlines() if len(line) >= self.min_length}
        new = variants - self._secrets
        if new:
            self._secrets |= new
            self._pattern = None

    def add_variable(self, key: str, value: str | None) -> None:
        """A variable's value is masked when its key looks sensitive; a JSON object's fields
        with sensitive names are masked whatever the key."""
        if value is None:
            return
        if self.is_sensitive_name(key):
            self.add(value)
            return
        try:
            decoded = json.loads(value)
        except (TypeError, ValueError):
            return
        if isinstance(decoded, dict | list):
            self.add(decoded, key)

    def add_connection(self, fields: dict[str, Any] | None) -> None:
        """A connection's password, and fields of its extra with sensitive names."""
        if not fields:
            return
        self.add(fields.get("password"))
        extra = fields.get("extra")
        if isinstance(extra, str) and extra:
            try:
                extra = json.loads(extra)
            except ValueError:
                return
        if isinstance(extra, dict):
            self.add(extra, "extra")

    def add_environment(self, env: Mapping[str, str]) -> None:
        """Secrets of the variables and connections defined in environment variables
        (`SLIPSTREAM_VAR_*`, `AIRFLOW_CONN_*`, ...), which tasks read without asking."""
        from slipstream.sdk.secrets import CONN_ENV_PREFIXES, VAR_ENV_PREFIXES

        if not self.enabled:
            return
        for key, value in env.items():
            if key.startswith(VAR_ENV_PREFIXES):
                prefix = next(p for p in VAR_ENV_PREFIXES if key.startswith(p))
                self.add_variable(key[len(prefix) :], value)
            elif key.startswith(CONN_ENV_PREFIXES):
                self.add_connection(_parse_connection(key, value))

    @property
    def has_secrets(self) -> bool:
        return bool(self._secrets)

    def redact(self, text: str) -> str:
        if not self._secrets or not text:
            return text
        if self._pattern is None:
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return self._pattern.sub(MASK, text)

    def redact_value(self, value: Any) -> Any:
        """`value` with secrets hidden in every string it holds."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(v) for v in value]
        return value


class MaskingFilter(logging.Filter):
    """Redacts each record's message and traceback before a handler writes it."""

    def __init__(self, masker: SecretsMasker) -> None:
        super().__init__()
        self.masker = masker
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        masker = self.masker
        if not masker.has_secrets:
            return True
        message = record.getMessage()
        redacted = masker.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = masker.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = masker.redact(record.stack_info)
        return True


def _parse_connection(key: str, value: str) -> dict[str, Any] | None:
    from slipstream.sdk.connections import Connection

    try:
        return Connection.parse(value, conn_id=key).as_dict()
    except Exception:
        return None
