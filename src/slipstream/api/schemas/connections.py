"""Shapes of `/api/v2/connections` (Airflow's `ConnectionBody`, `ConnectionResponse`,
`ConnectionCollectionResponse`, `ConnectionTestResponse` and the queued-test shapes)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from slipstream.api.schemas.teams import TeamName

CONNECTION_ID_LENGTH = 200
CONNECTION_ID_PATTERN = r"^[\w.-]+$"

FIELDS = ("conn_type", "description", "host", "login", "schema", "port", "password", "extra")
"""The fields of a connection besides its id, by their API names."""


class ConnectionBody(BaseModel):
    """A connection to create, update or test. `extra` is a JSON object as a string."""

    model_config = ConfigDict(extra="forbid")

    connection_id: str = Field(max_length=CONNECTION_ID_LENGTH, pattern=CONNECTION_ID_PATTERN)
    conn_type: str = Field(min_length=1)
    description: str | None = None
    host: str | None = None
    login: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    port: int | None = Field(default=None, ge=0, le=65535)
    password: str | None = None
    extra: str | None = None
    team_name: TeamName = None

    @field_validator("extra")
    @classmethod
    def _extra_is_a_json_object(cls, extra: str | None) -> str | None:
        if extra is None:
            return None
        if extra == "":
            return "{}"  # as Airflow reads an empty extra
        try:
            data = json.loads(extra)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ValueError('extra must be a JSON object as a string, e.g. "{\\"key\\": 1}"')
        return extra

    def given_fields(self) -> dict[str, Any]:
        """The connection fields the body sets, by API name (`schema`, not `schema_`)."""
        given = self.model_dump(by_alias=True, include=self.model_fields_set)
        return {name: value for name, value in given.items() if name in FIELDS}


class ConnectionResponse(BaseModel):
    """A connection with its password and the secret fields of its extra masked."""

    connection_id: str
    conn_type: str
    description: str | None
    host: str | None
    login: str | None
    schema_: str | None = Field(alias="schema")
    port: int | None
    password: str | None
    extra: str | None
    team_name: str | None = None


class ConnectionCollectionResponse(BaseModel):
    connections: list[ConnectionResponse]
    total_entries: int


class ConnectionTestResponse(BaseModel):
    status: bool
    message: str


class ConnectionTestRequestBody(ConnectionBody):
    """A connection test to run on a worker (`POST /connections/enqueue-test`)."""

    commit_on_success: bool = False
    executor: str | None = None
    queue: str | None = None
