"""Every config test starts from a clean environment and an empty config cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream.config import reset_config_cache


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("SLIPSTREAM__", "AIRFLOW__")) or name in (
            "SLIPSTREAM_HOME",
            "SLIPSTREAM_CONFIG",
        ):
            monkeypatch.delenv(name)
    reset_config_cache()
    yield
    reset_config_cache()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path
