"""BaseNotifier: template fields rendered with the callback context, then notify()."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from slipstream.sdk import DAG
from slipstream.sdk.notifier import BaseNotifier
from slipstream.sdk.operators.empty import EmptyOperator


class Recorder(BaseNotifier):
    template_fields = ("message", "channels")

    def __init__(self, message: str, channels: list[str]) -> None:
        super().__init__()
        self.message = message
        self.channels = channels
        self.sent: list[tuple[str, list[str]]] = []

    def notify(self, context: Any) -> None:
        self.sent.append((self.message, self.channels))


def test_renders_fields_per_call_and_notifies(make_context: Any) -> None:
    with DAG("notify_dag", schedule=None):
        first, second = EmptyOperator(task_id="first"), EmptyOperator(task_id="second")
    notifier = Recorder("{{ ti.task_id }} failed on {{ ds }}", ["#{{ dag.dag_id }}"])
    notifier(make_context(first))
    notifier(make_context(second))
    assert notifier.sent == [
        ("first failed on 2024-03-05", ["#notify_dag"]),
        ("second failed on 2024-03-05", ["#notify_dag"]),
    ]
    assert notifier.message == "{{ ti.task_id }} failed on {{ ds }}"


def test_usable_as_a_callback_and_errors_are_logged(
    make_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(BaseNotifier):
        def notify(self, context: Any) -> None:
            raise RuntimeError("smtp down")

    op = EmptyOperator(task_id="cb", on_failure_callback=Broken())
    with caplog.at_level(logging.ERROR):
        op.on_failure_callback(make_context(op))
    assert "Failed to send notification: smtp down" in caplog.text


def test_notify_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseNotifier()  # type: ignore[abstract]
