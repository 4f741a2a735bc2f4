"""Encrypting variables and connections with the Fernet key(s) of `[core] fernet_key`.

Several comma-separated keys enable rotation: the first encrypts, any of them decrypts, and
`rotate` re-encrypts a value with the first. There is deliberately no pass-through when no key is
set: secrets are never stored in clear by accident. `ensure_home` writes a key into a new config
file, so a normal installation always has one. `cryptography` is imported on first use.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from slipstream.core.exceptions import AirflowConfigException, AirflowException

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

    from slipstream.config.configuration import Config

_HOW_TO_SET = (
    "Set [core] fernet_key in {file} or the environment variable SLIPSTREAM__CORE__FERNET_KEY. "
    "Generate a key with: python -c "
    '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def get_fernet(config: Config | None = None) -> Fernet | MultiFernet:
    """The Fernet for `[core] fernet_key` (a `MultiFernet` when several keys are given).

    Raises `AirflowConfigException` when no key is set or a key is not a valid Fernet key.
    `config` defaults to `get_config()`.
    """
    if config is None:
        from slipstream.config.loader import get_config

        config = get_config()
    found = config.setting("core", "fernet_key")
    keys = tuple(key.strip() for key in found.value.split(",") if key.strip())
    if not keys:
        raise AirflowConfigException(
            "No fernet key is configured, so variables and connections cannot be encrypted. "
            + _HOW_TO_SET.format(file=config.config_file)
        )
    try:
        return _fernet_for(keys)
    except ValueError:
        raise AirflowConfigException(
            f"[core] fernet_key (from {found.where}) is not a valid Fernet key: each key must be "
            "32 url-safe base64-encoded bytes. " + _HOW_TO_SET.format(file=config.config_file)
        ) from None


@functools.lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> Fernet | MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    fernets = [Fernet(key.encode("ascii")) for key in keys]
    return fernets[0] if len(fernets) == 1 else MultiFernet(fernets)


def encrypt(text: str, config: Config | None = None) -> str:
    """`text` encrypted with the first configured key, as a Fernet token string."""
    return get_fernet(config).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, config: Config | None = None) -> str:
    """The text of a token made by `encrypt`, with any configured key.

    Raises `AirflowException` when no configured key can decrypt it: the value was encrypted with
    a key that is no longer configured.
    """
    from cryptography.fernet import InvalidToken

    try:
        return get_fernet(config).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise AirflowException(_changed_key_message()) from None


def rotate(token: str, config: Config | None = None) -> str:
    """The token re-encrypted with the first configured key (after adding a new key in front)."""
    from cryptography.fernet import InvalidToken, MultiFernet

    fernet = get_fernet(config)
    try:
        if isinstance(fernet, MultiFernet):
            return fernet.rotate(token.encode("ascii")).decode("ascii")
        fernet.decrypt(token.encode("ascii"))
        return token
    except (InvalidToken, UnicodeEncodeError):
        raise AirflowException(_changed_key_message()) from None


def _changed_key_message() -> str:
    return (
        "Cannot decrypt a stored value: it was encrypted with a different fernet key, so "
        "[core] fernet_key must have changed. Put the old key back, or to rotate keys set "
        "fernet_key to 'NEW_KEY,OLD_KEY' (new first) so both can decrypt."
    )
