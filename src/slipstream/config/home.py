"""Creating `SLIPSTREAM_HOME` and its first `slipstream.cfg`, so a fresh install just works.

The file gets a newly generated fernet key and API secret key (encryption of variables and
connections works from the start), and every other setting as a commented-out default with its
description, so users can see what there is to change. It is created only when missing, with mode
0600, and never rewritten.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from slipstream.config.configuration import Config
from slipstream.config.defaults import OPTIONS, Option
from slipstream.config.loader import reset_config_cache

_GENERATED = {("core", "fernet_key"), ("api", "secret_key")}

_HEADER = """\
# Slipstream configuration, created by Slipstream on first start.
#
# Section and key names are Apache Airflow's. Values set here are overridden by environment
# variables SLIPSTREAM__SECTION__KEY, then by Airflow's AIRFLOW__SECTION__KEY, e.g.
# SLIPSTREAM__CORE__PARALLELISM=8. {SLIPSTREAM_HOME} in a value means this folder. Write %% for
# a literal percent sign. Lines starting with # show the defaults; remove the # to change one.
# `slipstream config list` shows what is in force and where each value comes from.
"""


def ensure_home(config: Config) -> Path:
    """Create the home, DAGs and logs folders and, if missing, the config file; return the home.

    Safe to call on every start: existing folders and an existing config file are left as they
    are. When the file is written, the cached `get_config()` is forgotten, so the next call sees
    the new keys (a `Config` already held is not changed: load it again).
    """
    config.home.mkdir(parents=True, exist_ok=True)
    config.getpath("core", "dags_folder").mkdir(parents=True, exist_ok=True)
    config.getpath("logging", "base_log_folder").mkdir(parents=True, exist_ok=True)
    if _write_new_file(config.config_file, render_config_file(config)):
        reset_config_cache()
    return config.home


def generate_fernet_key() -> str:
    """A new key in the format `cryptography.fernet.Fernet` expects (32 random bytes, base64)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def render_config_file(config: Config) -> str:
    """The text of a first config file: generated secrets set, everything else commented out."""
    lines = [_HEADER]
    for section, options in OPTIONS.items():
        lines.append(f"[{section}]")
        for option in options.values():
            lines.extend(_option_lines(option, config))
        lines.append("")
    return "\n".join(lines)


def _option_lines(option: Option, config: Config) -> list[str]:
    lines = [f"# {option.description}"]
    if option.choices:
        lines.append("# One of: " + ", ".join(option.choices) + ".")
    name = (option.section, option.key)
    if name in _GENERATED:
        found = config.setting(*name)
        if found.source == "env" and found.value:
            lines.append(f"# Set by {found.where}; remove that to use a key written here.")
            lines.append(f"# {option.key} =")
        else:
            value = generate_fernet_key() if option.key == "fernet_key" else _secret_key()
            lines.append(f"{option.key} = {value}")
    else:
        lines.append(f"# {option.key} = {option.default.replace('%', '%%')}")
    lines.append("")
    return lines


def _secret_key() -> str:
    import secrets

    return secrets.token_urlsafe(32)


def _write_new_file(path: Path, text: str) -> bool:
    """Write `text` to `path`, readable by its owner only, unless `path` exists; True if written.

    The text goes to a temporary file first and is linked into place, so no reader ever sees half
    a file and two processes starting at once cannot both write one.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return False
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system: create exclusively instead
        return _write_exclusively(path, text)
    finally:
        os.unlink(temporary)
    return True


def _write_exclusively(path: Path, text: str) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return True
