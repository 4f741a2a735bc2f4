"""BaseNotifier: a reusable notification (Slack, e-mail, …) usable as an `on_*_callback`.

Subclasses set `template_fields` and implement `notify(context)`. Calling the notifier with a
callback context renders those fields with the context (Jinja, the DAG's template environment)
and calls `notify`. Rendering happens on a copy, so one notifier instance shared by many tasks
(typically through `default_args`) renders afresh for each task.
"""

from __future__ import annotations

import copy
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

__all__ = ["BaseNotifier"]


class BaseNotifier(ABC):
    """Base of notifiers: `template_fields` are rendered with the context before `notify`."""

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()

    def __init__(self) -> None:
        self._log = logging.getLogger(f"slipstream.notifier.{type(self).__name__}")

    @property
    def log(self) -> logging.Logger:
        return self._log

    @abstractmethod
    def notify(self, context: Any) -> None:
        """Send the notification."""

    def __call__(self, *args: Any) -> None:
        """Render the template fields with the context, then `notify`; errors are logged."""
        if len(args) == 1:
            context = args[0]
        else:  # Airflow 2's SLA-miss callback signature
            names = ("dag", "task_list", "blocking_task_list", "slas", "blocking_tis")
            context = dict(zip(names, args))
        rendered = copy.copy(self)
        context["notifier"] = rendered
        rendered.render_template_fields(context)
        try:
            rendered.notify(context)
        except Exception as err:
            self.log.exception("Failed to send notification: %s", err)

    # --- templating ----------------------------------------------------------------------

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Replace each template field of this object with its value rendered with `context`."""
        env = jinja_env if jinja_env is not None else self.get_template_env(context.get("dag"))
        for name in self.template_fields:
            setattr(self, name, self.render_template(getattr(self, name), context, env))

    def render_template(self, content: Any, context: Any, jinja_env: Any = None) -> Any:
        """Render strings (and template files named by `template_ext`) inside `content`."""
        env = jinja_env if jinja_env is not None else self.get_template_env(context.get("dag"))
        if isinstance(content, str):
            if self.template_ext and content.endswith(tuple(self.template_ext)):
                return env.get_template(content).render(context)
            return env.from_string(content).render(context)
        if isinstance(content, tuple):
            if hasattr(content, "_fields"):  # a NamedTuple
                return type(content)(*(self.render_template(v, context, env) for v in content))
            return tuple(self.render_template(v, context, env) for v in content)
        if isinstance(content, list):
            return [self.render_template(v, context, env) for v in content]
        if isinstance(content, dict):
            return {k: self.render_template(v, context, env) for k, v in content.items()}
        if isinstance(content, set):
            return {self.render_template(v, context, env) for v in content}
        return content

    def get_template_env(self, dag: Any = None) -> Any:
        """The DAG's Jinja environment, or a plain one (undefined names are errors)."""
        if dag is not None and hasattr(dag, "get_template_env"):
            try:
                return dag.get_template_env()
            except ImportError:  # templating not available: fall back to plain Jinja
                pass
        import jinja2

        return jinja2.Environment(
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.do"],
            keep_trailing_newline=True,
            cache_size=0,
        )
