"""Running a bulk request's actions as Airflow does: in order, each action done whole or not at
all (a savepoint each), its failure reported in the response (`{"error", "status_code"}`)
instead of failing the request, so one bad action leaves the others applied.

A resource gives one handler per kind of action (`Handlers`); a handler returns the ids it
changed and raises to fail its action. `to_create` and `to_change` apply `action_on_existence`
and `action_on_non_existence` the same way for every resource; `Changes` builds the three
handlers from a resource's writes of one entity (variables, connections, pools).
"""

from __future__ import annotations

import abc
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from fastapi import HTTPException, status
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slipstream.api.schemas.bulk import (
    BulkActionResponse,
    BulkCreateAction,
    BulkDeleteAction,
    BulkResponse,
    BulkUpdateAction,
)
from slipstream.core.exceptions import AirflowException, AirflowNotFoundException
from slipstream.db.store import AlreadyExistsError

E = TypeVar("E")
B = TypeVar("B")
Existing = Callable[[list[str]], set[str]]
"""Which of the given ids exist."""


class Handlers(Protocol):
    """What runs each kind of action of a resource; each returns the ids it changed."""

    def create_all(self, action: Any) -> list[str]: ...

    def update_all(self, action: Any) -> list[str]: ...

    def delete_all(self, action: Any) -> list[str]: ...


def run_actions(
    session: Session,
    actions: Sequence[BulkCreateAction[Any] | BulkUpdateAction[Any] | BulkDeleteAction[Any]],
    handlers: Handlers,
) -> BulkResponse:
    """Run `actions` in `session`'s transaction; what each kind of action did or why not."""
    by_kind = {
        "create": handlers.create_all,
        "update": handlers.update_all,
        "delete": handlers.delete_all,
    }
    results: dict[str, BulkActionResponse] = {}
    for action in actions:
        result = results.setdefault(action.action, BulkActionResponse())
        try:
            with session.begin_nested():
                done = by_kind[action.action](action)
        except (HTTPException, AirflowException, IntegrityError, ValidationError) as err:
            code, detail = _status_of(err)
            result.errors.append({"error": detail, "status_code": code})
        else:
            result.success.extend(done)
    return BulkResponse(**results)


def to_create(action: Any, noun: str, id_of: Callable[[E], str], existing: Existing) -> list[E]:
    """The entities a create action writes: all (`overwrite`), the new ones (`skip`), or, with
    `fail`, all when none exists yet (else a 409 naming those that do)."""
    entities, ids = _entities_and_ids(action, noun, id_of)
    found = existing(ids)
    taken = [entity_id for entity_id in ids if entity_id in found]
    if action.action_on_existence == "fail" and taken:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"These {noun} already exist: {_listed(taken)}"
        )
    if action.action_on_existence == "skip":
        return [
            entity
            for entity, entity_id in zip(entities, ids, strict=True)
            if entity_id not in found
        ]
    return entities


def to_change(action: Any, noun: str, id_of: Callable[[E], str], existing: Existing) -> list[E]:
    """The entities an update or delete action changes: those that exist, when the others may be
    skipped; with `fail`, a 404 naming the missing ones."""
    entities, ids = _entities_and_ids(action, noun, id_of)
    found = existing(ids)
    missing = [entity_id for entity_id in ids if entity_id not in found]
    if action.action_on_non_existence == "fail" and missing:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"These {noun} were not found: {_listed(missing)}"
        )
    return [entity for entity, entity_id in zip(entities, ids, strict=True) if entity_id in found]


class Changes(abc.ABC, Generic[B]):
    """The bulk actions on one kind of entity (`B`, its request body), made of the writes of one
    entity that the single routes use too, within one transaction."""

    noun: str
    """The entities, plural, as errors name them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @abc.abstractmethod
    def id_of(self, body: B) -> str:
        """The id (key, name) of the entity `body` describes."""

    @abc.abstractmethod
    def existing(self, ids: list[str]) -> set[str]:
        """Which of `ids` exist."""

    @abc.abstractmethod
    def create(self, body: B) -> None:
        """Write the entity `body` describes, replacing one with its id."""

    @abc.abstractmethod
    def update(self, body: B, update_mask: list[str] | None) -> None:
        """Change the existing entity as `body` says (the fields `update_mask` names, if any)."""

    @abc.abstractmethod
    def delete(self, entity_id: str) -> None:
        """Delete the existing entity `entity_id`."""

    def key_of(self, entity: str | B) -> str:
        """The id of an entity of a delete action (an id, or a body)."""
        return entity if isinstance(entity, str) else self.id_of(entity)

    def create_all(self, action: BulkCreateAction[B]) -> list[str]:
        chosen = to_create(action, self.noun, self.id_of, self.existing)
        for body in chosen:
            self.create(body)
        return [self.id_of(body) for body in chosen]

    def update_all(self, action: BulkUpdateAction[B]) -> list[str]:
        chosen = to_change(action, self.noun, self.id_of, self.existing)
        for body in chosen:
            self.update(body, action.update_mask)
        return [self.id_of(body) for body in chosen]

    def delete_all(self, action: BulkDeleteAction[B]) -> list[str]:
        chosen = to_change(action, self.noun, self.key_of, self.existing)
        ids = [self.key_of(entity) for entity in chosen]
        for entity_id in ids:
            self.delete(entity_id)
        return ids


def summary(actions: Iterable[Any], id_of: Callable[[Any], str]) -> dict[str, Any]:
    """The audit log's record of a bulk request: each action's kind, options and ids (never the
    entities' values, which may hold secrets)."""
    recorded = []
    for action in actions:
        fields = action.model_dump(exclude={"entities"}, exclude_none=True)
        fields["entities"] = [id_of(entity) for entity in action.entities]
        recorded.append(fields)
    return {"actions": recorded}


def _entities_and_ids(
    action: Any, noun: str, id_of: Callable[[E], str]
) -> tuple[list[E], list[str]]:
    """The action's entities and their ids, refusing an id given twice (which write wins?)."""
    entities = list(action.entities)
    ids = [id_of(entity) for entity in entities]
    repeated = [entity_id for entity_id, count in Counter(ids).items() if count > 1]
    if repeated:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"These {noun} appear more than once: {_listed(repeated)}"
        )
    return entities, ids


def _listed(ids: Iterable[str]) -> str:
    return ", ".join(sorted(ids))


def _status_of(err: Exception) -> tuple[int, str]:
    if isinstance(err, HTTPException):
        return err.status_code, str(err.detail)
    if isinstance(err, AirflowNotFoundException):
        return status.HTTP_404_NOT_FOUND, str(err)
    if isinstance(err, AlreadyExistsError | IntegrityError):
        return status.HTTP_409_CONFLICT, str(err).splitlines()[0]
    if isinstance(err, ValidationError):
        return status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)
    return status.HTTP_400_BAD_REQUEST, str(err)
