"""Shapes of `/ui/users`, the web UI's user administration. A user is shown without their
password hash; passwords are only ever written."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from slipstream.api.auth.passwords import MIN_PASSWORD_LENGTH
from slipstream.db.models import ID_LENGTH

RoleName = Literal["admin", "op", "user", "viewer"]

USERNAME_PATTERN = r"^[\w.@+-]+$"
"""Letters, digits and `_ . @ + -`: a username is part of URLs and needs no quoting."""

Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=1000,
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Never returned.",
    ),
]


class UserResponse(BaseModel):
    """A user as the admin page shows them."""

    username: str
    role: str
    email: str | None
    first_name: str | None
    last_name: str | None
    active: bool
    created_at: dt.datetime
    last_login: dt.datetime | None


class UserCollectionResponse(BaseModel):
    users: list[UserResponse]
    total_entries: int


class UserBody(BaseModel):
    """A user to create."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=ID_LENGTH, pattern=USERNAME_PATTERN)
    role: RoleName
    password: Password
    email: str | None = Field(default=None, max_length=500)
    first_name: str | None = Field(default=None, max_length=256)
    last_name: str | None = Field(default=None, max_length=256)


class UserPatchBody(BaseModel):
    """What to change of a user; fields left out (or null) stay as they are."""

    model_config = ConfigDict(extra="forbid")

    role: RoleName | None = None
    password: Password | None = None
    active: bool | None = None
