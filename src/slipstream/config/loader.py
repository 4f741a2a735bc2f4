"""Building a `Config` from defaults, the config file and the environment.

Precedence, highest first: `SLIPSTREAM__SECTION__KEY` environment variables, Airflow's
`AIRFLOW__SECTION__KEY` (so users moving from Airflow keep their environment; not for the metadata
database or the Celery broker, see `Option.airflow_env`), `$SLIPSTREAM_HOME/slipstream.cfg`, then
the defaults. `load_config` reads the environment and the file when called, never at import.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path

from slipstream.config.configuration import Config, Setting, Source
from slipstream.config.defaults import OPTIONS, canonical_name, find_option
from slipstream.core.exceptions import AirflowConfigException

CONFIG_FILE_NAME = "slipstream.cfg"
ENV_PREFIX = "SLIPSTREAM__"
AIRFLOW_ENV_PREFIX = "AIRFLOW__"

_HOME_TOKEN = re.compile(r"\{SLIPSTREAM_HOME\}|\$\{SLIPSTREAM_HOME\}|\$SLIPSTREAM_HOME(?!\w)")

Layer = dict[tuple[str, str], Setting]


def slipstream_home(env: Mapping[str, str] | None = None) -> Path:
    """`$SLIPSTREAM_HOME` as an absolute path, default `~/slipstream`."""
    env = os.environ if env is None else env
    return Path(env.get("SLIPSTREAM_HOME") or "~/slipstream").expanduser().absolute()


def config_file_path(home: Path, env: Mapping[str, str] | None = None) -> Path:
    """`$SLIPSTREAM_CONFIG` when set, else `slipstream.cfg` in the home folder."""
    env = os.environ if env is None else env
    named = env.get("SLIPSTREAM_CONFIG")
    return Path(named).expanduser().absolute() if named else home / CONFIG_FILE_NAME


def load_config(home: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """The configuration in force now.

    `home` defaults to `$SLIPSTREAM_HOME` and `env` to `os.environ`, both read at call time.
    Raises `AirflowConfigException` when the file cannot be parsed or a known setting has a value
    of the wrong type, naming the setting and where it was set.
    """
    env = dict(os.environ if env is None else env)
    home = Path(home).expanduser().absolute() if home is not None else slipstream_home(env)
    path = config_file_path(home, env)
    settings: Layer = {}
    for layer in (
        _defaults(home),
        _from_file(path, home),
        _from_env(env, AIRFLOW_ENV_PREFIX, home),
        _from_env(env, ENV_PREFIX, home),
    ):
        settings.update(layer)
    config = Config(settings, home=home, config_file=path)
    config.validate()
    return config


@functools.cache
def _cached_config() -> Config:
    return load_config()


def get_config() -> Config:
    """The process's configuration, loaded on first use and then kept."""
    return _cached_config()


def reset_config_cache() -> None:
    """Forget the kept configuration, so the next `get_config` reads it again."""
    _cached_config.cache_clear()


def expand_home(value: str, home: Path) -> str:
    """`value` with `{SLIPSTREAM_HOME}`, `${SLIPSTREAM_HOME}` and `$SLIPSTREAM_HOME` replaced."""
    if "SLIPSTREAM_HOME" not in value:
        return value
    return _HOME_TOKEN.sub(lambda _: str(home), value)


def _defaults(home: Path) -> Layer:
    return {
        (section, key): Setting(section, key, expand_home(option.default, home), "default")
        for section, options in OPTIONS.items()
        for key, option in options.items()
    }


def _from_file(path: Path, home: Path) -> Layer:
    import configparser

    if not path.exists():
        return {}
    parser = configparser.ConfigParser(interpolation=configparser.BasicInterpolation())
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, ValueError) as err:
        raise AirflowConfigException(f"Cannot read config file {path}: {err}") from None
    except configparser.Error as err:
        raise AirflowConfigException(f"Config file {path} is not valid: {err}") from None
    layer: Layer = {}
    for section in parser.sections():
        for key in parser.options(section):
            try:
                value = parser.get(section, key)
            except configparser.InterpolationError as err:
                raise AirflowConfigException(
                    f"[{section}] {key} in config file {path}: {err.message.strip()} "
                    "(write %% for a literal %)"
                ) from None
            _put(layer, section, key, expand_home(value, home), "file", str(path))
    return layer


def _from_env(env: Mapping[str, str], prefix: str, home: Path) -> Layer:
    layer: Layer = {}
    for name, value in env.items():
        if not name.startswith(prefix):
            continue
        parts = name[len(prefix) :].split("__")
        if len(parts) != 2 or not all(parts):
            continue
        section, key = parts
        if prefix == AIRFLOW_ENV_PREFIX:
            option = find_option(section, key)
            if option is not None and not option.airflow_env:
                continue
        _put(layer, section, key, expand_home(value, home), "env", name)
    return layer


def _put(layer: Layer, section: str, key: str, value: str, source: Source, origin: str) -> None:
    """Record a value set in one place; under an older name it yields to the current name."""
    written = (section.lower(), key.lower())
    name = canonical_name(*written)
    renamed = name != written
    if renamed and name in layer and layer[name].written_as is None:
        return
    written_as = f"[{written[0]}] {written[1]}" if renamed else None
    layer[name] = Setting(name[0], name[1], value, source, origin, written_as)
