"""Slipstream's configuration: `$SLIPSTREAM_HOME/slipstream.cfg` plus environment overrides.

Names follow Airflow's (`[core] parallelism`, `[database] sql_alchemy_conn`, ...). Values come,
highest first, from `SLIPSTREAM__SECTION__KEY`, `AIRFLOW__SECTION__KEY`, the config file, and the
defaults in `defaults.py`. Importing this package reads nothing: call `load_config()` for a fresh
snapshot or `get_config()` for the process's cached one. Uses the standard library only (and
`slipstream.core`); `slipstream.config.fernet` loads `cryptography` when first used.

    config = get_config()
    config.getint("core", "parallelism")
    config.getpath("core", "dags_folder")
"""

from __future__ import annotations

from slipstream.config.configuration import Config, Setting, Source
from slipstream.config.defaults import OPTIONS, RENAMED, Option, find_option
from slipstream.config.home import ensure_home, generate_fernet_key
from slipstream.config.loader import (
    CONFIG_FILE_NAME,
    config_file_path,
    get_config,
    load_config,
    reset_config_cache,
    slipstream_home,
)

__all__ = [
    "CONFIG_FILE_NAME",
    "OPTIONS",
    "RENAMED",
    "Config",
    "Option",
    "Setting",
    "Source",
    "config_file_path",
    "ensure_home",
    "find_option",
    "generate_fernet_key",
    "get_config",
    "load_config",
    "reset_config_cache",
    "slipstream_home",
]
