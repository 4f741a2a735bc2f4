"""Opening the database a configuration names, and refusing a schema that is not current."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from slipstream.config import load_config
from slipstream.db import migrate
from slipstream.db.session import SchemaNotCurrentError, open_database


def test_default_is_sqlite_in_the_home(slipstream_home: Path) -> None:
    db = open_database()
    assert db.is_sqlite
    assert Path(db.url.database or "") == slipstream_home / "slipstream.db"
    db.dispose()


def test_url_and_pool_size_from_config(slipstream_home: Path) -> None:
    config = load_config(
        env={
            "SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg://u:pw@h:5/db",
            "SLIPSTREAM__DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
        }
    )
    db = open_database(config)
    assert db.dialect == "postgresql"
    assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
    db.dispose()


def test_require_migrated(slipstream_home: Path) -> None:
    with pytest.raises(SchemaNotCurrentError, match="slipstream db migrate") as caught:
        open_database(require_migrated=True)
    assert "has not been migrated yet" in str(caught.value)
    assert not (slipstream_home / "slipstream.db").exists()
    db = open_database()
    migrate.migrate(db, default_pool_slots=1)
    db.dispose()
    open_database(require_migrated=True).dispose()


def test_require_migrated_names_revisions(slipstream_home: Path) -> None:
    db = open_database()
    migrate.migrate(db, default_pool_slots=1)
    with db.begin() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    db.dispose()
    with pytest.raises(SchemaNotCurrentError, match="revision older"):
        open_database(require_migrated=True)


def test_unreachable_server(slipstream_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN",
        "postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2",
    )
    with pytest.raises(SchemaNotCurrentError, match="Cannot reach") as caught:
        open_database(require_migrated=True)
    assert "secret" not in str(caught.value)
