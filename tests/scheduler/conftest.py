"""Fixtures of the scheduler tests: a harness on each metadata database."""

from __future__ import annotations

import pytest

from slipstream.db.engine import Database

from .helpers import Harness


@pytest.fixture
def harness(any_db: Database) -> Harness:
    return Harness(any_db)


@pytest.fixture
def sqlite_harness(sqlite_db: Database) -> Harness:
    return Harness(sqlite_db)
