"""JWT access tokens (PyJWT, HS512): what `POST /auth/token` hands out and every API route
checks. A token names its user and role and expires after `[api_auth] jwt_expiration_time`.

PyJWT is imported by the first token made or read, not with the API server: it loads
`cryptography` (for algorithms HS512 does not use), about 25 ms the server's start need not wait
for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slipstream.config import Config

log = logging.getLogger(__name__)

ALGORITHM = "HS512"
AUDIENCE = "urn:slipstream:api"


class TokenError(Exception):
    """The token is missing, malformed, forged or expired (the message says which)."""


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    expiration: dt.timedelta
    leeway: dt.timedelta

    @classmethod
    def from_config(cls, config: Config) -> TokenSettings:
        secret = config.get("api_auth", "jwt_secret") or config.get("api", "secret_key")
        if not secret:
            log.warning(
                "No [api_auth] jwt_secret or [api] secret_key is set: tokens are signed with a "
                "key of this process only and stop working when it restarts"
            )
            secret = secrets.token_urlsafe(32)
        return cls(
            # Derived, so the signing key differs from the raw secret used elsewhere.
            secret=hashlib.sha512(f"slipstream-jwt:{secret}".encode()).hexdigest(),
            expiration=dt.timedelta(seconds=config.getint("api_auth", "jwt_expiration_time")),
            leeway=dt.timedelta(seconds=config.getint("api_auth", "jwt_leeway")),
        )


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    expires_at: dt.datetime


def issue_token(
    settings: TokenSettings, username: str, role: str, *, now: dt.datetime | None = None
) -> str:
    import jwt

    now = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": username,
        "role": role,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + settings.expiration,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret, algorithm=ALGORITHM)


def read_token(settings: TokenSettings, token: str) -> TokenClaims:
    """The claims of a valid token; `TokenError` for anything else."""
    import jwt

    try:
        claims = jwt.decode(
            token,
            settings.secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            leeway=settings.leeway,
            options={"require": ["sub", "exp", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("Token expired") from None
    except jwt.InvalidTokenError:
        raise TokenError("Invalid JWT token") from None
    return TokenClaims(
        username=str(claims["sub"]),
        role=str(claims["role"]),
        expires_at=dt.datetime.fromtimestamp(claims["exp"], dt.UTC),
    )
