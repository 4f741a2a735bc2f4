"""The one error of the serialization layer: a DAG whose structure cannot be described."""

from __future__ import annotations

from slipstream.core.exceptions import AirflowException


class SerializationError(AirflowException):
    """A DAG (or serialized data) too broken to describe; the message names the DAG and task.

    Values that merely cannot be represented as JSON never raise this: they become readable
    placeholders. This is for structure: an edge to a task the DAG does not have, a cycle, a
    task registered under another id, data of an unknown format version.
    """
