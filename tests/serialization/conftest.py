"""Every test starts with no open or registered DAGs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from slipstream.sdk.dag_definition import DagContext


@pytest.fixture(autouse=True)
def _fresh_dag_context() -> Iterator[None]:
    DagContext.reset()
    yield
    DagContext.reset()
