"""What routes get injected: the metadata database, a read session, the settings.

Routes read through `ReadSession` and write in a transaction of their own
(`with db.begin() as session:`), so a failed commit is an error response, never a success
followed by a lost write.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from slipstream.db.engine import Database

if TYPE_CHECKING:
    from slipstream.config import Config


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_config_of_app(request: Request) -> Config:
    config: Config = request.app.state.config
    return config


def read_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    with db.session() as session:
        yield session


Db = Annotated[Database, Depends(get_db)]
ReadSession = Annotated[Session, Depends(read_session)]
AppConfig = Annotated["Config", Depends(get_config_of_app)]
