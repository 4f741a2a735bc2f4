"""A fresh SLIPSTREAM_HOME: folders, and a config file with working keys, written once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from slipstream.config import ensure_home, get_config, load_config
from slipstream.config.fernet import decrypt, encrypt


def test_creates_folders_and_a_private_config_file(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"
    config = load_config(home=home, env={})
    assert ensure_home(config) == home
    assert (home / "dags").is_dir()
    assert (home / "logs").is_dir()
    cfg = home / "slipstream.cfg"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert [p.name for p in home.iterdir() if p.name.startswith(".")] == []


def test_written_file_loads_with_keys_that_work(home: Path) -> None:
    ensure_home(load_config(home=home, env={}))
    config = load_config(home=home, env={})
    assert config.setting("core", "fernet_key").source == "file"
    assert config.get("api", "secret_key")
    assert encrypt("s3cret", config) != "s3cret"
    assert decrypt(encrypt("s3cret", config), config) == "s3cret"
    # every other setting is only shown, commented out, so the defaults still apply
    assert config.setting("core", "parallelism").source == "default"
    text = (home / "slipstream.cfg").read_text()
    assert "# parallelism = 32" in text
    assert "# dags_folder = {SLIPSTREAM_HOME}/dags" in text
    assert "# log_format = [%%(asctime)s]" in text


def test_uncommented_defaults_read_back_unchanged(home: Path) -> None:
    ensure_home(load_config(home=home, env={}))
    path = home / "slipstream.cfg"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line.removeprefix("# ") if " = " in line else line for line in lines))
    defaults = load_config(home=home / "elsewhere", env={}).as_dict(include_source=False)
    uncommented = load_config(home=home, env={}).as_dict(include_source=False)
    for section, values in defaults.items():
        for key, value in values.items():
            if key in ("fernet_key", "secret_key"):
                continue
            expected = value.replace(str(home / "elsewhere"), str(home))
            assert uncommented[section][key] == expected, (section, key)


def test_idempotent_and_never_overwrites(home: Path) -> None:
    config = load_config(home=home, env={})
    ensure_home(config)
    first = (home / "slipstream.cfg").read_text()
    ensure_home(config)
    ensure_home(load_config(home=home, env={}))
    assert (home / "slipstream.cfg").read_text() == first
    (home / "slipstream.cfg").write_text("[core]\nparallelism = 3\n")
    ensure_home(config)
    assert (home / "slipstream.cfg").read_text() == "[core]\nparallelism = 3\n"


def test_each_home_gets_its_own_key(tmp_path: Path) -> None:
    keys = set()
    for name in ("a", "b"):
        ensure_home(load_config(home=tmp_path / name, env={}))
        keys.add(load_config(home=tmp_path / name, env={}).get("core", "fernet_key"))
    assert len(keys) == 2


def test_key_from_environment_is_not_duplicated_into_the_file(home: Path) -> None:
    env = {"SLIPSTREAM__CORE__FERNET_KEY": "k" * 43 + "="}
    ensure_home(load_config(home=home, env=env))
    text = (home / "slipstream.cfg").read_text()
    assert "SLIPSTREAM__CORE__FERNET_KEY" in text
    assert load_config(home=home, env={}).get("core", "fernet_key") == ""
    assert load_config(home=home, env={}).get("api", "secret_key") != ""


def test_writing_the_file_refreshes_the_cached_config(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    assert get_config().get("core", "fernet_key") == ""
    ensure_home(get_config())
    assert get_config().get("core", "fernet_key") != ""


def test_works_without_hard_links(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*_: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr("os.link", no_links)
    ensure_home(load_config(home=home, env={}))
    assert stat.S_IMODE((home / "slipstream.cfg").stat().st_mode) == 0o600
    assert load_config(home=home, env={}).get("core", "fernet_key")
    assert sorted(p.name for p in home.iterdir()) == ["dags", "logs", "slipstream.cfg"]
