"""Pieces of the supervisor and the task process that need no processes."""

from __future__ import annotations

from pathlib import Path

from slipstream.serialization import deserialize_dag, serialize_dag
from slipstream.supervisor.supervisor import SupervisorSettings, expand_group_ids
from slipstream.supervisor.task_process import scrub_environment


def test_the_task_environment_loses_database_credentials() -> None:
    env = {
        "SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN": "postgresql://u:p@h/db",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://u:p@h/db",
        "AIRFLOW__CORE__SQL_ALCHEMY_CONN": "postgresql://u:p@h/db",
        "SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN_CMD": "cat /secret",
        "SLIPSTREAM__CORE__FERNET_KEY": "k",
        "SLIPSTREAM__CORE__PARALLELISM": "4",
        "PATH": "/bin",
    }
    assert scrub_environment(env) == {"SLIPSTREAM__CORE__PARALLELISM": "4", "PATH": "/bin"}


def test_branch_choices_of_task_groups_become_their_roots() -> None:
    from slipstream.sdk import DAG, TaskGroup
    from slipstream.sdk.operators.empty import EmptyOperator

    with DAG("groups", schedule=None) as dag:
        choose = EmptyOperator(task_id="choose")
        with TaskGroup("grp") as group:
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            a >> b
        other = EmptyOperator(task_id="other")
        choose >> [group, other]
    serialized = deserialize_dag(serialize_dag(dag))
    assert expand_group_ids(serialized, ["grp", "other", "missing"]) == [
        "grp.a",
        "other",
        "missing",
    ]


def test_settings_come_from_the_config_and_travel_as_plain_data(slipstream_home: Path) -> None:
    from slipstream.config import load_config

    settings = SupervisorSettings.from_config(
        load_config(), db_url="sqlite:///x.db", event_socket="/tmp/e.sock"
    )
    assert settings.base_log_folder == str(slipstream_home / "logs")
    assert settings.heartbeat_sec == 3.0 and settings.new_interpreter is False
    assert SupervisorSettings.from_dict(settings.to_dict()) == settings
