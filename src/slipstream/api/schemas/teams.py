"""`team_name`, which Airflow's bodies accept for its multi-team mode: Slipstream has no teams,
so a body naming one is refused (as Airflow refuses it when `[core] multi_team` is off) and
responses always say `null`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

TEAM_NAME_LENGTH = 50


def refuse_team(team_name: str | None) -> str | None:
    if team_name is not None:
        raise ValueError(
            "team_name cannot be set: Slipstream has no multi-team mode ([core] multi_team)"
        )
    return team_name


TeamName = Annotated[str | None, Field(max_length=TEAM_NAME_LENGTH), AfterValidator(refuse_team)]
"""The `team_name` field of a request body."""
