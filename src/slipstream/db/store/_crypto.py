"""Encrypting stored secrets (variable values, connection passwords and extras) with the Fernet
key(s) of `[core] fernet_key`, and decrypting them with errors that say which value failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slipstream.core.exceptions import AirflowConfigException, AirflowException

if TYPE_CHECKING:
    from slipstream.config import Config


def encrypt(text: str, config: Config | None) -> str:
    from slipstream.config import fernet

    return fernet.encrypt(text, config)


def decrypt(token: str, what: str, config: Config | None) -> str:
    """The text of `token`; when no configured key decrypts it, `AirflowException` names `what`
    (e.g. "variable 'api_key'") and says how to fix the key."""
    from slipstream.config import fernet

    try:
        return fernet.decrypt(token, config)
    except AirflowConfigException:
        raise
    except AirflowException as err:
        raise AirflowException(f"Cannot read {what}: {err}") from None
