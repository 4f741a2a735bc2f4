"""Variable.get/set/delete and the `var.value` / `var.json` template accessors."""

from __future__ import annotations

import json
import os

import jinja2
import pytest

from slipstream.core.exceptions import AirflowException, AirflowNotFoundException
from slipstream.sdk import secrets
from slipstream.sdk.secrets import InMemoryBackend
from slipstream.sdk.variables import Variable, VariableAccessor, VariableNotFound


@pytest.fixture(autouse=True)
def backend(monkeypatch):
    for name in list(os.environ):
        if name.startswith(secrets.VAR_ENV_PREFIXES):
            monkeypatch.delenv(name)
    store = InMemoryBackend(variables={"greeting": "hello", "cfg": {"db": {"host": "h"}, "n": 2}})
    with secrets.use_runtime_backend(store):
        yield store


def test_variable_get_reads_string():
    assert Variable.get("greeting") == "hello"


def test_variable_get_deserialize_json():
    assert Variable.get("cfg", deserialize_json=True) == {"db": {"host": "h"}, "n": 2}
    assert Variable.get("cfg") == '{"db": {"host": "h"}, "n": 2}'


def test_variable_env_json_deserialization(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_SETTINGS", '{"batch": 10, "tags": ["a"]}')
    assert Variable.get("settings", deserialize_json=True) == {"batch": 10, "tags": ["a"]}
    assert Variable.get("SETTINGS") == '{"batch": 10, "tags": ["a"]}'


def test_variable_missing_raises_keyerror_and_not_found():
    with pytest.raises(VariableNotFound) as info:
        Variable.get("nope")
    err = info.value
    assert isinstance(err, KeyError)
    assert isinstance(err, AirflowNotFoundException)
    assert str(err) == "Variable nope does not exist"
    assert err.key == "nope"
    with pytest.raises(KeyError):
        Variable.get("nope")


def test_variable_missing_without_any_backend_raises():
    with secrets.use_runtime_backend(None), pytest.raises(KeyError, match="nope"):
        Variable.get("nope")


def test_variable_defaults():
    assert Variable.get("nope", default="d") == "d"
    assert Variable.get("nope", "positional") == "positional"
    assert Variable.get("nope", default_var="dv") == "dv"
    assert Variable.get("nope", default=None) is None
    assert Variable.get("nope", default_var=None) is None
    # the default is returned as given, not deserialized
    assert Variable.get("nope", default="{}", deserialize_json=True) == "{}"
    assert Variable.get("greeting", default="unused") == "hello"


def test_variable_set_and_delete(backend):
    Variable.set("k", 5, description="five")
    assert backend.variables["k"] == "5"
    assert backend.descriptions["k"] == "five"
    assert Variable.get("k") == "5"
    Variable.set("obj", {"a": [1, 2]}, serialize_json=True)
    assert backend.variables["obj"] == json.dumps({"a": [1, 2]}, indent=2)
    assert Variable.get("obj", deserialize_json=True) == {"a": [1, 2]}
    Variable.delete("k")
    with pytest.raises(KeyError):
        Variable.get("k")


def test_variable_set_without_runtime_backend_is_a_clear_error():
    with (
        secrets.use_runtime_backend(None),
        pytest.raises(AirflowException, match="no variable store"),
    ):
        Variable.set("k", "v")


def test_variable_setdefault(backend):
    assert Variable.setdefault("fresh", {"x": 1}, deserialize_json=True) == {"x": 1}
    assert Variable.get("fresh", deserialize_json=True) == {"x": 1}
    assert Variable.setdefault("greeting", "other") == "hello"
    with pytest.raises(ValueError):
        Variable.setdefault("none", None)


def test_variable_record_attributes():
    v = Variable("k", "v", "d")
    assert (v.key, v.value, v.description) == ("k", "v", "d")
    assert "k" in repr(v)


def test_variable_accessor_value_and_json():
    value, as_json = (
        VariableAccessor(deserialize_json=False),
        VariableAccessor(deserialize_json=True),
    )
    assert value.greeting == "hello"
    assert as_json.cfg["db"]["host"] == "h"
    assert value.get("nope", "fallback") == "fallback"
    assert value.get("nope") is None
    assert value.get("nope", default_var="dv") == "dv"
    assert as_json.get("cfg") == {"db": {"host": "h"}, "n": 2}
    with pytest.raises(KeyError):
        value.nope  # noqa: B018
    with pytest.raises(AttributeError):
        value.__html__  # noqa: B018


def test_variable_accessor_in_jinja_templates(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_FROM_ENV", "e")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    var = {"value": VariableAccessor(False), "json": VariableAccessor(True)}
    template = env.from_string(
        "{{ var.value.greeting }} {{ var.value.get('missing', 'fallback') }} "
        "{{ var.json.cfg.db.host }} {{ var.json.cfg.n + 1 }} {{ var.json.get('missing', 0) }} "
        "{{ var.value.from_env }}"
    )
    assert template.render(var=var) == "hello fallback h 3 0 e"


def test_variable_accessor_equality_and_repr():
    assert VariableAccessor(True) == VariableAccessor(False)
    assert hash(VariableAccessor(True)) == hash(VariableAccessor(False))
    assert VariableAccessor(True) != object()
    assert repr(VariableAccessor(False)) == "<VariableAccessor (dynamic access)>"
