"""Rendering template fields and template files (slipstream.sdk.templating)."""

from __future__ import annotations

import collections
import pickle
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import jinja2
import jinja2.nativetypes
import pendulum
import pytest

from slipstream.core.exceptions import AirflowException, AirflowSkipException
from slipstream.sdk import DAG, BaseOperator, XComArg, literal
from slipstream.sdk.operators.python import PythonOperator
from slipstream.sdk.templating import (
    FILTERS,
    TemplateRenderError,
    dag_template_env,
    render_template_fields,
    render_template_to_string,
    render_value,
)
from slipstream.sdk.xcom_arg import DagParam

try:
    from slipstream.sdk import macros as MACROS
except ImportError:  # another engineer's module; a stand-in while it is missing
    MACROS = {"ds_add": lambda ds, days: ds}  # type: ignore[assignment]

LOGICAL_DATE = pendulum.datetime(2024, 3, 5, 6, 7, 8, tz="UTC")


class SqlOperator(BaseOperator):
    template_fields: Sequence[str] = ("cmd", "data")
    template_ext: Sequence[str] = (".sql",)

    def __init__(self, *, cmd: Any = "", data: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cmd = cmd
        self.data = data
        self.prepared: list[Any] = []

    def prepare_template(self) -> None:
        self.prepared.append(self.cmd)

    def execute(self, context: Any) -> Any:
        return self.cmd


class Query:
    """A value object with its own template fields (like provider job specs)."""

    template_fields = ("sql", "label")

    def __init__(self, sql: str, label: str = "") -> None:
        self.sql = sql
        self.label = label


class FakeTI:
    def __init__(self, values: dict[tuple[str, str], Any]) -> None:
        self.values = values
        self.calls: list[tuple[Any, str, Any]] = []

    def xcom_pull(
        self, task_ids: Any = None, key: str = "return_value", map_indexes: Any = None
    ) -> Any:
        self.calls.append((task_ids, key, map_indexes))
        return self.values[(task_ids, key)]


Point = collections.namedtuple("Point", ["x", "y"])


def make_dag(dag_id: str = "demo", **kwargs: Any) -> DAG:
    return DAG(dag_id, schedule=None, start_date=pendulum.datetime(2024, 1, 1), **kwargs)


def make_context(dag: Any = None, task: Any = None, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "dag": dag,
        "task": task,
        "run_id": "manual__2024-03-05T06:07:08+00:00",
        "logical_date": LOGICAL_DATE,
        "data_interval_start": LOGICAL_DATE,
        "data_interval_end": LOGICAL_DATE.add(days=1),
        "ds": "2024-03-05",
        "ds_nodash": "20240305",
        "ts": LOGICAL_DATE.isoformat(),
        "ts_nodash": "20240305T060708",
        "params": {"name": "world", "n": 3, "items": [1, 2]},
        "macros": MACROS,
    }
    context.update(extra)
    return context


def render(task: Any, **extra: Any) -> Any:
    task.render_template_fields(make_context(task.dag, task, **extra))
    return task


# --- strings ---------------------------------------------------------------------------------


def test_renders_context_values_params_macros_and_jinja_builtins():
    dag = make_dag()
    op = SqlOperator(
        task_id="t",
        dag=dag,
        cmd=(
            "{{ ds }} {{ ds_nodash }} {{ params.name }} {{ params['n'] + 1 }} "
            "{{ macros.ds_add(ds, 1) }} {{ logical_date.strftime('%H:%M') }} "
            "{% for i in params['items'] %}[{{ loop.index }}:{{ i }}]{% endfor %} "
            "{{ 'x' | upper }} {{ dag.dag_id }}.{{ task.task_id }}"
        ),
    )
    render(op)
    assert op.cmd == "2024-03-05 20240305 world 4 2024-03-06 06:07 [1:1][2:2] X demo.t"


def test_plain_strings_skip_jinja_but_match_its_output():
    plain = jinja2.Environment()
    samples = ["echo hi", "a } b { c", "{ not: a template }", "line\n", "two\n\n", "", "50%"]
    dag = make_dag()
    for sample in samples:
        op = SqlOperator(task_id=f"t{samples.index(sample)}", dag=dag, cmd=[sample])
        render(op)
        assert op.cmd == [plain.from_string(sample).render()], sample
    same = "no markers here"
    op = SqlOperator(task_id="same", dag=dag, cmd=same)
    render(op)
    assert op.cmd is same


def test_carriage_returns_and_comments_still_go_through_jinja():
    dag = make_dag()
    op = SqlOperator(task_id="t", dag=dag, cmd="a\r\nb", data="x{# hidden #}y")
    render(op)
    assert op.cmd == "a\nb"
    assert op.data == "xy"


def test_non_string_and_empty_values_are_left_alone():
    dag = make_dag()
    op = SqlOperator(task_id="t", dag=dag, cmd="", data=[1, 2.5, None, True, LOGICAL_DATE, b"{{"])
    render(op)
    assert op.cmd == ""
    assert op.data == [1, 2.5, None, True, LOGICAL_DATE, b"{{"]
    op = SqlOperator(task_id="t2", dag=dag, cmd=None, data=0)
    render(op)
    assert op.cmd is None
    assert op.data == 0


def test_do_extension_is_enabled():
    dag = make_dag()
    op = SqlOperator(
        task_id="t", dag=dag, cmd="{% set xs = [] %}{% do xs.append(ds) %}{{ xs | join(',') }}"
    )
    render(op)
    assert op.cmd == "2024-03-05"


# --- containers ------------------------------------------------------------------------------


def test_containers_render_element_wise_and_keep_their_types():
    dag = make_dag()
    original = {
        "{{ ds }}": "{{ ds }}",
        "list": ["{{ ds_nodash }}", ("{{ params.n }}", 7)],
        "set": {"{{ params.name }}"},
        "frozen": frozenset({"{{ ds }}"}),
        "point": Point("{{ params.n }}", 2),
        "ordered": collections.OrderedDict(a="{{ ds }}"),
        "default": collections.defaultdict(list, a="{{ ds }}"),
    }
    op = SqlOperator(task_id="t", dag=dag, data=original)
    render(op)
    data = op.data
    assert data["{{ ds }}"] == "2024-03-05"  # keys are not templates
    assert data["list"] == ["20240305", ("3", 7)]
    assert type(data["list"][1]) is tuple
    assert data["set"] == {"world"}
    assert data["frozen"] == frozenset({"2024-03-05"})
    assert type(data["point"]) is Point
    assert data["point"] == Point("3", 2)
    assert type(data["ordered"]) is collections.OrderedDict
    assert data["ordered"] == {"a": "2024-03-05"}
    assert type(data["default"]) is collections.defaultdict
    assert data["default"]["missing"] == []
    # The definition's containers are not changed: rendering builds new ones.
    assert original["list"] == ["{{ ds_nodash }}", ("{{ params.n }}", 7)]
    assert original["ordered"]["a"] == "{{ ds }}"


def test_python_operator_fields_render():
    dag = make_dag()
    op = PythonOperator(
        task_id="py",
        dag=dag,
        python_callable=lambda *a, **k: None,
        op_args=["{{ ds }}", 1],
        op_kwargs={"when": "{{ ts_nodash }}", "nested": {"n": "{{ params.n }}"}},
        templates_dict={"q": "select '{{ ds }}'"},
    )
    render(op)
    assert op.op_args == ["2024-03-05", 1]
    assert op.op_kwargs == {"when": "20240305T060708", "nested": {"n": "3"}}
    assert op.templates_dict == {"q": "select '2024-03-05'"}


# --- filters, macros, environment options ------------------------------------------------------


def test_airflow_datetime_filters():
    dag = make_dag()
    op = SqlOperator(
        task_id="t",
        dag=dag,
        cmd=(
            "{{ logical_date | ds }} {{ logical_date | ds_nodash }} {{ logical_date | ts }} "
            "{{ logical_date | ts_nodash }} {{ logical_date | ts_nodash_with_tz }}"
        ),
        data="{{ data_interval_end | ds }}",
    )
    render(op)
    assert op.cmd == (
        "2024-03-05 20240305 2024-03-05T06:07:08+00:00 20240305T060708 20240305T060708+0000"
    )
    assert op.data == "2024-03-06"
    assert all(f(None) is None for f in FILTERS.values())


def test_user_defined_macros_and_filters():
    dag = make_dag(
        user_defined_macros={"env": "prod", "double": lambda x: x * 2, "ds": "shadowed"},
        user_defined_filters={"shout": lambda s: s.upper() + "!", "ds": lambda v: "mine"},
    )
    op = SqlOperator(
        task_id="t",
        dag=dag,
        cmd="{{ env }} {{ double(21) }} {{ params.name | shout }} {{ ds }} {{ logical_date | ds }}",
    )
    render(op)
    # Context values win over macros of the same name; user filters win over built-in ones.
    assert op.cmd == "prod 42 WORLD! 2024-03-05 mine"


def test_jinja_environment_kwargs_apply():
    dag = make_dag(
        jinja_environment_kwargs={
            "variable_start_string": "[[",
            "variable_end_string": "]]",
            "keep_trailing_newline": True,
        }
    )
    op = SqlOperator(task_id="t", dag=dag, cmd="[[ ds ]] {{ ds }}\n", data="plain\n")
    render(op)
    assert op.cmd == "2024-03-05 {{ ds }}\n"
    assert op.data == "plain\n"


def test_template_undefined_can_be_lenient():
    dag = make_dag(template_undefined=jinja2.Undefined)
    op = SqlOperator(task_id="t", dag=dag, cmd="[{{ nope }}]")
    render(op)
    assert op.cmd == "[]"


def test_environment_is_cached_per_dag_and_follows_changes():
    dag = make_dag(user_defined_macros={"a": 1})
    env = dag_template_env(dag)
    assert isinstance(env, jinja2.Environment)
    assert not isinstance(env, jinja2.nativetypes.NativeEnvironment)
    assert env.undefined is jinja2.StrictUndefined
    assert dag_template_env(dag) is env
    assert dag.get_template_env() is env
    op = SqlOperator(task_id="t", dag=dag)
    assert op.get_template_env() is env
    assert isinstance(dag_template_env(dag, native=True), jinja2.nativetypes.NativeEnvironment)
    dag.user_defined_macros["a"] = 2
    changed = dag_template_env(dag)
    assert changed is not env
    assert changed.globals["a"] == 2
    assert dag_template_env(make_dag("other")) is not changed


# --- template files --------------------------------------------------------------------------


def test_template_file_from_searchpath_is_loaded_and_rendered(tmp_path):
    (tmp_path / "query.sql").write_text("select * from t where day = '{{ ds }}'\n")
    dag = make_dag(template_searchpath=str(tmp_path))
    op = SqlOperator(task_id="t", dag=dag, cmd="query.sql")
    render(op)
    assert op.cmd == "select * from t where day = '2024-03-05'"
    # prepare_template ran once, after the file's text replaced the name
    assert op.prepared == ["select * from t where day = '{{ ds }}'\n"]


def test_template_files_in_the_dag_folder_come_first(tmp_path):
    dag_folder = tmp_path / "dags"
    extra = tmp_path / "extra"
    dag_folder.mkdir()
    extra.mkdir()
    (dag_folder / "a.sql").write_text("from dag folder {{ ds_nodash }}")
    (extra / "a.sql").write_text("from search path")
    (extra / "b.sql").write_text("b {{ params.n }}")
    dag = make_dag(template_searchpath=[str(extra)])
    dag.fileloc = str(dag_folder / "my_dag.py")
    op = SqlOperator(task_id="t", dag=dag, cmd="a.sql", data=["b.sql", {"k": "b.sql"}, "x.txt"])
    render(op)
    assert op.cmd == "from dag folder 20240305"
    assert op.data == ["b 3", {"k": "b 3"}, "x.txt"]


def test_missing_template_file_raises_like_airflow(tmp_path):
    dag = make_dag("files", template_searchpath=str(tmp_path))
    op = SqlOperator(task_id="load", dag=dag, cmd="missing.sql")
    with pytest.raises(TemplateRenderError) as info:
        render(op)
    message = str(info.value)
    assert "template field 'cmd' of task 'load' in DAG 'files'" in message
    assert "'missing.sql' not found" in message
    assert str(tmp_path) in message
    assert isinstance(info.value.__cause__, jinja2.TemplateNotFound)
    # A trailing space is the usual way to say "this is a command, not a file".
    op = SqlOperator(task_id="cmd", dag=dag, cmd="run missing.sql ")
    render(op)
    assert op.cmd == "run missing.sql "


def test_python_operator_templates_exts(tmp_path):
    (tmp_path / "cfg.json").write_text('{"day": "{{ ds }}"}')
    dag = make_dag(template_searchpath=str(tmp_path))
    op = PythonOperator(
        task_id="py",
        dag=dag,
        python_callable=lambda: None,
        templates_dict={"cfg": "cfg.json"},
        templates_exts=[".json"],
    )
    render(op)
    assert op.templates_dict == {"cfg": '{"day": "2024-03-05"}'}


def test_error_inside_template_file_names_the_file(tmp_path):
    (tmp_path / "bad.sql").write_text("select {{ nope }}")
    dag = make_dag("files", template_searchpath=str(tmp_path))
    op = SqlOperator(task_id="t", dag=dag, data=["bad.sql"])
    with pytest.raises(TemplateRenderError) as info:
        render(op)
    assert "template file 'bad.sql'" in str(info.value)
    assert "'nope' is undefined" in str(info.value)


# --- native rendering --------------------------------------------------------------------------


def test_native_rendering_keeps_python_types():
    dag = make_dag(render_template_as_native_obj=True)
    op = SqlOperator(
        task_id="t",
        dag=dag,
        cmd="{{ params['items'] + [3] }}",
        data={
            "n": "{{ params.n }}",
            "plain": "123",
            "text": "{{ ds }}",
            "date": "{{ logical_date }}",
        },
    )
    render(op)
    assert op.cmd == [1, 2, 3]
    assert op.data["n"] == 3
    assert op.data["plain"] == 123  # as in Airflow: native rendering literal-evaluates text
    assert op.data["text"] == "2024-03-05"
    assert op.data["date"] == LOGICAL_DATE


def test_task_level_native_setting_overrides_the_dag():
    native_task = SqlOperator(
        task_id="native", dag=make_dag("plain_dag"), cmd="{{ [1, 2] }}", data="{{ params.n }}"
    )
    native_task.render_template_as_native_obj = True
    render(native_task)
    assert native_task.cmd == [1, 2]
    assert native_task.data == 3

    text_task = SqlOperator(
        task_id="text",
        dag=make_dag("native_dag", render_template_as_native_obj=True),
        cmd="{{ [1, 2] }}",
        render_template_as_native_obj=False,
    )
    render(text_task)
    assert text_task.cmd == "[1, 2]"


# --- errors ----------------------------------------------------------------------------------


def test_undefined_variable_error_names_dag_task_and_field():
    dag = make_dag("demo")
    op = SqlOperator(task_id="say", dag=dag, cmd="echo {{ foo }}")
    with pytest.raises(TemplateRenderError) as info:
        render(op)
    err = info.value
    assert str(err) == (
        "Error rendering template field 'cmd' of task 'say' in DAG 'demo': 'foo' is undefined"
    )
    assert isinstance(err, AirflowException)
    assert isinstance(err.__cause__, jinja2.UndefinedError)
    assert (err.dag_id, err.task_id, err.field) == ("demo", "say", "cmd")
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy) == str(err)
    assert copy.field == "cmd"


def test_undefined_attribute_and_syntax_errors():
    dag = make_dag("demo")
    op = SqlOperator(task_id="t", dag=dag, data={"k": "{{ params.missing.deeper }}"})
    with pytest.raises(TemplateRenderError, match=r"field 'data' .*'missing'"):
        render(op)
    op = SqlOperator(task_id="t2", dag=dag, cmd="ok", data="{{ ds ")
    with pytest.raises(TemplateRenderError) as info:
        render(op)
    assert "field 'data' of task 't2' in DAG 'demo'" in str(info.value)
    assert "(line 1)" in str(info.value)
    assert isinstance(info.value.__cause__, jinja2.TemplateSyntaxError)


def test_other_errors_in_templates_are_wrapped_but_airflow_exceptions_pass():
    def skip() -> str:
        raise AirflowSkipException("not today")

    dag = make_dag("demo", user_defined_macros={"skip": skip})
    op = SqlOperator(task_id="t", dag=dag, cmd="{{ 1 // 0 }}")
    with pytest.raises(TemplateRenderError, match="ZeroDivisionError"):
        render(op)
    op = SqlOperator(task_id="t2", dag=dag, cmd="{{ skip() }}")
    with pytest.raises(AirflowSkipException, match="not today"):
        render(op)


def test_missing_template_field_attribute():
    class Broken(SqlOperator):
        template_fields = ("cmd", "nowhere")

    op = Broken(task_id="t", dag=make_dag())
    op.cmd = "x"
    with pytest.raises(AttributeError, match="'nowhere' is configured as a template field"):
        render(op)


# --- references and nested objects -------------------------------------------------------------


def test_xcom_args_resolve_through_the_task_instance_without_rendering():
    dag = make_dag()
    upstream = SqlOperator(task_id="up", dag=dag)
    op = SqlOperator(
        task_id="down",
        dag=dag,
        cmd=upstream.output,
        data=[XComArg(upstream, key="extra"), {"lit": literal("{{ ds }}")}, "{{ ds }}"],
    )
    assert op.upstream_task_ids == {"up"}
    ti = FakeTI({("up", "return_value"): "{{ not rendered }}", ("up", "extra"): [1]})
    render(op, ti=ti)
    assert op.cmd == "{{ not rendered }}"
    assert op.data == [[1], {"lit": "{{ ds }}"}, "2024-03-05"]
    assert ti.calls == [("up", "return_value", None), ("up", "extra", None)]


def test_dag_param_resolves_to_the_runs_value():
    dag = make_dag()
    op = SqlOperator(task_id="t", dag=dag, data={"who": DagParam(dag, "name")})
    render(op)
    assert op.data == {"who": "world"}


def test_nested_templated_objects_render_on_a_copy():
    dag = make_dag()
    query = Query("select '{{ ds }}'", label="{{ params.name }}")
    op = SqlOperator(task_id="t", dag=dag, cmd=query, data={"queries": [query]})
    render(op)
    assert isinstance(op.cmd, Query)
    assert (op.cmd.sql, op.cmd.label) == ("select '2024-03-05'", "world")
    # each object renders once; the definition's object keeps its templates
    assert op.data["queries"][0] is query
    assert query.sql == "select '{{ ds }}'"


def test_nested_object_errors_name_the_path():
    op = SqlOperator(task_id="t", dag=make_dag("demo"), data={"q": Query("{{ nope }}")})
    with pytest.raises(TemplateRenderError, match=r"field 'data→Query\.sql' of task 't'"):
        render(op)


def test_self_referencing_nested_object_terminates():
    query = Query("{{ ds }}")
    query.label = query  # type: ignore[assignment]
    op = SqlOperator(task_id="t", dag=make_dag(), cmd=query)
    render(op)
    assert op.cmd.sql == "2024-03-05"
    assert op.cmd.label is query


def test_callable_field_is_called_with_context_and_env():
    seen: dict[str, Any] = {}

    def build(context: Any, jinja_env: Any) -> str:
        seen["env"] = jinja_env
        return f"built for {context['ds']}"

    dag = make_dag()
    op = SqlOperator(task_id="t", dag=dag, data=build)
    render(op)
    assert op.data == "built for 2024-03-05"
    assert seen["env"] is dag_template_env(dag)


def test_objects_refusing_bool_are_still_rendered():
    class Frame:
        def __bool__(self) -> bool:
            raise ValueError("ambiguous")

    frame = Frame()
    op = SqlOperator(task_id="t", dag=make_dag(), data=frame)
    render(op)
    assert op.data is frame


# --- helpers and tasks without a DAG -----------------------------------------------------------


def test_render_template_on_the_operator():
    dag = make_dag(user_defined_macros={"env": "prod"})
    op = SqlOperator(task_id="t", dag=dag)
    context = make_context(dag, op)
    assert op.render_template("{{ env }}-{{ ds }}", context) == "prod-2024-03-05"
    assert op.render_template(["{{ ds_nodash }}", 5], context) == ["20240305", 5]
    with pytest.raises(TemplateRenderError, match="template of task 't' in DAG 'demo'"):
        op.render_template("{{ nope }}", context)
    assert render_value(op, ("{{ ds }}",), context) == ("2024-03-05",)


def test_task_without_dag_uses_airflows_lenient_default():
    op = SqlOperator(task_id="lonely", cmd="a{{ nope }}b {{ ds }}", data="x.sql")
    with pytest.raises(TemplateRenderError, match="no template search path"):
        render_template_fields(op, {"ds": "2024-03-05"})
    op.data = None
    render_template_fields(op, {"ds": "2024-03-05"})
    assert op.cmd == "ab 2024-03-05"
    assert dag_template_env(None).undefined is jinja2.Undefined
    assert dag_template_env(None).filters["ds"] is FILTERS["ds"]


def test_render_template_to_string():
    dag = make_dag(user_defined_macros={"env": "prod"}, render_template_as_native_obj=True)
    assert render_template_to_string("{{ env }} {{ 1 + 1 }}", {}, dag) == "prod 2"
    assert render_template_to_string("{{ x | ds }}", {"x": LOGICAL_DATE}) == "2024-03-05"
    with pytest.raises(TemplateRenderError, match="in DAG 'demo': 'y' is undefined"):
        render_template_to_string("{{ y }}", {}, dag)


def test_compiled_templates_are_reused_with_fresh_contexts():
    dag = make_dag()
    for day in ("2024-01-01", "2024-01-02"):
        op = SqlOperator(task_id=f"t{day}", dag=dag, cmd="day={{ ds }}")
        op.render_template_fields(make_context(dag, op, ds=day))
        assert op.cmd == f"day={day}"


def test_importing_templating_does_not_import_jinja2():
    code = (
        "import sys, slipstream.sdk.templating\n"
        "assert 'jinja2' not in sys.modules, 'jinja2 imported eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_rendering_a_copy_leaves_the_definition_alone(tmp_path):
    import copy

    (tmp_path / "a.sql").write_text("A {{ ds }}")
    dag = make_dag(template_searchpath=str(tmp_path))
    op = SqlOperator(task_id="t", dag=dag, cmd="a.sql", data=["a.sql", "{{ ds }}"])
    try_copy = copy.copy(op)
    render(try_copy)
    assert (try_copy.cmd, try_copy.data) == ("A 2024-03-05", ["A 2024-03-05", "2024-03-05"])
    assert (op.cmd, op.data) == ("a.sql", ["a.sql", "{{ ds }}"])


def test_resolve_template_files_loads_text_without_rendering(tmp_path):
    from slipstream.sdk.templating import resolve_template_files

    (tmp_path / "a.sql").write_text("A {{ ds }}")
    dag = make_dag(template_searchpath=str(tmp_path))
    op = SqlOperator(task_id="t", dag=dag, cmd="a.sql", data=["a.sql", "gone.sql"])
    resolve_template_files(op)
    assert (op.cmd, op.data) == ("A {{ ds }}", ["A {{ ds }}", "gone.sql"])


def test_include_and_import_from_the_search_path(tmp_path):
    (tmp_path / "where.sql").write_text("where day = '{{ ds }}'")
    (tmp_path / "lib.j2").write_text("{% macro tbl(n) %}{{ params.name }}_{{ n }}{% endmacro %}")
    dag = make_dag(template_searchpath=str(tmp_path))
    op = SqlOperator(
        task_id="t",
        dag=dag,
        cmd=(
            '{% import "lib.j2" as lib with context %}'
            'select * from {{ lib.tbl(1) }} {% include "where.sql" %}'
        ),
    )
    render(op)
    assert op.cmd == "select * from world_1 where day = '2024-03-05'"
