"""Assets (Airflow 3's data-aware scheduling): `Asset`, `AssetAlias`, `AssetAll`, `AssetAny`.

A DAG scheduled on assets runs when its condition holds. Conditions evaluate against
`{asset uri (or alias name): updated?}` and serialize to plain dicts
(`{"__type": "asset" | "asset_alias" | "asset_all" | "asset_any", ...}`), the same form
`slipstream.timetables` can evaluate without importing the SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TYPE_CHECKING = False  # avoids importing `typing` at run time
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = [
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "BaseAsset",
    "Dataset",
    "Metadata",
    "deserialize_asset_condition",
]

_MAX_LENGTH = 1500
_RESERVED_NAMES = ("self", "context")


def _check_identifier(kind: str, field: str, value: object, *, allow_empty: bool = True) -> str:
    """Airflow's checks for names, URIs and groups: a string, <= 1500 chars, not blank."""
    if not isinstance(value, str):
        raise ValueError(f"{kind} {field} must be a string, not {type(value).__name__}")
    if len(value) > _MAX_LENGTH:
        raise ValueError(f"{kind} {field} cannot exceed {_MAX_LENGTH} characters")
    if value.isspace():
        raise ValueError(f"{kind} {field} cannot be just whitespace")
    if not value and not allow_empty:
        raise ValueError(f"{kind} {field} cannot be empty")
    return value


def _sanitize_uri(uri: str) -> str:
    """Validate and normalise a URI like Airflow: lowercase scheme, no credentials (warns),
    sorted query, no fragment or trailing slash. Bad schemes and `airflow://` are rejected.
    """
    import re
    import urllib.parse

    if "://" in uri:
        scheme = uri.split("://", 1)[0]
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", scheme):
            raise ValueError(
                f"Asset URI {uri!r} has an invalid scheme {scheme!r}: a scheme is a letter "
                "followed by letters, digits, '+', '-' or '.'"
            )
    parts = urllib.parse.urlsplit(uri)
    if not parts.scheme and not parts.netloc:
        return uri
    scheme = parts.scheme.lower()
    if not scheme or scheme.startswith("x-"):
        return uri
    if scheme == "airflow":
        raise ValueError(f"Asset URI {uri!r}: the scheme 'airflow' is reserved")
    _, at, netloc = parts.netloc.rpartition("@")
    if at:
        import warnings

        warnings.warn(
            "An Asset URI should not contain auth info (e.g. username or password). "
            "It has been automatically dropped.",
            UserWarning,
            stacklevel=3,
        )
    query = parts.query
    if query:
        query = urllib.parse.urlencode(sorted(urllib.parse.parse_qsl(query)))
    path = parts.path.rstrip("/") or "/"
    return urllib.parse.urlunsplit((scheme, netloc, path, query, ""))


class BaseAsset:
    """Anything usable in `schedule=`: combine with `&` (all) and `|` (any)."""

    def __bool__(self) -> bool:
        return True

    def __and__(self, other: object) -> BaseAsset:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAll(self, other)

    def __or__(self, other: object) -> BaseAsset:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAny(self, other)

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        """Whether the condition holds given `{asset uri / alias name: updated?}`."""
        raise NotImplementedError

    def iter_assets(self) -> Iterator[tuple[str, Asset]]:
        """`(uri, asset)` for every asset in the condition, each once."""
        raise NotImplementedError

    def iter_asset_aliases(self) -> Iterator[tuple[str, AssetAlias]]:
        """`(name, alias)` for every alias in the condition."""
        raise NotImplementedError

    def serialize(self) -> dict[str, Any]:
        """A JSON-able dict; `deserialize_asset_condition` reverses it."""
        raise NotImplementedError

    def as_expression(self) -> Any:
        """Airflow's display form of the condition, e.g. `{"all": [{"asset": {...}}]}`."""
        raise NotImplementedError


class Asset(BaseAsset):
    """A piece of data that tasks produce (`outlets`) and DAGs wait for (`schedule`).

    `name` and `uri` default to each other; identity (equality, hashing) is the pair.
    """

    asset_type = "asset"

    def __init__(
        self,
        name: str | None = None,
        uri: str | None = None,
        group: str | None = None,
        extra: dict[str, Any] | None = None,
        watchers: list[Any] | None = None,
    ) -> None:
        if name is None and uri is None:
            raise TypeError("Asset() requires either 'name' or 'uri'")
        if name is None:
            name = str(uri)
        if uri is None:
            uri = name
        uri = str(uri)  # accepts os.PathLike-ish objects such as ObjectStoragePath
        _check_identifier("Asset", "name", name, allow_empty=False)
        if name in _RESERVED_NAMES:
            raise ValueError(f"prohibited name for asset: {name}")
        _check_identifier("Asset", "uri", uri, allow_empty=False)
        self.name = name
        self.uri = _sanitize_uri(uri)
        self.group = _check_identifier(
            "Asset", "group", self.asset_type if group is None else group
        )
        if extra is not None and not isinstance(extra, dict):
            raise TypeError(f"Asset extra must be a dict, not {type(extra).__name__}")
        self.extra: dict[str, Any] = {} if extra is None else extra
        self.watchers: list[Any] = [] if watchers is None else list(watchers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Asset):
            return NotImplemented
        return (self.name, self.uri) == (other.name, other.uri)

    def __hash__(self) -> int:
        return hash((self.name, self.uri))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, uri={self.uri!r}, group={self.group!r}, "
            f"extra={self.extra!r}, watchers={self.watchers!r})"
        )

    def __fspath__(self) -> str:
        return self.uri

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        return bool(statuses.get(self.uri, False))

    def iter_assets(self) -> Iterator[tuple[str, Asset]]:
        yield self.uri, self

    def iter_asset_aliases(self) -> Iterator[tuple[str, AssetAlias]]:
        return iter(())

    def serialize(self) -> dict[str, Any]:
        return {
            "__type": "asset",
            "name": self.name,
            "uri": self.uri,
            "group": self.group,
            "extra": self.extra,
        }

    def as_expression(self) -> Any:
        return {"asset": {"uri": self.uri, "name": self.name, "group": self.group}}


Dataset = Asset  # the Airflow 2 name, still importable from `airflow`


class AssetAlias(BaseAsset):
    """A name under which tasks emit events for assets decided at run time."""

    def __init__(self, name: str, group: str = "asset") -> None:
        self.name = _check_identifier("AssetAlias", "name", name, allow_empty=False)
        self.group = _check_identifier("AssetAlias", "group", group)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AssetAlias):
            return NotImplemented
        return (self.name, self.group) == (other.name, other.group)

    def __hash__(self) -> int:
        return hash(("alias", self.name))

    def __repr__(self) -> str:
        return f"AssetAlias(name={self.name!r}, group={self.group!r})"

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        return bool(statuses.get(self.name, False))

    def iter_assets(self) -> Iterator[tuple[str, Asset]]:
        return iter(())

    def iter_asset_aliases(self) -> Iterator[tuple[str, AssetAlias]]:
        yield self.name, self

    def serialize(self) -> dict[str, Any]:
        return {"__type": "asset_alias", "name": self.name, "group": self.group}

    def as_expression(self) -> Any:
        return {"alias": {"name": self.name, "group": self.group}}


class _AssetBooleanCondition(BaseAsset):
    """Shared parts of `AssetAll` / `AssetAny`."""

    _type = ""
    _key = ""

    def __init__(self, *objects: BaseAsset) -> None:
        if not all(isinstance(o, BaseAsset) for o in objects):
            raise TypeError("expect asset expressions in condition")
        self.objects = objects

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.objects == other.objects

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.objects))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.objects))})"

    def iter_assets(self) -> Iterator[tuple[str, Asset]]:
        seen: set[str] = set()
        for obj in self.objects:
            for uri, asset in obj.iter_assets():
                if uri not in seen:
                    seen.add(uri)
                    yield uri, asset

    def iter_asset_aliases(self) -> Iterator[tuple[str, AssetAlias]]:
        for obj in self.objects:
            yield from obj.iter_asset_aliases()

    def serialize(self) -> dict[str, Any]:
        return {"__type": self._type, "objects": [o.serialize() for o in self.objects]}

    def as_expression(self) -> Any:
        return {self._key: [o.as_expression() for o in self.objects]}


class AssetAll(_AssetBooleanCondition):
    """Holds when every member holds (`a & b`)."""

    _type = "asset_all"
    _key = "all"

    def __and__(self, other: object) -> BaseAsset:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAll(*self.objects, other)  # (a & b) & c == AssetAll(a, b, c)

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        return all(o.evaluate(statuses) for o in self.objects)


class AssetAny(_AssetBooleanCondition):
    """Holds when any member holds (`a | b`)."""

    _type = "asset_any"
    _key = "any"

    def __or__(self, other: object) -> BaseAsset:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAny(*self.objects, other)  # (a | b) | c == AssetAny(a, b, c)

    def evaluate(self, statuses: dict[str, bool]) -> bool:
        return any(o.evaluate(statuses) for o in self.objects)


@dataclass
class Metadata:
    """Extra information a task attaches to the event of an asset it updates (`yield Metadata`)."""

    asset: Asset
    extra: dict[str, Any] = field(default_factory=dict)
    alias: AssetAlias | None = None

    def __post_init__(self) -> None:
        if self.extra is None:
            self.extra = {}


def deserialize_asset_condition(data: dict[str, Any]) -> BaseAsset:
    """Rebuild an asset, alias or condition from its `serialize()` dict."""
    kind = data.get("__type") if isinstance(data, dict) else None
    if kind == "asset":
        return Asset(
            name=data["name"],
            uri=data["uri"],
            group=data.get("group"),
            extra=data.get("extra") or {},
        )
    if kind == "asset_alias":
        return AssetAlias(data["name"], group=data.get("group", "asset"))
    if kind == "asset_all":
        return AssetAll(*(deserialize_asset_condition(o) for o in data["objects"]))
    if kind == "asset_any":
        return AssetAny(*(deserialize_asset_condition(o) for o in data["objects"]))
    raise ValueError(f"not a serialized asset condition: {data!r}")
