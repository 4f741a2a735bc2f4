"""Encryption with `[core] fernet_key`: round trips, rotation, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from slipstream.config import Config, generate_fernet_key, load_config
from slipstream.config.fernet import decrypt, encrypt, get_fernet, rotate
from slipstream.core.exceptions import AirflowConfigException, AirflowException


def with_key(home: Path, key: str) -> Config:
    return load_config(home=home, env={"SLIPSTREAM__CORE__FERNET_KEY": key})


def test_round_trip(home: Path) -> None:
    config = with_key(home, generate_fernet_key())
    token = encrypt("pässword", config)
    assert "pässword" not in token
    assert decrypt(token, config) == "pässword"
    assert isinstance(get_fernet(config), Fernet)


def test_generated_keys_are_fernet_keys() -> None:
    Fernet(generate_fernet_key().encode())


def test_rotation(home: Path) -> None:
    old, new = generate_fernet_key(), generate_fernet_key()
    token = encrypt("value", with_key(home, old))
    both = with_key(home, f"{new}, {old}")
    assert decrypt(token, both) == "value"
    rotated = rotate(token, both)
    assert decrypt(rotated, with_key(home, new)) == "value"
    with pytest.raises(AirflowException):
        decrypt(rotated, with_key(home, old))
    assert decrypt(encrypt("fresh", both), with_key(home, new)) == "fresh"


def test_wrong_key_says_the_key_changed(home: Path) -> None:
    token = encrypt("value", with_key(home, generate_fernet_key()))
    with pytest.raises(AirflowException, match="fernet key") as caught:
        decrypt(token, with_key(home, generate_fernet_key()))
    assert not isinstance(caught.value, AirflowConfigException)
    with pytest.raises(AirflowException, match="fernet key"):
        decrypt("not a token", with_key(home, generate_fernet_key()))


def test_no_key_is_an_error_saying_how_to_set_one(home: Path) -> None:
    config = load_config(home=home, env={})
    with pytest.raises(AirflowConfigException, match="SLIPSTREAM__CORE__FERNET_KEY") as caught:
        encrypt("value", config)
    assert str(home / "slipstream.cfg") in str(caught.value)
    with pytest.raises(AirflowConfigException):
        get_fernet(with_key(home, " , "))


def test_invalid_key_names_its_source_but_not_the_key(home: Path) -> None:
    with pytest.raises(AirflowConfigException, match="SLIPSTREAM__CORE__FERNET_KEY") as caught:
        get_fernet(with_key(home, "short-key"))
    assert "short-key" not in str(caught.value)


def test_defaults_to_the_process_config(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    monkeypatch.setenv("SLIPSTREAM__CORE__FERNET_KEY", generate_fernet_key())
    assert decrypt(encrypt("value")) == "value"
