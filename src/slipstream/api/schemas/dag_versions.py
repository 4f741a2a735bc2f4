"""A stored version of a DAG as Airflow 3's API shows it (`DagVersionResponse`): beside a DAG's
details, each of its runs and each task instance.

Slipstream numbers versions with integers where Airflow's ids are UUIDs: a version's `id` is the
UUID whose 128-bit value is its integer id (`UUID(int=id)`), stable and reversible. Slipstream
has no DAG bundles, so `bundle_name`, `bundle_version` and `bundle_url` are null.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from pydantic import BaseModel

__all__ = ["DagVersionResponse", "StoredVersionLike"]


class StoredVersionLike(Protocol):
    """What the store tells of a version, whichever listing read it."""

    @property
    def id(self) -> int: ...

    @property
    def dag_id(self) -> str: ...

    @property
    def version_number(self) -> int: ...

    @property
    def created_at(self) -> dt.datetime: ...


class DagVersionResponse(BaseModel):
    id: uuid.UUID
    version_number: int
    dag_id: str
    bundle_name: str | None = None
    bundle_version: str | None = None
    created_at: dt.datetime
    bundle_url: str | None = None
    dag_display_name: str

    @classmethod
    def of(cls, version: StoredVersionLike, dag_display_name: str) -> DagVersionResponse:
        return cls(
            id=uuid.UUID(int=version.id),
            version_number=version.version_number,
            dag_id=version.dag_id,
            created_at=version.created_at,
            dag_display_name=dag_display_name,
        )
