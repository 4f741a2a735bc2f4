"""DAG and task params: defaults with a JSON-schema contract, merged with `dag_run.conf` per run.

`Param` holds one value and the schema it must satisfy; `ParamsDict` is the mapping DAGs and tasks
keep (reading an item gives the validated value). `merge_params` is the run-time rule (DAG params,
then task params, then every `dag_run.conf` key, declared or not); `validate_conf` the trigger-time
check.

Validation is JSON Schema (jsonschema with format checking, as in Airflow). jsonschema costs ~0.1 s
to import, so the schemas real DAGs mostly use (type, enum, const, bounds, string lengths, plus
annotations such as title/description/examples/values_display) are checked by a small built-in
validator with the same results and messages; any other keyword hands the schema to jsonschema,
imported only then.
"""

from __future__ import annotations

import copy
import json
import numbers
from collections.abc import ItemsView, Iterator, Mapping, MutableMapping, ValuesView
from typing import Any, ClassVar

from slipstream.core.exceptions import ParamValidationError

__all__ = [
    "NOTSET",
    "ArgNotSet",
    "Param",
    "ParamsDict",
    "merge_params",
    "validate_conf",
]


class ArgNotSet:
    """Type of `NOTSET`, the marker for "no value given" where `None` is a legitimate value."""

    _instance: ClassVar[ArgNotSet | None] = None

    def __new__(cls) -> ArgNotSet:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOTSET"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> ArgNotSet:
        return self

    def __deepcopy__(self, memo: Any) -> ArgNotSet:
        return self

    def __reduce__(self) -> str:
        return "NOTSET"


NOTSET: Any = ArgNotSet()

_NO_VALUE = "No value passed and Param has no default value"

# Keywords the built-in validator implements (first failure in schema order, as jsonschema's
# best_match picks among sibling keywords). Every other keyword jsonschema's Draft 2020-12 validator
# knows sends the schema to jsonschema; keys in neither set are annotations, ignored by both.
_SIMPLE_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
    }
)
_COMPLEX_KEYWORDS = frozenset(
    {
        "additionalProperties",
        "allOf",
        "anyOf",
        "contains",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "format",
        "if",
        "items",
        "maxContains",
        "maxItems",
        "maxProperties",
        "minContains",
        "minItems",
        "minProperties",
        "multipleOf",
        "not",
        "oneOf",
        "pattern",
        "patternProperties",
        "prefixItems",
        "properties",
        "propertyNames",
        "required",
        "unevaluatedItems",
        "unevaluatedProperties",
        "uniqueItems",
    }
)
_TYPE_NAMES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})


class Param:
    """A param's default value plus the JSON schema every value of it must satisfy.

    `Param(5, type="integer", minimum=1, description="...")`: keyword arguments other than `default`
    and `description` form the schema (or pass `schema={...}` whole). Without a schema any
    JSON-serialisable value is valid. A non-JSON-serialisable default raises `ParamValidationError`.
    """

    __version__: ClassVar[int] = 1
    CLASS_IDENTIFIER: ClassVar[str] = "__class"

    def __init__(
        self, default: Any = NOTSET, description: str | None = None, **schema: Any
    ) -> None:
        if default is not NOTSET:
            _check_json(default)
        self.value: Any = default
        self.description = description
        self.schema: dict[str, Any] = (schema.pop("schema") or {}) if "schema" in schema else schema

    def __repr__(self) -> str:
        return f"Param({self.value!r}, description={self.description!r}, schema={self.schema!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Param):
            return NotImplemented
        return (self.value, self.description, self.schema) == (
            other.value,
            other.description,
            other.schema,
        )

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> Param:
        return Param(self.value, self.description, schema=self.schema)

    @property
    def has_value(self) -> bool:
        """True when the param holds a value other than `None`."""
        return self.value is not NOTSET and self.value is not None

    @property
    def allows_null(self) -> bool:
        """True when the schema's `type` admits `null`."""
        types = self.schema.get("type")
        return types == "null" or (isinstance(types, list) and "null" in types)

    def resolve(self, value: Any = NOTSET, suppress_exception: bool = False) -> Any:
        """Validate `value` (else the held value) and return it; it becomes the held value.

        A param with neither is an error unless its type admits null (then the value is `None`).
        Raises `ParamValidationError` naming the schema problem, or returns `None` when
        `suppress_exception` is true.
        """
        try:
            if value is not NOTSET:
                _check_json(value)
            final = self.value if value is NOTSET else value
            if final is NOTSET:
                if not self.allows_null:
                    raise ParamValidationError(_NO_VALUE)
                final = None
            if self.schema:
                _validate(final, self.schema)
        except ParamValidationError:
            if suppress_exception:
                return None
            raise
        self.value = final
        return final

    def dump(self) -> dict[str, Any]:
        """The param as a plain dict (the shape Airflow's API and UI show); no value is `None`."""
        return {
            self.CLASS_IDENTIFIER: f"{type(self).__module__}.{type(self).__qualname__}",
            "value": None if self.value is NOTSET else self.value,
            "description": self.description,
            "schema": self.schema,
        }

    def serialize(self) -> dict[str, Any]:
        """JSON form for DAG serialization; `value` is left out when the param has no default."""
        data: dict[str, Any] = {"description": self.description, "schema": self.schema}
        if self.value is not NOTSET:
            data["value"] = self.value
        return data

    @classmethod
    def deserialize(cls, data: Mapping[str, Any], version: int = 1) -> Param:
        """Rebuild a param from `serialize()` (or `dump()`) output."""
        if version > cls.__version__:
            raise TypeError(f"serialized Param version {version} > class version {cls.__version__}")
        return cls(
            data.get("value", NOTSET),
            data.get("description"),
            schema=dict(data.get("schema") or {}),
        )


class ParamsDict(MutableMapping[str, Any]):
    """The params of a DAG or task: names mapped to `Param`s; reading an item gives its value.

    Plain values put in become schema-less `Param`s; assigning a plain value to an existing key
    validates it against that param's schema. `items()` and `values()` give the `Param` objects (as
    in Airflow); `d[key]`, `dump()` and `validate()` give values. Errors name the param key.
    """

    __version__: ClassVar[int] = 1
    __slots__ = ("_params", "suppress_exception")

    def __init__(
        self, dict_obj: Mapping[str, Any] | None = None, suppress_exception: bool = False
    ) -> None:
        self._params: dict[str, Param] = {}
        self.suppress_exception = suppress_exception
        if dict_obj is None:  # every task without params of its own
            return
        if isinstance(dict_obj, ParamsDict):
            self._params.update(dict_obj._params)
            return
        for key, value in (dict_obj or {}).items():
            self._params[key] = value if isinstance(value, Param) else _new_param(key, value)

    def __bool__(self) -> bool:
        return bool(self._params)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParamsDict):
            return self.dump() == other.dump()
        if isinstance(other, dict):
            return self.dump() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __delitem__(self, key: str) -> None:
        del self._params[key]

    def __repr__(self) -> str:
        return repr(self.dump())

    def __copy__(self) -> ParamsDict:
        return ParamsDict(self._params, self.suppress_exception)

    def __deepcopy__(self, memo: dict[int, Any] | None) -> ParamsDict:
        return ParamsDict(copy.deepcopy(self._params, memo), self.suppress_exception)

    def copy(self) -> ParamsDict:
        """An independent copy: resolving or assigning in it leaves this one unchanged."""
        return self.__deepcopy__({})

    def __setitem__(self, key: str, value: Any) -> None:
        """Store a `Param` as is; a plain value for an existing key must satisfy its schema."""
        if isinstance(value, Param):
            self._params[key] = value
        elif key in self._params:
            _with_key(key, self._params[key].resolve, value, self.suppress_exception)
        else:
            self._params[key] = _new_param(key, value)

    def __getitem__(self, key: str) -> Any:
        """The validated value of the param `key`."""
        param = self._params[key]
        return _with_key(key, param.resolve, NOTSET, self.suppress_exception)

    def get_param(self, key: str) -> Param:
        """The `Param` object stored under `key`."""
        return self._params[key]

    def items(self) -> ItemsView[str, Param]:
        return ItemsView(self._params)

    def values(self) -> ValuesView[Param]:
        return ValuesView(self._params)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Like `dict.update`; another `ParamsDict` contributes its `Param` objects."""
        if len(args) == 1 and not kwargs and isinstance(args[0], ParamsDict):
            self._params.update(args[0]._params)
            return
        super().update(*args, **kwargs)

    def dump(self) -> dict[str, Any]:
        """Plain `{key: value}`; values failing validation read as `None` (no error)."""
        return {k: p.resolve(suppress_exception=True) for k, p in self._params.items()}

    def validate(self) -> dict[str, Any]:
        """Validate every param and return plain `{key: value}`.

        Raises `ParamValidationError` naming the key of the first invalid param.
        """
        return {
            key: _with_key(key, param.resolve, NOTSET, self.suppress_exception)
            for key, param in self._params.items()
        }

    def serialize(self) -> dict[str, Any]:
        """JSON form keeping each param's schema: `{key: {"__class": ..., **Param.serialize()}}`."""
        out = {}
        for key, param in self._params.items():
            cls_path = f"{type(param).__module__}.{type(param).__qualname__}"
            out[key] = {Param.CLASS_IDENTIFIER: cls_path, **param.serialize()}
        return out

    @classmethod
    def deserialize(cls, data: Mapping[str, Any], version: int = 1) -> ParamsDict:
        """Rebuild from `serialize()` output; plain values become schema-less params."""
        if version > cls.__version__:
            raise TypeError(
                f"serialized ParamsDict version {version} > class version {cls.__version__}"
            )
        params: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, Mapping) and Param.CLASS_IDENTIFIER in value:
                params[key] = Param.deserialize(value)
            else:
                params[key] = value
        return cls(params)


def merge_params(
    dag_params: Mapping[str, Any] | None,
    task_params: Mapping[str, Any] | None,
    conf: Mapping[str, Any] | None,
    *,
    validate: bool = True,
) -> dict[str, Any]:
    """The `params` a task sees: DAG params, overridden by task params, then `dag_run.conf` merged.

    Every conf key is merged, declared or not; a conf (or task) value for a declared param must
    satisfy that param's schema. With `validate` (the default) all params are validated and a
    `ParamValidationError` names the first offending key; without it values are merged unchecked
    and a param with no value reads as `None`. The given mappings and `Param`s are never modified.
    """
    merged: dict[str, Param] = {}
    for layer in (dag_params, task_params):
        for key, value in _param_items(layer):
            if isinstance(value, Param):
                merged[key] = copy.copy(value)
            elif key in merged:
                merged[key] = _override(key, merged[key], value, validate)
            else:
                merged[key] = _new_param(key, value)
    for key, value in _conf_items(conf):
        if key in merged:
            merged[key] = _override(key, merged[key], value, validate)
        else:
            merged[key] = _new_param(key, value)
    if not validate:
        return {k: None if p.value is NOTSET else p.value for k, p in merged.items()}
    return {key: _with_key(key, param.resolve, NOTSET, False) for key, param in merged.items()}


def validate_conf(
    dag_params: Mapping[str, Any] | None, conf: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Trigger-time check of a run's conf against the DAG's params; returns the resolved params.

    Raises `ParamValidationError` naming the param when a conf value breaks its schema or a required
    param (no default) is missing from conf.
    """
    return merge_params(dag_params, None, conf, validate=True)


def _param_items(params: Mapping[str, Any] | None) -> Any:
    """`(key, Param-or-value)` pairs; a `ParamsDict` gives its `Param` objects."""
    return () if params is None else params.items()


def _conf_items(conf: Mapping[str, Any] | None) -> Any:
    if conf is None:
        return ()
    if not isinstance(conf, Mapping):
        raise ParamValidationError(
            f"dag_run conf must be a JSON object, got {type(conf).__name__}: {conf!r}"
        )
    return conf.items()


def _override(key: str, param: Param, value: Any, validate: bool) -> Param:
    """A copy of `param` holding `value`, validated against its schema when `validate`."""
    new = copy.copy(param)
    if validate:
        _with_key(key, new.resolve, value, False)
    else:
        new.value = value
    return new


def _new_param(key: str, value: Any) -> Param:
    return _with_key(key, Param, value)


def _with_key(key: str, func: Any, *args: Any) -> Any:
    """Call `func(*args)`, re-raising a `ParamValidationError` with the param key in its message."""
    try:
        return func(*args)
    except ParamValidationError as err:
        raise ParamValidationError(f"Invalid input for param {key}: {err}") from None


def _check_json(value: Any) -> None:
    try:
        json.dumps(value)
    except Exception:
        raise ParamValidationError(
            f"All provided parameters must be json-serializable. "
            f"The value '{value}' is not serializable."
        ) from None


def _validate(value: Any, schema: Mapping[str, Any]) -> None:
    """Raise `ParamValidationError` when `value` breaks `schema`."""
    if _is_simple(schema):
        message = _simple_error(value, schema)
    else:
        message = _jsonschema_error(value, schema)
    if message is not None:
        raise ParamValidationError(message)


def _is_simple(schema: Mapping[str, Any]) -> bool:
    """True when the built-in validator gives jsonschema's verdict (and the schema is valid)."""
    for keyword, rule in schema.items():
        if not isinstance(keyword, str) or keyword.startswith("$") or keyword in _COMPLEX_KEYWORDS:
            return False
        if keyword not in _SIMPLE_KEYWORDS:
            continue
        if keyword == "type":
            names = rule if isinstance(rule, list) else [rule]
            if not names or not all(isinstance(n, str) and n in _TYPE_NAMES for n in names):
                return False
        elif keyword == "enum":
            if not isinstance(rule, list):
                return False
        elif keyword in ("minLength", "maxLength"):
            if not _is_int(rule) or rule < 0:
                return False
        elif keyword != "const" and not _is_number(rule):
            return False
    return True


def _simple_error(value: Any, schema: Mapping[str, Any]) -> str | None:
    """The message for the first keyword of `schema` that `value` breaks, worded as jsonschema's."""
    for keyword, rule in schema.items():
        if keyword == "type":
            names = rule if isinstance(rule, list) else [rule]
            if not any(_is_type(value, name) for name in names):
                return f"{value!r} is not of type {', '.join(repr(n) for n in names)}"
        elif keyword == "enum":
            if not any(_json_equal(option, value) for option in rule):
                return f"{value!r} is not one of {rule!r}"
        elif keyword == "const":
            if not _json_equal(rule, value):
                return f"{rule!r} was expected"
        elif keyword in ("minLength", "maxLength") and isinstance(value, str):
            if keyword == "minLength" and len(value) < rule:
                return f"{value!r} {'should be non-empty' if rule == 1 else 'is too short'}"
            if keyword == "maxLength" and len(value) > rule:
                return f"{value!r} {'is expected to be empty' if rule == 0 else 'is too long'}"
        elif keyword in _SIMPLE_KEYWORDS and _is_number(value):
            message = _bound_error(keyword, rule, value)
            if message:
                return message
    return None


def _bound_error(keyword: str, bound: Any, value: Any) -> str | None:
    if keyword == "minimum" and value < bound:
        return f"{value!r} is less than the minimum of {bound!r}"
    if keyword == "maximum" and value > bound:
        return f"{value!r} is greater than the maximum of {bound!r}"
    if keyword == "exclusiveMinimum" and value <= bound:
        return f"{value!r} is less than or equal to the minimum of {bound!r}"
    if keyword == "exclusiveMaximum" and value >= bound:
        return f"{value!r} is greater than or equal to the maximum of {bound!r}"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _is_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        return _is_int(value)
    if name == "number":
        return _is_number(value)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "array":
        return isinstance(value, list)
    return isinstance(value, dict)  # "object"


def _json_equal(one: Any, two: Any) -> bool:
    """Equality where `True != 1` and `False != 0`, recursively (JSON Schema's notion)."""
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one is two
    if isinstance(one, (list, tuple)) and isinstance(two, (list, tuple)):
        return len(one) == len(two) and all(_json_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_json_equal(one[k], two[k]) for k in one)
    return bool(one == two)


def _jsonschema_error(value: Any, schema: Mapping[str, Any]) -> str | None:
    """Validate with jsonschema (imported here); the most relevant error's message, or None."""
    from jsonschema import exceptions, validators

    cls = validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as err:
        return f"invalid schema: {err.message}"
    error = exceptions.best_match(cls(schema, format_checker=_format_checker()).iter_errors(value))
    if error is None:
        return None
    where = "".join(f"[{part!r}]" for part in error.absolute_path)
    return f"{error.message} (at {where})" if where else error.message


_FORMAT_CHECKER: Any = None


def _format_checker() -> Any:
    """jsonschema's format checker, plus an RFC 3339 `date-time` check if that is missing."""
    global _FORMAT_CHECKER
    if _FORMAT_CHECKER is None:
        from jsonschema import FormatChecker

        checker = FormatChecker()
        if "date-time" not in checker.checkers:
            checker.checks("date-time", raises=ValueError)(_is_rfc3339_datetime)
        _FORMAT_CHECKER = checker
    return _FORMAT_CHECKER


def _is_rfc3339_datetime(value: Any) -> bool:
    """RFC 3339 date-time (`2024-01-31T12:00:00Z`, `...+02:00`, a fraction allowed); others pass."""
    if not isinstance(value, str):
        return True
    import datetime as dt
    import re

    match = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value
    )
    if match is None:
        return False
    date, time, _fraction, offset = match.groups()
    offset = "+00:00" if offset in ("Z", "z") else offset
    dt.date.fromisoformat(date)  # raises ValueError on an impossible day
    dt.time.fromisoformat(time.replace(":60", ":59"))  # leap seconds are valid RFC 3339
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(f"invalid UTC offset {offset}")
    return True
