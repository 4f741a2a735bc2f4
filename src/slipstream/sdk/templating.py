"""Rendering template fields and template files with Jinja2, with Airflow 3's rules.

A task's `template_fields` are rendered just before it executes: strings are Jinja templates
(or, when they end with one of the task's `template_ext`, names of template files found through the
DAG's folder and `template_searchpath`), XCom references resolve to their values, containers are
rendered element by element and objects with their own `template_fields` are rendered field by
field. Errors name the DAG, the task and the field.

Jinja2 is imported on first use only, so importing this module stays cheap.
"""

from __future__ import annotations

import copy
import os
import weakref
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from slipstream.core.exceptions import AirflowException
from slipstream.sdk.xcom_arg import ResolveMixin

if TYPE_CHECKING:
    import datetime

    import jinja2

__all__ = [
    "FILTERS",
    "TemplateRenderError",
    "dag_template_env",
    "default_template_env",
    "render_template_fields",
    "render_template_to_string",
    "render_value",
    "resolve_template_files",
]

# Compiled `from_string` templates kept per environment (oldest dropped first).
_COMPILED_CACHE_SIZE = 2048
# Template files cached by Jinja's loader; a file's mtime is checked on each use (auto_reload).
_LOADER_CACHE_SIZE = 400

_PLAIN_TYPES: frozenset[type] = frozenset({int, float, bool, complex, bytes, type(None)})


# --- filters -------------------------------------------------------------------------------


def ds_filter(value: datetime.date | datetime.time | None) -> str | None:
    """`{{ logical_date | ds }}` → `2024-01-31`."""
    return None if value is None else value.strftime("%Y-%m-%d")


def ds_nodash_filter(value: datetime.date | datetime.time | None) -> str | None:
    """`{{ logical_date | ds_nodash }}` → `20240131`."""
    return None if value is None else value.strftime("%Y%m%d")


def ts_filter(value: datetime.date | datetime.time | None) -> str | None:
    """`{{ logical_date | ts }}` → `2024-01-31T00:00:00+00:00`."""
    return None if value is None else value.isoformat()


def ts_nodash_filter(value: datetime.date | datetime.time | None) -> str | None:
    """`{{ logical_date | ts_nodash }}` → `20240131T000000`."""
    return None if value is None else value.strftime("%Y%m%dT%H%M%S")


def ts_nodash_with_tz_filter(value: datetime.date | datetime.time | None) -> str | None:
    """`{{ logical_date | ts_nodash_with_tz }}` → `20240131T000000+0000`."""
    return None if value is None else value.isoformat().replace("-", "").replace(":", "")


FILTERS: dict[str, Callable[[Any], str | None]] = {
    "ds": ds_filter,
    "ds_nodash": ds_nodash_filter,
    "ts": ts_filter,
    "ts_nodash": ts_nodash_filter,
    "ts_nodash_with_tz": ts_nodash_with_tz_filter,
}


# --- errors --------------------------------------------------------------------------------


class TemplateRenderError(AirflowException):
    """A template field could not be rendered; the original error is the `__cause__`."""

    def __init__(
        self,
        message: str,
        *,
        dag_id: str | None = None,
        task_id: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.dag_id = dag_id
        self.task_id = task_id
        self.field = field

    def __reduce__(self) -> Any:
        return (_rebuild_error, (str(self), self.dag_id, self.task_id, self.field))


def _rebuild_error(
    message: str, dag_id: str | None, task_id: str | None, field: str | None
) -> TemplateRenderError:
    return TemplateRenderError(message, dag_id=dag_id, task_id=task_id, field=field)


# --- environments --------------------------------------------------------------------------

# DAG -> {native: (configuration snapshot, environment)}
_DAG_ENVS: weakref.WeakKeyDictionary[Any, dict[bool, tuple[tuple[Any, ...], Any]]] = (
    weakref.WeakKeyDictionary()
)
_DEFAULT_ENVS: dict[bool, Any] = {}


def dag_template_env(dag: Any = None, *, native: bool | None = None) -> jinja2.Environment:
    """The Jinja environment templates of `dag`'s tasks render in (built once per DAG).

    Files are looked up in the DAG file's folder, then in `template_searchpath`. `undefined` is
    `dag.template_undefined` (default `StrictUndefined`), `user_defined_macros` are globals,
    `user_defined_filters` filters next to Airflow's `ds`, `ds_nodash`, `ts`, `ts_nodash` and
    `ts_nodash_with_tz`, and `jinja_environment_kwargs` override any option. `native` (default:
    `dag.render_template_as_native_obj`) gives a `NativeEnvironment`, whose results keep their
    Python types. Without a DAG: Airflow's lenient default environment, with no template files.
    """
    if native is None:
        native = bool(getattr(dag, "render_template_as_native_obj", False))
    if dag is None:
        return default_template_env(native=native)
    snapshot = _configuration(dag)
    try:
        per_dag = _DAG_ENVS.get(dag)
        if per_dag is None:
            per_dag = _DAG_ENVS[dag] = {}
    except TypeError:  # neither hashable nor weak-referenceable: build it each time
        return _build_dag_env(dag, native)
    cached = per_dag.get(native)
    if cached is not None and cached[0] == snapshot:
        return cached[1]
    env = _build_dag_env(dag, native)
    per_dag[native] = (snapshot, env)
    return env


def default_template_env(*, native: bool = False) -> jinja2.Environment:
    """The environment of tasks without a DAG: undefined names render empty, as in Airflow."""
    env = _DEFAULT_ENVS.get(native)
    if env is None:
        import jinja2

        env = _DEFAULT_ENVS[native] = _new_env(
            native, {"undefined": jinja2.Undefined, "extensions": ["jinja2.ext.do"]}
        )
    return env


def _configuration(dag: Any) -> tuple[Any, ...]:
    """What the environment is built from; compared (by value) to notice later changes."""

    def snap(value: Any) -> Any:
        return dict(value) if isinstance(value, Mapping) else value

    searchpath = getattr(dag, "template_searchpath", None)
    return (
        getattr(dag, "fileloc", None),
        tuple(searchpath) if isinstance(searchpath, (list, tuple)) else searchpath,
        getattr(dag, "template_undefined", None),
        snap(getattr(dag, "user_defined_macros", None)),
        snap(getattr(dag, "user_defined_filters", None)),
        snap(getattr(dag, "jinja_environment_kwargs", None)),
    )


def _template_dirs(dag: Any) -> list[str | os.PathLike[str]]:
    dirs: list[str | os.PathLike[str]] = []
    fileloc = getattr(dag, "fileloc", None)
    if fileloc:
        dirs.append(os.path.dirname(os.fspath(fileloc)) or ".")
    extra = getattr(dag, "template_searchpath", None)
    if isinstance(extra, (str, os.PathLike)):
        dirs.append(extra)
    elif extra:
        dirs.extend(extra)
    return dirs


def _build_dag_env(dag: Any, native: bool) -> jinja2.Environment:
    import jinja2

    options: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader(_template_dirs(dag)),
        "undefined": getattr(dag, "template_undefined", None) or jinja2.StrictUndefined,
        "extensions": ["jinja2.ext.do"],
        "cache_size": _LOADER_CACHE_SIZE,
    }
    options.update(getattr(dag, "jinja_environment_kwargs", None) or {})
    env = _new_env(native, options)
    env.filters.update(getattr(dag, "user_defined_filters", None) or {})
    env.globals.update(getattr(dag, "user_defined_macros", None) or {})
    return env


def _new_env(native: bool, options: dict[str, Any]) -> jinja2.Environment:
    import jinja2

    env: jinja2.Environment
    if native:
        import jinja2.nativetypes

        env = jinja2.nativetypes.NativeEnvironment(**options)
    else:
        env = jinja2.Environment(**options)
    env.filters.update(FILTERS)
    return env


class _EnvInfo:
    """Per-environment helpers: the compiled-template cache and the plain-string shortcut."""

    __slots__ = ("compiled", "keep_trailing_newline", "markers", "native")

    def __init__(self, env: jinja2.Environment) -> None:
        import jinja2.ext
        import jinja2.nativetypes

        self.compiled: dict[str, jinja2.Template] = {}
        self.native = isinstance(env, jinja2.nativetypes.NativeEnvironment)
        self.keep_trailing_newline = env.keep_trailing_newline
        # A string with none of these markers renders to itself (minus one trailing newline),
        # unless the environment rewrites plain text: native types, line statements, other
        # newlines, or extensions that preprocess the source.
        plain_text_safe = (
            not self.native
            and env.line_statement_prefix is None
            and env.line_comment_prefix is None
            and env.newline_sequence == "\n"
            and all(
                type(ext).preprocess is jinja2.ext.Extension.preprocess
                and type(ext).filter_stream is jinja2.ext.Extension.filter_stream
                for ext in env.extensions.values()
            )
        )
        self.markers: tuple[str, str, str] | None = (
            (env.variable_start_string, env.block_start_string, env.comment_start_string)
            if plain_text_safe
            else None
        )


def _env_info(env: jinja2.Environment) -> _EnvInfo:
    info = env.__dict__.get("_slipstream_info")
    if info is None:
        info = _EnvInfo(env)
        try:
            env._slipstream_info = info  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return info


# --- rendering -----------------------------------------------------------------------------


class _Renderer:
    """Renders values of one task (or none) against one context with one environment."""

    def __init__(
        self,
        task: Any,
        context: Any,
        jinja_env: Any = None,
        *,
        dag: Any = None,
        native: bool | None = None,
    ) -> None:
        import jinja2

        self._jinja = jinja2
        self.task = task
        self.dag = dag if dag is not None else _task_dag(task, context)
        if native is None:
            task_native = getattr(task, "render_template_as_native_obj", None)
            dag_native = bool(getattr(self.dag, "render_template_as_native_obj", False))
            native = dag_native if task_native is None else bool(task_native)
        env = jinja_env or dag_template_env(self.dag, native=native)
        self.env: jinja2.Environment = env
        self.info = _env_info(env)
        # A native environment yields raw objects, which only native concatenation can join.
        self.native = native or self.info.native
        ext = getattr(task, "template_ext", None) or ()
        self.template_ext: tuple[str, ...] = (ext,) if isinstance(ext, str) else tuple(ext)
        context = {} if context is None else context
        self.context = context
        self.parent: Mapping[str, Any] = ChainMap(context, env.globals)
        self.seen: set[int] = set() if task is None else {id(task)}
        self.current_file: str | None = None
        # Texts loaded from template files into fields: id(text) -> (text, file name).
        self.file_texts: dict[int, tuple[str, str]] = {}

    # -- fields --

    def render_fields(self, parent: Any, fields: Any, where: str | None = None) -> None:
        """Render each field of `parent` and set it back (empty values are left alone)."""
        for name in (fields,) if isinstance(fields, str) else fields:
            label = name if where is None else f"{where}.{name}"
            try:
                value = getattr(parent, name)
            except AttributeError:
                raise AttributeError(
                    f"{name!r} is configured as a template field but "
                    f"{type(parent).__name__} does not have this attribute."
                ) from None
            try:
                if not value:
                    continue
            except Exception:  # e.g. data frames refuse bool(); render them anyway
                pass
            self.current_file = None
            try:
                if callable(value) and not isinstance(value, type):
                    rendered = value(context=self.context, jinja_env=self.env)
                else:
                    rendered = self.render(value, label)
            except AirflowException:
                raise
            except Exception as err:
                raise self.error(err, label) from err
            setattr(parent, name, rendered)

    def error(self, err: BaseException, field: str | None) -> TemplateRenderError:
        task_id = getattr(self.task, "task_id", None)
        dag_id = getattr(self.dag, "dag_id", None)
        what = f"template field {field!r}" if field is not None else "template"
        if task_id is not None:
            what += f" of task {task_id!r}"
        elif self.task is not None:
            what += f" of {type(self.task).__name__}"
        if dag_id is not None:
            what += f" in DAG {dag_id!r}"
        return TemplateRenderError(
            f"Error rendering {what}: {self.describe(err)}",
            dag_id=dag_id,
            task_id=task_id,
            field=field,
        )

    def describe(self, err: BaseException) -> str:
        jinja2 = self._jinja
        where = f"template file {self.current_file!r}: " if self.current_file else ""
        if isinstance(err, jinja2.TemplateNotFound):
            return f"template file {err.name!r} not found{self.searched()}"
        if isinstance(err, jinja2.TemplateSyntaxError):
            name = err.filename or err.name
            if name and not self.current_file:
                where = f"template file {name!r}: "
            return f"{where}{err.message} (line {err.lineno})"
        if isinstance(err, jinja2.TemplateError):
            return f"{where}{err}"
        return f"{where}{type(err).__name__}: {err}"

    def searched(self) -> str:
        loader = self.env.loader
        if loader is None:
            return " (no template search path: the task has no DAG)"
        paths = getattr(loader, "searchpath", None)
        if paths:
            return f" (searched: {', '.join(str(p) for p in paths)})"
        return ""

    # -- values --

    def render(self, value: Any, field: str | None = None) -> Any:
        if isinstance(value, str):
            return self.render_str(value)
        if isinstance(value, ResolveMixin):
            return value.resolve(self.context)
        cls = value.__class__
        if cls in _PLAIN_TYPES:
            return value
        if cls is list:
            return [self.render(item, field) for item in value]
        if cls is dict:
            return {key: self.render(item, field) for key, item in value.items()}
        if cls is tuple:
            return tuple([self.render(item, field) for item in value])
        if isinstance(value, tuple):
            items = [self.render(item, field) for item in value]
            if hasattr(value, "_fields"):  # a namedtuple
                return cls(*items)
            return _rebuild(cls, items, tuple)
        if isinstance(value, list):
            return _rebuild(cls, [self.render(item, field) for item in value], list)
        if isinstance(value, dict):
            return self.render_dict_subclass(value, field)
        if isinstance(value, (set, frozenset)):
            return _rebuild(cls, [self.render(item, field) for item in value], set)
        return self.render_nested(value, field)

    def render_dict_subclass(self, value: dict[Any, Any], field: str | None) -> dict[Any, Any]:
        rendered = {key: self.render(item, field) for key, item in value.items()}
        try:
            out = copy.copy(value)
            out.update(rendered)
        except Exception:
            return rendered
        return out

    def render_nested(self, value: Any, field: str | None) -> Any:
        """An object with its own `template_fields`: a rendered copy; anything else as is."""
        if isinstance(value, type) or id(value) in self.seen:
            return value
        try:
            fields = getattr(value, "template_fields", None)
        except Exception:
            return value
        if not fields:
            return value
        self.seen.add(id(value))
        try:
            target = copy.copy(value)
        except Exception:
            target = value
        where = f"{field}→{type(value).__name__}" if field else type(value).__name__
        self.render_fields(target, fields, where)
        return target

    def render_str(self, value: str) -> Any:
        if self.template_ext and value.endswith(self.template_ext):
            self.current_file = value
            result = self.run(self.load_file(value))
            self.current_file = None
            return result
        if self.file_texts:
            loaded = self.file_texts.get(id(value))
            if loaded is not None and loaded[0] is value:
                self.current_file = loaded[1]
                result = self.run(self.compile(value))
                self.current_file = None
                return result
        markers = self.info.markers
        if (
            markers is not None
            and markers[0] not in value
            and markers[1] not in value
            and markers[2] not in value
            and "\r" not in value
        ):
            if value.endswith("\n") and not self.info.keep_trailing_newline:
                return value[:-1]
            return value
        return self.run(self.compile(value))

    def compile(self, source: str) -> jinja2.Template:
        cache = self.info.compiled
        template = cache.get(source)
        if template is None:
            template = self.env.from_string(source)
            if len(cache) >= _COMPILED_CACHE_SIZE:
                cache.pop(next(iter(cache)), None)
            cache[source] = template
        return template

    def load_file(self, name: str) -> jinja2.Template:
        if self.env.loader is None:
            raise self._jinja.TemplateNotFound(name)
        return self.env.get_template(name)

    def run(self, template: jinja2.Template) -> Any:
        ctx = template.new_context(self.parent, shared=True)  # type: ignore[arg-type]
        try:
            nodes = template.root_render_func(ctx)
            if self.native:
                from jinja2.nativetypes import native_concat

                result = native_concat(nodes)
            else:
                result = "".join(nodes)
        except Exception:
            self.env.handle_exception()
        return result


def _rebuild(cls: type, items: list[Any], fallback: type) -> Any:
    try:
        return cls(items)
    except Exception:
        return fallback(items)


def _task_dag(task: Any, context: Any) -> Any:
    dag = getattr(task, "dag", None)
    if dag is None and isinstance(context, Mapping):
        dag = context.get("dag")
    return dag


# --- public API ----------------------------------------------------------------------------


def resolve_template_files(task: Any, jinja_env: Any = None) -> None:
    """Replace template fields naming template files (`template_ext`) with the files' text.

    A field that is such a name, or a list holding such names, is replaced (a list by a new
    list). Like Airflow, a file that cannot be read is left as its name; rendering reports it.
    """
    _load_template_files(task, jinja_env)


def _load_template_files(task: Any, env: Any) -> dict[int, tuple[str, str]]:
    """Load the files; returns id(text) -> (text, file name) for what was loaded."""
    loaded: dict[int, tuple[str, str]] = {}
    ext = getattr(task, "template_ext", None)
    if not ext:
        return loaded
    suffixes = (ext,) if isinstance(ext, str) else tuple(ext)

    def load(name: str) -> str | None:
        nonlocal env
        env = env or task.get_template_env()
        if env.loader is None:
            return None
        try:
            text: str = env.loader.get_source(env, name)[0]
        except Exception:
            return None
        loaded[id(text)] = (text, name)
        return text

    fields = getattr(task, "template_fields", ())
    for field in (fields,) if isinstance(fields, str) else fields:
        content = getattr(task, field, None)
        if isinstance(content, str):
            if content.endswith(suffixes):
                text = load(content)
                if text is not None:
                    setattr(task, field, text)
        elif isinstance(content, list) and any(
            isinstance(item, str) and item.endswith(suffixes) for item in content
        ):
            items = list(content)
            for i, item in enumerate(items):
                if isinstance(item, str) and item.endswith(suffixes):
                    text = load(item)
                    if text is not None:
                        items[i] = text
            setattr(task, field, _rebuild(type(content), items, list))
    return loaded


def render_template_fields(task: Any, context: Any, jinja_env: Any = None) -> None:
    """Render every `task.template_fields` attribute against `context`, in place.

    Files named by fields are loaded first, then `task.prepare_template()` runs, then fields
    render. Raises TemplateRenderError naming the DAG, task and field (cause chained); Airflow
    exceptions raised by macros (e.g. AirflowSkipException) pass through unchanged.
    """
    renderer = _Renderer(task, context, jinja_env)
    if renderer.template_ext:
        renderer.file_texts = _load_template_files(task, renderer.env)
    prepare = getattr(task, "prepare_template", None)
    if prepare is not None:
        prepare()
    renderer.render_fields(task, getattr(task, "template_fields", ()))


def render_value(task: Any, content: Any, context: Any, jinja_env: Any = None) -> Any:
    """Render one value the way `task`'s template fields render (`task.render_template`)."""
    renderer = _Renderer(task, context, jinja_env)
    try:
        return renderer.render(content)
    except AirflowException:
        raise
    except Exception as err:
        raise renderer.error(err, None) from err


def render_template_to_string(template_str: str, context: Any, dag: Any = None) -> str:
    """Render a Jinja string with `dag`'s environment (macros, filters, search path) to text."""
    renderer = _Renderer(None, context, dag_template_env(dag, native=False), dag=dag, native=False)
    try:
        return str(renderer.run(renderer.compile(template_str)))
    except AirflowException:
        raise
    except Exception as err:
        raise renderer.error(err, None) from err
