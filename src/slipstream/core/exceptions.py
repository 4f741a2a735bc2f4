"""Errors with Airflow's names: DAG files raise and catch these, so the names are API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt


class AirflowException(Exception):
    """Base of every error a DAG file may see; raising it from a task fails the try."""

    status_code = 500


SlipstreamError = AirflowException


class AirflowSkipException(AirflowException):
    """Raised by a task to end its try as skipped."""


class AirflowFailException(AirflowException):
    """Raised by a task to fail at once, without retrying."""


class AirflowTaskTimeout(AirflowException):
    """A task ran past its `execution_timeout`."""


class AirflowSensorTimeout(AirflowException):
    """A sensor did not succeed within its `timeout`."""


class AirflowRescheduleException(AirflowException):
    """A sensor in reschedule mode asks to be run again at `reschedule_date`."""

    def __init__(self, reschedule_date: dt.datetime) -> None:
        super().__init__(reschedule_date)
        self.reschedule_date = reschedule_date


class AirflowNotFoundException(AirflowException):
    """A variable, connection or other named object does not exist."""

    status_code = 404


class AirflowBadRequest(AirflowException):
    status_code = 400


class AirflowConfigException(AirflowException):
    """Configuration is invalid."""


class AirflowTaskTerminated(AirflowException):
    """The task process was told to stop."""


class TaskDeferred(AirflowException):
    """Deferrable operators are not supported yet; raising this names the construct."""


class DuplicateTaskIdFound(AirflowException):
    """Two tasks in one DAG share an id."""


class TaskAlreadyInTaskGroup(AirflowException):
    """A task was added to a second task group."""


class AirflowDagCycleException(AirflowException):
    """The task graph of a DAG has a cycle."""


class ParamValidationError(AirflowException):
    """A param's value does not match its schema."""


class InvalidRunIdError(AirflowException, ValueError):
    """A run id given by a user does not match `[scheduler] allowed_run_id_pattern`."""

    status_code = 400


class DagNotFound(AirflowException):
    status_code = 404


class TaskNotFound(AirflowException):
    status_code = 404


class UnsupportedFeatureError(AirflowException, NotImplementedError):
    """A construct that Airflow has and Slipstream does not support (yet); the message names it."""


class XComNotJSONSerializable(AirflowException, TypeError):
    """A task returned or pushed a value that cannot be stored as JSON."""
