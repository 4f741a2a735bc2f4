"""Param, ParamsDict and the run-time / trigger-time merge rules."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import subprocess
import sys

import pytest

from slipstream.core.exceptions import AirflowException, ParamValidationError
from slipstream.sdk import params as params_module
from slipstream.sdk.params import NOTSET, Param, ParamsDict, merge_params, validate_conf

# -- Param ------------------------------------------------------------------------------------


def test_param_without_schema_returns_its_default():
    assert Param(5).resolve() == 5
    assert Param({"a": [1, 2]}).resolve() == {"a": [1, 2]}
    assert Param(None).resolve() is None


def test_param_resolve_with_value_validates_and_keeps_it():
    p = Param(5, type="integer", minimum=1)
    assert p.resolve(7) == 7
    assert p.value == 7


@pytest.mark.parametrize(
    ("param", "value", "problem"),
    [
        (Param(5, type="integer"), "abc", "'abc' is not of type 'integer'"),
        (Param(5, type="integer", minimum=3), 2, "2 is less than the minimum of 3"),
        (Param(5, type="integer", maximum=10), 11, "11 is greater than the maximum of 10"),
        (Param("a", enum=["a", "b"]), "c", "'c' is not one of ['a', 'b']"),
        (Param("abcd", type="string", minLength=3), "ab", "'ab' is too short"),
        (Param("a", type="string", maxLength=3), "abcd", "'abcd' is too long"),
        (Param(True, type="boolean"), 1, "1 is not of type 'boolean'"),
        (Param("x", type=["null", "string"]), 3, "3 is not of type 'null', 'string'"),
        (Param("ab", pattern="^a"), "ba", "'ba' does not match '^a'"),
        (Param([1], type="array", items={"type": "integer"}), [1, "x"], "'x' is not of type"),
    ],
)
def test_param_invalid_value_names_the_schema_problem(param, value, problem):
    with pytest.raises(ParamValidationError, match=re.escape(problem)):
        param.resolve(value)
    assert param.resolve(value, suppress_exception=True) is None


def test_param_rejects_invalid_default_only_when_resolved():
    p = Param(0, type="integer", minimum=1)
    with pytest.raises(ParamValidationError, match="0 is less than the minimum of 1"):
        p.resolve()


def test_param_without_default_or_value_is_an_error():
    with pytest.raises(
        ParamValidationError, match="No value passed and Param has no default value"
    ):
        Param(type="string").resolve()
    assert Param(type="string").resolve(suppress_exception=True) is None


def test_param_without_default_is_none_when_type_allows_null():
    assert Param(type=["null", "string"]).resolve() is None
    assert Param(type="null").resolve() is None


def test_param_none_default_must_match_type():
    with pytest.raises(ParamValidationError, match="None is not of type 'string'"):
        Param(None, type="string").resolve()


def test_param_integer_accepts_integral_float_and_rejects_bool():
    p = Param(1, type="integer")
    assert p.resolve(2.0) == 2.0
    with pytest.raises(ParamValidationError):
        p.resolve(True)
    with pytest.raises(ParamValidationError):
        Param(1, type="number").resolve(False)


def test_param_non_json_default_or_value_is_rejected():
    with pytest.raises(ParamValidationError, match="json-serializable"):
        Param(dt.datetime(2024, 1, 1))
    with pytest.raises(ParamValidationError, match="json-serializable"):
        Param(1).resolve({1, 2})


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("date", "2024-02-29", "2023-02-29"),
        ("date-time", "2024-01-31T12:00:00+02:00", "2024-01-31 12:00"),
        ("date-time", "2024-01-31T12:00:00.123Z", "2024-13-01T00:00:00Z"),
        ("email", "a@example.com", "not-an-email"),
    ],
)
def test_param_format_is_checked(fmt, good, bad):
    p = Param(good, type="string", format=fmt)
    assert p.resolve() == good
    with pytest.raises(ParamValidationError, match=f"is not a '{fmt}'"):
        p.resolve(bad)


def test_param_object_schema_reports_path_and_required():
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "tags": {"type": "array"}},
        "required": ["n"],
    }
    p = Param({"n": 1}, **schema)
    with pytest.raises(ParamValidationError, match="'n' is a required property"):
        p.resolve({"tags": []})
    with pytest.raises(ParamValidationError, match=r"'x' is not of type 'integer' \(at \['n'\]\)"):
        p.resolve({"n": "x"})


def test_param_invalid_schema_is_a_validation_error():
    with pytest.raises(ParamValidationError, match="invalid schema"):
        Param(1, type="datetime").resolve()


def test_param_annotation_keywords_do_not_constrain():
    p = Param(
        "a",
        type="string",
        title="Letter",
        description="pick one",
        examples=["a", "b"],
        values_display={"a": "A"},
        section="Advanced",
    )
    assert p.resolve("b") == "b"
    assert p.description == "pick one"
    assert "description" not in p.schema


def test_param_explicit_schema_keyword():
    p = Param(3, schema={"type": "integer", "maximum": 3})
    assert p.schema == {"type": "integer", "maximum": 3}
    with pytest.raises(ParamValidationError):
        p.resolve(4)


def test_param_dump_serialize_round_trip():
    p = Param(5, description="count", type="integer", minimum=1)
    assert p.dump() == {
        "__class": "slipstream.sdk.params.Param",
        "value": 5,
        "description": "count",
        "schema": {"type": "integer", "minimum": 1},
    }
    assert Param.deserialize(p.serialize()) == p
    assert Param.deserialize(json.loads(json.dumps(p.serialize()))) == p


def test_param_without_default_serializes_without_value():
    p = Param(type="string")
    assert "value" not in p.serialize()
    assert p.dump()["value"] is None
    assert Param.deserialize(p.serialize()).value is NOTSET
    assert not p.has_value


def test_param_deserialize_rejects_newer_version():
    with pytest.raises(TypeError):
        Param.deserialize({"value": 1, "description": None, "schema": {}}, version=99)


def test_notset_is_a_falsy_singleton_that_survives_copying():
    assert not NOTSET
    assert repr(NOTSET) == "NOTSET"
    assert copy.deepcopy(NOTSET) is NOTSET
    assert type(NOTSET)() is NOTSET


# -- ParamsDict -------------------------------------------------------------------------------


def test_paramsdict_getitem_returns_resolved_value():
    d = ParamsDict({"x": Param(5, type="integer"), "y": "plain"})
    assert d["x"] == 5
    assert d["y"] == "plain"
    assert isinstance(d.get_param("y"), Param)
    assert dict(d) == {"x": 5, "y": "plain"}
    assert len(d) == 2 and "x" in d and list(d) == ["x", "y"]


def test_paramsdict_items_and_values_give_params():
    d = ParamsDict({"x": 1})
    assert all(isinstance(p, Param) for p in d.values())
    assert [(k, p.value) for k, p in d.items()] == [("x", 1)]


def test_paramsdict_setitem_validates_against_existing_schema_and_names_key():
    d = ParamsDict({"n": Param(5, type="integer", maximum=10)})
    d["n"] = 7
    assert d["n"] == 7
    with pytest.raises(ParamValidationError, match="Invalid input for param n: 11 is greater"):
        d["n"] = 11
    d["new"] = "anything"
    assert d["new"] == "anything"


def test_paramsdict_getitem_error_names_key():
    d = ParamsDict({"needed": Param(type="string")})
    with pytest.raises(
        ParamValidationError, match="Invalid input for param needed: No value passed"
    ):
        d["needed"]


def test_paramsdict_suppress_exception_reads_none():
    d = ParamsDict({"needed": Param(type="string")}, suppress_exception=True)
    assert d["needed"] is None
    assert d.validate() == {"needed": None}


def test_paramsdict_validate_returns_plain_dict_and_names_key():
    d = ParamsDict({"a": Param(1, type="integer"), "b": Param("x", enum=["y"])})
    with pytest.raises(ParamValidationError, match=r"Invalid input for param b: 'x' is not one of"):
        d.validate()
    d["b"] = Param("y", enum=["y"])
    assert d.validate() == {"a": 1, "b": "y"}
    assert type(d.validate()) is dict


def test_paramsdict_dump_suppresses_errors():
    d = ParamsDict({"ok": 1, "bad": Param(0, minimum=1)})
    assert d.dump() == {"ok": 1, "bad": None}
    assert repr(d) == "{'ok': 1, 'bad': None}"


def test_paramsdict_update_with_paramsdict_shares_params_and_with_dict_validates():
    base = ParamsDict({"n": Param(1, type="integer")})
    other = ParamsDict({"m": Param(2, type="integer")})
    base.update(other)
    assert base.get_param("m") is other.get_param("m")
    with pytest.raises(ParamValidationError, match="param n"):
        base.update({"n": "not-int"})
    base.update(n=3)
    assert base["n"] == 3


def test_paramsdict_copy_is_independent():
    d = ParamsDict({"n": Param(1, type="integer")})
    c = d.copy()
    c["n"] = 2
    assert d["n"] == 1 and c["n"] == 2
    shallow = copy.copy(d)
    assert shallow.get_param("n") is d.get_param("n")
    deep = copy.deepcopy(d)
    assert deep.get_param("n") is not d.get_param("n") and deep == d


def test_paramsdict_equality_with_dicts_and_del():
    d = ParamsDict({"a": 1, "b": 2})
    assert d == {"a": 1, "b": 2}
    assert d == ParamsDict({"a": 1, "b": 2})
    del d["b"]
    assert d == {"a": 1}
    assert not ParamsDict()


def test_paramsdict_serialize_round_trip_keeps_schema():
    d = ParamsDict(
        {"n": Param(5, "count", type="integer", minimum=1), "plain": [1], "req": Param()}
    )
    data = json.loads(json.dumps(d.serialize()))
    back = ParamsDict.deserialize(data)
    assert back.get_param("n") == d.get_param("n")
    assert back.get_param("req").value is NOTSET
    assert back["plain"] == [1]
    # plain values (as dump() gives) deserialize too
    assert ParamsDict.deserialize({"a": 1, "b": {"x": 1}}).dump() == {"a": 1, "b": {"x": 1}}


def test_paramsdict_rejects_non_json_value_naming_key():
    with pytest.raises(ParamValidationError, match="Invalid input for param when: All provided"):
        ParamsDict({"when": dt.date(2024, 1, 1)})


# -- merge_params / validate_conf ------------------------------------------------------------


def test_merge_params_task_overrides_dag_and_conf_adds_undeclared_keys():
    dag_params = {"mode": Param("fast", enum=["fast", "slow"]), "n": 1}
    task_params = {"mode": "slow"}
    assert merge_params(dag_params, task_params, {"extra": "x", "n": 4}) == {
        "mode": "slow",
        "n": 4,
        "extra": "x",
    }


def test_merge_params_conf_overrides_task_and_dag():
    result = merge_params({"a": 1}, {"a": 2}, {"a": 3})
    assert result == {"a": 3}


def test_merge_params_conf_value_validated_against_declared_schema():
    dag_params = {"n": Param(5, type="integer", maximum=10)}
    with pytest.raises(ParamValidationError, match="Invalid input for param n: 11 is greater"):
        merge_params(dag_params, None, {"n": 11})


def test_merge_params_task_plain_value_validated_against_dag_schema():
    with pytest.raises(ParamValidationError, match="param n"):
        merge_params({"n": Param(1, type="integer")}, {"n": "x"}, None)


def test_merge_params_task_param_replaces_dag_param_schema():
    result = merge_params({"n": Param(1, type="integer")}, {"n": Param("x", type="string")}, None)
    assert result == {"n": "x"}


def test_merge_params_missing_required_value_names_key():
    with pytest.raises(ParamValidationError, match="param email: No value passed"):
        merge_params({"email": Param(type="string", format="email")}, None, {})


def test_merge_params_without_validation():
    dag_params = {"n": Param(5, type="integer"), "req": Param(type="string")}
    assert merge_params(dag_params, None, {"n": "bad"}, validate=False) == {"n": "bad", "req": None}


def test_merge_params_never_mutates_inputs():
    dag_param = Param(5, type="integer")
    dag_params = ParamsDict({"n": dag_param})
    assert merge_params(dag_params, None, {"n": 9}) == {"n": 9}
    assert dag_param.value == 5
    assert dag_params["n"] == 5
    assert merge_params(dag_params, None, None) == {"n": 5}


def test_merge_params_accepts_paramsdicts_and_none():
    assert merge_params(None, None, None) == {}
    assert merge_params(ParamsDict({"a": 1}), ParamsDict({"b": 2}), {"c": 3}) == {
        "a": 1,
        "b": 2,
        "c": 3,
    }


def test_validate_conf_returns_resolved_params():
    dag_params = {"n": Param(1, type="integer"), "flag": False}
    assert validate_conf(dag_params, {"n": 3, "other": "x"}) == {
        "n": 3,
        "flag": False,
        "other": "x",
    }
    assert validate_conf(dag_params, None) == {"n": 1, "flag": False}


def test_validate_conf_invalid_names_param():
    dag_params = {"env": Param("dev", enum=["dev", "prod"])}
    with pytest.raises(AirflowException) as info:
        validate_conf(dag_params, {"env": "qa"})
    assert isinstance(info.value, ParamValidationError)
    assert str(info.value) == "Invalid input for param env: 'qa' is not one of ['dev', 'prod']"


def test_validate_conf_rejects_non_object_conf():
    with pytest.raises(ParamValidationError, match="JSON object"):
        validate_conf({}, ["a"])  # type: ignore[arg-type]


# -- the built-in validator agrees with jsonschema -------------------------------------------

_SCHEMAS = [
    {"type": "integer"},
    {"type": "number", "minimum": 0, "exclusiveMaximum": 10},
    {"type": ["null", "string"], "minLength": 2, "maxLength": 4},
    {"type": "string", "minLength": 1},
    {"maxLength": 0},
    {"enum": [1, "a", None, True, [1, 2], {"k": 1}]},
    {"const": 1},
    {"const": False},
    {"type": "boolean"},
    {"type": ["array", "object"]},
    {"minimum": 2.5, "maximum": 3, "title": "annotated", "values_display": {"a": "b"}},
    {"exclusiveMinimum": 1, "type": "number"},
    {"enum": ["x"], "type": "integer"},
]
_VALUES = [
    0,
    1,
    1.0,
    2.7,
    3,
    10,
    -1,
    True,
    False,
    None,
    "",
    "a",
    "ab",
    "abcde",
    [],
    [1, 2],
    {"k": 1},
]


@pytest.mark.parametrize(("schema", "value"), list(itertools.product(_SCHEMAS, _VALUES)))
def test_builtin_param_validator_matches_jsonschema(schema, value):
    assert params_module._is_simple(schema)
    ours = params_module._simple_error(value, schema)
    theirs = params_module._jsonschema_error(value, schema)
    assert ours == theirs


def test_builtin_validator_routes_every_jsonschema_keyword():
    import jsonschema

    known = params_module._SIMPLE_KEYWORDS | params_module._COMPLEX_KEYWORDS
    dollar = {k for k in jsonschema.Draft202012Validator.VALIDATORS if k.startswith("$")}
    assert set(jsonschema.Draft202012Validator.VALIDATORS) - dollar <= known
    assert not params_module._is_simple({"type": "integer", "multipleOf": 2})
    assert not params_module._is_simple({"$ref": "#/x"})
    assert not params_module._is_simple({"type": "datetime"})


def test_params_module_imports_no_third_party_packages():
    code = (
        "import sys; import slipstream.sdk.params, slipstream.sdk.secrets, slipstream.sdk.variables,"
        " slipstream.sdk.connections, slipstream.sdk.hooks, slipstream.sdk.macros;"
        "from slipstream.sdk.params import Param, ParamsDict;"
        "ParamsDict({'n': Param(3, type='integer', minimum=1, title='t')}).validate();"
        "heavy = {'jsonschema', 'pendulum', 'dateutil', 'referencing', 'attrs'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_dag_without_schedule_may_have_required_params():
    """As in Airflow: a param without default is asked for when the DAG is triggered, so only
    DAGs that the scheduler runs by itself must have every param valid when parsed."""
    from slipstream.sdk import DAG

    with DAG("asks", schedule=None, params={"region": Param(type="string")}) as dag:
        pass
    dag.validate()
    assert validate_conf(dag.params, {"region": "emea"}) == {"region": "emea"}
    with pytest.raises(ParamValidationError, match="region"):
        validate_conf(dag.params, {})


def test_a_scheduled_dag_needs_valid_param_defaults():
    from slipstream.sdk import DAG

    with DAG("daily", schedule="@daily", params={"region": Param(type="string")}) as dag:
        pass
    with pytest.raises(ParamValidationError, match=r"DAG 'daily' has a schedule.*region"):
        dag.validate()
