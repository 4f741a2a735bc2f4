"""Password hashing with Argon2id (argon2-cffi), so a stolen database yields no passwords."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; a missing user (`None`) never matches but costs the same."""
    dummy = _dummy_hash()  # made by the first login, whether its user exists or not
    try:
        return _hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong username costs as long as a
    wrong password and timing does not tell which usernames exist."""
    return _hasher.hash(secrets.token_urlsafe(16))


def generate_password() -> str:
    """A random password (16 URL-safe characters) for a generated user, e.g. standalone's admin."""
    return secrets.token_urlsafe(12)


def check_new_password(password: str) -> None:
    """Refuse passwords too short to be safe, with a message that says so."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Password too short: use at least {MIN_PASSWORD_LENGTH} characters")
