"""What a task process can see: no database credentials, and no secret in its log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from slipstream.config import Config
from slipstream.db.engine import Database
from slipstream.db.models import XCom
from slipstream.executors.local import LocalExecutor
from slipstream.supervisor.log_files import try_log_path

from .helpers import get_ti, queue_ti, run_workload, seed_run, wait_for, write_dag

pytestmark = pytest.mark.slow  # real worker, supervisor and task processes

ENVIRON = """
    import os
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def environ():
        @task
        def show():
            print(dict(os.environ))
            return sorted(os.environ)

        show()

    environ()
"""


@pytest.mark.parametrize("new_interpreter", [False, True], ids=["forked", "new-interpreter"])
def test_the_task_process_environment_has_no_database_credentials(
    make_executor: Callable[..., LocalExecutor],
    sqlite_db: Database,
    dags_folder: Path,
    engine_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    new_interpreter: bool,
) -> None:
    from slipstream.config import load_config

    url = sqlite_db.url.render_as_string(hide_password=False)
    monkeypatch.setenv("SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN", url)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", url)
    monkeypatch.setenv("AIRFLOW__CORE__SQL_ALCHEMY_CONN", url)
    monkeypatch.setenv(
        "SLIPSTREAM__CORE__EXECUTE_TASKS_NEW_PYTHON_INTERPRETER", str(new_interpreter)
    )
    monkeypatch.setenv("KEEP_ME", "visible")
    executor = make_executor(load_config())
    run = seed_run(sqlite_db, write_dag(dags_folder, "environ", ENVIRON), "environ")

    run_workload(executor, queue_ti(sqlite_db, run, "show"))

    assert get_ti(sqlite_db, run.ti_ids["show"]).state == "success"
    with sqlite_db.session() as session:
        names = json.loads(session.query(XCom).filter_by(task_id="show").one().value or "")
    assert "KEEP_ME" in names
    assert not [n for n in names if "SQL_ALCHEMY_CONN" in n or "__DATABASE__" in n]
    assert "SLIPSTREAM__CORE__FERNET_KEY" not in names
    log = try_log_path(
        engine_env / "logs", dag_id="environ", run_id="manual__test", task_id="show",
        map_index=-1, try_number=1,
    ).read_text()  # fmt: skip
    assert "KEEP_ME" in log and url not in log


SECRETS = """
    import logging
    import pendulum
    from airflow.sdk import BaseHook, Variable, dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def secrets():
        @task
        def leak():
            conn = BaseHook.get_connection("warehouse")
            print("password is", conn.password)
            logging.getLogger("my.task").info("uri %s", conn.get_uri())
            print("api key", Variable.get("service_api_key"))
            print("plain", Variable.get("plain_value"))
            print("json", Variable.get("settings"))
            print("from env", BaseHook.get_connection("env_db").password)
            Variable.set("written_by_task", "hello-var")
            raise RuntimeError(f"failing with {{conn.password}} in the message")

        leak()

    secrets()
"""


def test_secrets_a_task_reads_are_masked_in_its_log(
    make_executor: Callable[..., LocalExecutor],
    engine_config: Config,
    sqlite_db: Database,
    dags_folder: Path,
    engine_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from slipstream.db.store.connections import add_connection
    from slipstream.db.store.variables import set_variable
    from slipstream.sdk.connections import Connection

    monkeypatch.setenv("AIRFLOW_CONN_ENV_DB", "postgres://user:env-pass-9876@db:5432/x")
    with sqlite_db.begin() as session:
        conn = Connection(
            conn_id="warehouse", conn_type="postgres", host="db", login="etl",
            password="hunter2-very-secret",
        )  # fmt: skip
        add_connection(session, conn, config=engine_config)
        set_variable(session, "service_api_key", "k3y-value-123456", config=engine_config)
        set_variable(session, "plain_value", "visible-value-999", config=engine_config)
        set_variable(
            session, "settings", json.dumps({"token": "tok-abcdef-1", "region": "eu-west-1"}),
            config=engine_config,
        )  # fmt: skip
    executor = make_executor()
    run = seed_run(sqlite_db, write_dag(dags_folder, "secrets", SECRETS.format()), "secrets")

    run_workload(executor, queue_ti(sqlite_db, run, "leak"))

    assert get_ti(sqlite_db, run.ti_ids["leak"]).state == "failed"
    path = try_log_path(
        engine_env / "logs", dag_id="secrets", run_id="manual__test", task_id="leak",
        map_index=-1, try_number=1,
    )  # fmt: skip
    log = wait_for(lambda: "finished: failed" in path.read_text() and path.read_text())
    for secret in ("hunter2-very-secret", "k3y-value-123456", "tok-abcdef-1", "env-pass-9876"):
        assert secret not in log
    assert "password is ***" in log
    assert "failing with *** in the message" in log
    assert "visible-value-999" in log and "eu-west-1" in log
    from slipstream.db.store.variables import get_variable

    with sqlite_db.session() as session:
        assert get_variable(session, "written_by_task", config=engine_config) == "hello-var"
