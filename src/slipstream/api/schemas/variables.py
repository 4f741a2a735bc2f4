"""Shapes of `/api/v2/variables` (Airflow's `VariableBody`, `VariableResponse`,
`VariableCollectionResponse`)."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from slipstream.api.schemas.teams import TeamName
from slipstream.db.models import ID_LENGTH


class VariableBody(BaseModel):
    """A variable to create or update. A value that is not a string is stored as its JSON."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(max_length=ID_LENGTH)
    value: JsonValue
    description: str | None = None
    team_name: TeamName = None

    def stored_value(self) -> str:
        """The value as stored: a string as given, anything else as JSON."""
        return self.value if isinstance(self.value, str) else json.dumps(self.value)


class VariableResponse(BaseModel):
    key: str
    value: str | None
    description: str | None
    is_encrypted: bool
    team_name: str | None = None


class VariableCollectionResponse(BaseModel):
    variables: list[VariableResponse]
    total_entries: int
