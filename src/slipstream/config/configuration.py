"""`Config`: the settings of one process, each with where it came from, read with types.

A `Config` is an immutable snapshot built by `load_config`; nothing here reads files or the
environment. Typed reads fail with `AirflowConfigException` naming the setting and its source, so
a mistyped value is found where it was written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar, overload

from slipstream.config.defaults import OPTIONS, Option, canonical_name
from slipstream.config.masking import mask_value
from slipstream.core.exceptions import AirflowConfigException

Source = Literal["default", "file", "env"]
T = TypeVar("T")

TRUE_WORDS = frozenset({"t", "true", "1", "yes", "y", "on"})
FALSE_WORDS = frozenset({"f", "false", "0", "no", "n", "off"})


class _Missing:
    pass


_MISSING = _Missing()


@dataclass(frozen=True)
class Setting:
    """The value in force for one setting and where it was set.

    `origin` is the environment variable's name for `env`, the config file's path for `file`, and
    `"default"` otherwise; `written_as` is the `[section] key` used there when that was an older
    name of the setting.
    """

    section: str
    key: str
    value: str
    source: Source
    origin: str = "default"
    written_as: str | None = None

    @property
    def where(self) -> str:
        """Where the value came from, for messages."""
        if self.source == "env":
            return f"environment variable {self.origin}"
        if self.source == "file":
            named = f" as {self.written_as}" if self.written_as else ""
            return f"config file {self.origin}{named}"
        return "default"


class Config:
    """Settings by `(section, key)` (lower case, current names). Reads accept any case and the
    older Airflow names listed in `defaults.RENAMED`.

    `get` returns the string; `getint`, `getfloat`, `getboolean`, `getpath` and `getlist` convert
    it. A setting neither known nor set raises `AirflowConfigException`, unless a `fallback` is
    given, which is then returned (as Airflow's `conf.get` does).
    """

    def __init__(
        self, settings: Mapping[tuple[str, str], Setting], *, home: Path, config_file: Path
    ) -> None:
        self._settings = dict(settings)
        self.home = home
        self.config_file = config_file

    def __repr__(self) -> str:
        return f"Config(home={str(self.home)!r}, config_file={str(self.config_file)!r})"

    # lookups

    def setting(self, section: str, key: str) -> Setting:
        """The value in force for `[section] key` with its source."""
        name = canonical_name(section, key)
        found = self._settings.get(name)
        if found is None:
            raise AirflowConfigException(self._unknown_message(*name))
        return found

    def has_option(self, section: str, key: str) -> bool:
        """Whether `[section] key` is known or set anywhere."""
        return canonical_name(section, key) in self._settings

    def sections(self) -> list[str]:
        return list(dict.fromkeys(section for section, _ in self._settings))

    def settings(self, section: str | None = None) -> Iterator[Setting]:
        """Every setting (of one section), known ones in table order, then the others."""
        for (sec, _), found in self._settings.items():
            if section is None or sec == section.lower():
                yield found

    # typed reads

    @overload
    def get(self, section: str, key: str) -> str: ...
    @overload
    def get(self, section: str, key: str, fallback: T) -> str | T: ...
    def get(self, section: str, key: str, fallback: object = _MISSING) -> object:
        """The setting as a string."""
        if fallback is not _MISSING and not self.has_option(section, key):
            return fallback
        return self.setting(section, key).value

    @overload
    def getint(self, section: str, key: str) -> int: ...
    @overload
    def getint(self, section: str, key: str, fallback: T) -> int | T: ...
    def getint(self, section: str, key: str, fallback: object = _MISSING) -> object:
        if fallback is not _MISSING and not self.has_option(section, key):
            return fallback
        return to_int(self.setting(section, key))

    @overload
    def getfloat(self, section: str, key: str) -> float: ...
    @overload
    def getfloat(self, section: str, key: str, fallback: T) -> float | T: ...
    def getfloat(self, section: str, key: str, fallback: object = _MISSING) -> object:
        if fallback is not _MISSING and not self.has_option(section, key):
            return fallback
        return to_float(self.setting(section, key))

    @overload
    def getboolean(self, section: str, key: str) -> bool: ...
    @overload
    def getboolean(self, section: str, key: str, fallback: T) -> bool | T: ...
    def getboolean(self, section: str, key: str, fallback: object = _MISSING) -> object:
        """True for `t`, `true`, `1` (also `yes`, `y`, `on`), False for `f`, `false`, `0` (also
        `no`, `n`, `off`), in any case; anything else raises."""
        if fallback is not _MISSING and not self.has_option(section, key):
            return fallback
        return to_bool(self.setting(section, key))

    def getpath(self, section: str, key: str) -> Path:
        """The setting as a path: `~` expanded, and relative paths taken from SLIPSTREAM_HOME
        (not the working directory, which differs between processes)."""
        path = Path(self.get(section, key)).expanduser()
        return path if path.is_absolute() else self.home / path

    def getlist(self, section: str, key: str, separator: str = ",") -> list[str]:
        """The setting split on `separator`, items stripped, empty items dropped."""
        return [item.strip() for item in self.get(section, key).split(separator) if item.strip()]

    # showing

    @overload
    def as_dict(
        self, display_sensitive: bool = False, include_source: Literal[True] = True
    ) -> dict[str, dict[str, tuple[str, Source]]]: ...
    @overload
    def as_dict(
        self, display_sensitive: bool = False, *, include_source: Literal[False]
    ) -> dict[str, dict[str, str]]: ...
    @overload
    def as_dict(
        self, display_sensitive: bool, include_source: Literal[False]
    ) -> dict[str, dict[str, str]]: ...
    @overload
    def as_dict(
        self, display_sensitive: bool = False, include_source: bool = True
    ) -> dict[str, dict[str, tuple[str, Source]]] | dict[str, dict[str, str]]: ...
    def as_dict(
        self, display_sensitive: bool = False, include_source: bool = True
    ) -> dict[str, dict[str, tuple[str, Source]]] | dict[str, dict[str, str]]:
        """`{section: {key: value}}`, each value a `(value, source)` pair when `include_source`
        (source is `default`, `file` or `env`). Secrets are masked unless `display_sensitive`."""
        with_source: dict[str, dict[str, tuple[str, Source]]] = {}
        plain: dict[str, dict[str, str]] = {}
        for found in self.settings():
            value = self.display_value(found, display_sensitive)
            with_source.setdefault(found.section, {})[found.key] = (value, found.source)
            plain.setdefault(found.section, {})[found.key] = value
        return with_source if include_source else plain

    @staticmethod
    def display_value(found: Setting, display_sensitive: bool = False) -> str:
        """The value as it may be shown: masked when sensitive, unless asked otherwise."""
        if display_sensitive:
            return found.value
        return mask_value(found.section, found.key, found.value)

    # checking

    def validate(self) -> None:
        """Check every known setting's value against its type and choices; one
        `AirflowConfigException` lists all the problems."""
        problems = []
        for found in self._settings.values():
            option = OPTIONS.get(found.section, {}).get(found.key)
            if option is None:
                continue
            try:
                check(option, found)
            except AirflowConfigException as err:
                problems.append(str(err))
        if len(problems) == 1:
            raise AirflowConfigException(problems[0])
        if problems:
            raise AirflowConfigException(
                "Invalid configuration:\n" + "\n".join(f"  {p}" for p in problems)
            )

    def _unknown_message(self, section: str, key: str) -> str:
        import difflib

        message = f"section/key [{section}/{key}] not found in config"
        known = [f"[{s}] {k}" for s, k in self._settings]
        if section not in self.sections():
            message += f": there is no section [{section}]"
            guesses = difflib.get_close_matches(section, self.sections(), n=1)
        else:
            message += f": [{section}] has no setting {key!r}"
            guesses = difflib.get_close_matches(f"[{section}] {key}", known, n=1)
        if guesses:
            message += f" (did you mean {guesses[0]}?)"
        return message


def check(option: Option, found: Setting) -> None:
    """Raise if `found` does not fit `option`'s type or choices."""
    if option.type == "integer":
        to_int(found)
    elif option.type == "float":
        to_float(found)
    elif option.type == "boolean":
        to_bool(found)
    if option.choices and found.value.lower() not in {c.lower() for c in option.choices}:
        raise _type_error(found, "one of " + ", ".join(option.choices))


def to_int(found: Setting) -> int:
    try:
        return int(found.value.strip())
    except ValueError:
        raise _type_error(found, "an integer") from None


def to_float(found: Setting) -> float:
    try:
        return float(found.value.strip())
    except ValueError:
        raise _type_error(found, "a number") from None


def to_bool(found: Setting) -> bool:
    word = found.value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _type_error(found, "a boolean (true or false)")


def _type_error(found: Setting, expected: str) -> AirflowConfigException:
    shown = mask_value(found.section, found.key, found.value)
    return AirflowConfigException(
        f"[{found.section}] {found.key} should be {expected}, but is {shown!r} (from {found.where})"
    )
