"""Requests every supervised process may make of its supervisor: a task process and a DAG
callback process both read their run's XCom, other runs' states, variables and connections
through it, never through the database themselves.

`SharedRequests` is a mixin providing those `_op_*` handlers; the supervisor classes say which
database, which run and which secrets backend answer them.
"""

from __future__ import annotations

from typing import Any

from slipstream.db.engine import Database
from slipstream.db.store import execution, xcoms


class SharedRequests:
    """The `_op_<request>` handlers common to task and callback supervisors."""

    def _requests_db(self) -> Database:
        raise NotImplementedError

    def _requests_dag_run_id(self) -> int:
        """The `dag_run.id` of the run whose XCom the process reads."""
        raise NotImplementedError

    def _secrets_backend(self) -> Any:
        raise NotImplementedError

    def _op_xcom_pull(self, m: dict[str, Any]) -> Any:
        run_id, task_id, key = self._requests_dag_run_id(), str(m["task_id"]), str(m["key"])
        with self._requests_db().session() as session:
            if m.get("map_index") is not None:
                return xcoms.xcom_get(session, run_id, task_id, int(m["map_index"]), key)
            if m.get("map_indexes") is not None:
                indexes = [int(i) for i in m["map_indexes"]]
                return xcoms.xcom_get_many(session, run_id, task_id, indexes, key)
            if m.get("mapped"):
                return xcoms.xcom_get_mapped(session, run_id, task_id, key)
            return xcoms.xcom_get(session, run_id, task_id, -1, key)

    def _op_get_dag_run_state(self, m: dict[str, Any]) -> str | None:
        with self._requests_db().session() as session:
            return execution.dag_run_state(session, str(m["dag_id"]), str(m["run_id"]))

    def _op_get_variable(self, m: dict[str, Any]) -> str | None:
        value: str | None = self._secrets_backend().get_variable(str(m["key"]))
        return value

    def _op_set_variable(self, m: dict[str, Any]) -> None:
        self._secrets_backend().set_variable(str(m["key"]), str(m["value"]), m.get("description"))

    def _op_delete_variable(self, m: dict[str, Any]) -> None:
        self._secrets_backend().delete_variable(str(m["key"]))

    def _op_get_connection(self, m: dict[str, Any]) -> dict[str, Any] | None:
        fields = self._secrets_backend().get_connection(str(m["conn_id"]))
        return None if fields is None else dict(fields)
