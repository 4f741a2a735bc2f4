"""TriggerDagRunOperator: starts a run of another DAG, optionally waiting for it to finish."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string
import time
from collections.abc import Iterable, Sequence
from typing import Any

from slipstream.core.exceptions import (
    AirflowException,
    AirflowSkipException,
    UnsupportedFeatureError,
)
from slipstream.core.states import DagRunState
from slipstream.sdk.baseoperator import BaseOperator

__all__ = ["XCOM_RUN_ID", "DagRunAlreadyExists", "TriggerDagRunOperator"]

XCOM_RUN_ID = "trigger_run_id"


class DagRunAlreadyExists(AirflowException):
    """The run to trigger exists already. `ti.trigger_dag_run` raises this (or any exception class
    of this name) when the run exists and `reset_dag_run` is False."""


class _NotSet:
    def __repr__(self) -> str:
        return "NOTSET"


NOTSET: Any = _NotSet()


class TriggerDagRunOperator(BaseOperator):
    """Triggers a run of `trigger_dag_id` and pushes its run id as the `trigger_run_id` XCom.

    :param trigger_dag_id: the DAG to trigger (templated).
    :param trigger_run_id: the new run's id (templated); default `manual__<logical date>`.
    :param conf: the new run's conf, a JSON-able dict or a JSON string (templated).
    :param logical_date: the new run's logical date (templated); default now, None for none.
    :param reset_dag_run: clear the run if it exists already instead of failing.
    :param wait_for_completion: wait until the run reaches an allowed or failed state.
    :param poke_interval: seconds between state checks while waiting (default 60).
    :param allowed_states: run states that end the wait successfully (default success).
    :param failed_states: run states that fail this task (default failed).
    :param skip_when_already_exists: end as skipped if the run exists already.
    """

    template_fields: Sequence[str] = (
        "trigger_dag_id",
        "trigger_run_id",
        "logical_date",
        "conf",
        "wait_for_completion",
        "skip_when_already_exists",
    )
    template_fields_renderers = {"conf": "py"}
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        trigger_run_id: str | None = None,
        conf: dict[str, Any] | str | None = None,
        logical_date: str | dt.datetime | None = NOTSET,
        reset_dag_run: bool = False,
        wait_for_completion: bool = False,
        poke_interval: float | dt.timedelta = 60,
        allowed_states: Iterable[str] | None = None,
        failed_states: Iterable[str] | None = None,
        skip_when_already_exists: bool = False,
        fail_when_dag_is_paused: bool = False,
        openlineage_inject_parent_info: bool = True,
        deferrable: bool = False,
        note: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        self.reset_dag_run = reset_dag_run
        self.wait_for_completion = wait_for_completion
        self.poke_interval = _interval(self.task_id, poke_interval)
        self.allowed_states = self._states(allowed_states or [DagRunState.SUCCESS], "allowed")
        self.failed_states = self._states(
            [DagRunState.FAILED] if failed_states is None else failed_states, "failed"
        )
        self.skip_when_already_exists = skip_when_already_exists
        self.openlineage_inject_parent_info = openlineage_inject_parent_info
        self.deferrable = deferrable
        self.note = note
        if logical_date is not NOTSET and not (
            logical_date is None or isinstance(logical_date, (str, dt.datetime))
        ):
            raise TypeError(
                f"Task '{self.task_id}': expected str, datetime.datetime, or None for parameter "
                f"'logical_date'. Got {type(logical_date).__name__}"
            )
        self.logical_date = logical_date
        if fail_when_dag_is_paused:
            raise UnsupportedFeatureError(
                f"Task '{self.task_id}': fail_when_dag_is_paused is not supported "
                "(Airflow 3 does not support it either)"
            )
        self.fail_when_dag_is_paused = fail_when_dag_is_paused

    def _states(self, states: Iterable[Any], kind: str) -> list[DagRunState]:
        try:
            return [DagRunState(str(getattr(s, "value", s))) for s in states]
        except ValueError:
            raise ValueError(
                f"Task '{self.task_id}': {kind}_states must be DAG run states "
                f"({', '.join(s.value for s in DagRunState)}), got {list(states)!r}"
            ) from None

    def execute(self, context: Any) -> None:
        logical_date = self._parsed_logical_date()
        conf = self._parsed_conf()
        run_id = str(self.trigger_run_id) if self.trigger_run_id else _manual_run_id(logical_date)
        if self.note is not None:
            self.log.info("Triggered DAG with note: %s", self.note)
        ti = context["ti"]
        try:
            triggered = ti.trigger_dag_run(
                self.trigger_dag_id, run_id, conf, logical_date, self.reset_dag_run
            )
        except Exception as err:
            if not _is_already_exists(err):
                raise
            if self.skip_when_already_exists:
                raise AirflowSkipException(
                    "Skipping due to skip_when_already_exists is set to True and "
                    f"DagRunAlreadyExists ({self.trigger_dag_id}, {run_id})"
                ) from err
            raise AirflowException(
                f"Task '{self.task_id}': a run '{run_id}' of DAG '{self.trigger_dag_id}' already "
                "exists (set reset_dag_run=True to clear it, or skip_when_already_exists=True)"
            ) from err
        run_id = triggered or run_id
        self.trigger_run_id = run_id
        self.log.info("Dag run %s of %s triggered", run_id, self.trigger_dag_id)
        ti.xcom_push(key=XCOM_RUN_ID, value=run_id)
        if self.wait_for_completion:
            if self.deferrable:
                from slipstream.sdk.sensors.base import log_not_deferred

                log_not_deferred(self, "polling the run's state")
            self._wait_for(ti, run_id)

    def _parsed_logical_date(self) -> Any:
        import pendulum

        value = self.logical_date
        if value is NOTSET:
            return pendulum.now("UTC")
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo is not None else pendulum.instance(value, tz="UTC")
        return pendulum.parse(str(value), tz="UTC", strict=False)

    def _parsed_conf(self) -> Any:
        conf = self.conf
        try:
            if conf and isinstance(conf, str):
                conf = json.loads(conf)
            json.dumps(conf)
        except (TypeError, ValueError):
            raise ValueError(
                f"Task '{self.task_id}': conf parameter should be JSON Serializable: {conf!r}"
            ) from None
        return conf

    def _wait_for(self, ti: Any, run_id: str) -> None:
        while True:
            self.log.info(
                "Waiting for %s on %s to become allowed state %s ...",
                self.trigger_dag_id,
                run_id,
                [str(s) for s in self.allowed_states],
            )
            time.sleep(self.poke_interval)
            state = ti.get_dag_run_state(self.trigger_dag_id, run_id)
            if state in self.failed_states:
                raise AirflowException(
                    f"{self.trigger_dag_id} failed with failed states {state} (run {run_id})"
                )
            if state in self.allowed_states:
                self.log.info("%s finished with allowed state %s", self.trigger_dag_id, state)
                return


def _manual_run_id(logical_date: Any) -> str:
    """Airflow 3's id for a triggered run: `manual__<time>`, plus a random suffix when the run
    has no logical date."""
    import pendulum

    if logical_date is not None:
        return f"manual__{logical_date.isoformat()}"
    alphabet = string.ascii_letters + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"manual__{pendulum.now('UTC').isoformat()}_{suffix}"


def _is_already_exists(err: BaseException) -> bool:
    return any(klass.__name__ == "DagRunAlreadyExists" for klass in type(err).__mro__)


def _interval(task_id: str, value: Any) -> float:
    if isinstance(value, dt.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(
            f"Task '{task_id}': poke_interval must be a non-negative number of seconds, "
            f"got {value!r}"
        )
    return float(value)
