"""Which names hold secrets: the one list of words that makes a variable key, connection extra
field, asset extra field or setting look sensitive, wherever Slipstream hides values (the REST
API, task logs, `config list`, the CLI).

A name looks sensitive when it contains one of the words, ignoring case. The words are
Airflow's (`secrets_masker.DEFAULT_SENSITIVE_FIELDS`) and `credential`, which Slipstream has
always hidden; deployments add their own with `[core] sensitive_var_conn_names`.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"
"""What a hidden value reads as."""

SENSITIVE_WORDS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "authorization",
        "credential",
        "keyfile_dict",
        "passphrase",
        "passwd",
        "password",
        "private_key",
        "secret",
        "service_account",
        "token",
    }
)


def sensitive_words(extra: Iterable[str] = ()) -> frozenset[str]:
    """`SENSITIVE_WORDS` and the `extra` words (e.g. `[core] sensitive_var_conn_names`),
    lower-cased; blank ones are dropped (an empty word would match every name)."""
    added = {word.strip().lower() for word in extra}
    return SENSITIVE_WORDS | (added - {""})


def looks_sensitive(name: str, words: Iterable[str] = SENSITIVE_WORDS) -> bool:
    """Whether `name` contains one of `words` (they must be lower case)."""
    lowered = name.lower()
    return any(word in lowered for word in words)
