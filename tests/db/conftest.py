"""A configuration with a fresh Fernet key, for store functions that encrypt."""

from __future__ import annotations

from pathlib import Path

import pytest

from slipstream.config import Config, generate_fernet_key, load_config


@pytest.fixture
def config(slipstream_home: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("SLIPSTREAM__CORE__FERNET_KEY", generate_fernet_key())
    return load_config()
