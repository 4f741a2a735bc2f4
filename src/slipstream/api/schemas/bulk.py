"""The bodies and responses of Airflow's bulk routes (`PATCH /api/v2/variables`, `/connections`,
`/pools`): `BulkBody[T]` holds create, update and delete actions on entities of type `T`;
`BulkResponse` says, per kind of action, which ids succeeded and what failed."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

OnExistence = Literal["fail", "skip", "overwrite"]
OnNonExistence = Literal["fail", "skip"]


class BulkCreateAction(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")

    action: Literal["create"] = Field(description="The action to be performed on the entities.")
    entities: list[T] = Field(description="A list of entities to be created.")
    action_on_existence: OnExistence = "fail"


class BulkUpdateAction(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")

    action: Literal["update"] = Field(description="The action to be performed on the entities.")
    entities: list[T] = Field(description="A list of entities to be updated.")
    update_mask: list[str] | None = None
    action_on_non_existence: OnNonExistence = "fail"


class BulkDeleteAction(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")

    action: Literal["delete"] = Field(description="The action to be performed on the entities.")
    entities: list[str | T] = Field(
        description="A list of entity id/key or entity objects to be deleted."
    )
    action_on_non_existence: OnNonExistence = "fail"


class BulkBody(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")

    actions: list[
        Annotated[
            BulkCreateAction[T] | BulkUpdateAction[T] | BulkDeleteAction[T],
            Field(discriminator="action"),
        ]
    ]


class BulkActionResponse(BaseModel):
    """The outcome of the actions of one kind: the ids done, and an error per failed action."""

    success: list[str] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)


class BulkResponse(BaseModel):
    """One `BulkActionResponse` per kind of action the request held (others are null)."""

    create: BulkActionResponse | None = None
    update: BulkActionResponse | None = None
    delete: BulkActionResponse | None = None
