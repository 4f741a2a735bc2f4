"""Where settings come from: defaults < file < AIRFLOW__ env < SLIPSTREAM__ env."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slipstream.config import OPTIONS, get_config, load_config, reset_config_cache
from slipstream.core.exceptions import AirflowConfigException


def write_cfg(home: Path, text: str) -> Path:
    path = home / "slipstream.cfg"
    path.write_text(textwrap.dedent(text))
    return path


def test_defaults_use_airflow_names_and_home(home: Path) -> None:
    config = load_config(home=home, env={})
    assert config.getint("core", "parallelism") == 32
    assert config.get("core", "executor") == "LocalExecutor"
    assert config.getboolean("core", "load_examples") is False
    assert config.getboolean("core", "dags_are_paused_at_creation") is True
    assert config.getfloat("core", "dagbag_import_timeout") == 30.0
    assert config.getpath("core", "dags_folder") == home / "dags"
    assert config.getpath("logging", "base_log_folder") == home / "logs"
    assert config.get("database", "sql_alchemy_conn") == f"sqlite:///{home}/slipstream.db"
    assert config.getint("api", "port") == 8080
    assert config.get("api", "host") == "127.0.0.1"
    assert config.get("core", "fernet_key") == ""
    assert config.setting("core", "parallelism").source == "default"


def test_every_default_fits_its_type(home: Path) -> None:
    config = load_config(home=home, env={})
    config.validate()
    for section, options in OPTIONS.items():
        for key, option in options.items():
            assert option.description, (section, key)
            assert config.has_option(section, key)


def test_home_comes_from_the_environment(tmp_path: Path) -> None:
    config = load_config(env={"SLIPSTREAM_HOME": str(tmp_path / "h")})
    assert config.home == tmp_path / "h"
    assert config.config_file == tmp_path / "h" / "slipstream.cfg"
    assert config.getpath("core", "dags_folder") == tmp_path / "h" / "dags"


def test_home_defaults_to_slipstream_in_the_user_folder() -> None:
    assert load_config(env={}).home == Path("~/slipstream").expanduser()


def test_precedence(home: Path) -> None:
    write_cfg(
        home,
        """
        [core]
        parallelism = 8
        max_active_runs_per_dag = 4
        default_timezone = Europe/Paris
        """,
    )
    env = {
        "AIRFLOW__CORE__PARALLELISM": "12",
        "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG": "5",
        "SLIPSTREAM__CORE__PARALLELISM": "20",
    }
    config = load_config(home=home, env=env)
    assert config.getint("core", "parallelism") == 20
    assert config.setting("core", "parallelism").origin == "SLIPSTREAM__CORE__PARALLELISM"
    assert config.getint("core", "max_active_runs_per_dag") == 5
    assert config.setting("core", "max_active_runs_per_dag").origin == (
        "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG"
    )
    assert config.get("core", "default_timezone") == "Europe/Paris"
    assert config.setting("core", "default_timezone").source == "file"
    assert config.setting("core", "default_timezone").origin == str(home / "slipstream.cfg")
    assert config.getint("core", "max_active_tasks_per_dag") == 16


def test_reads_are_case_insensitive(home: Path) -> None:
    write_cfg(home, "[CORE]\nParallelism = 3\n")
    config = load_config(home=home, env={})
    assert config.getint("Core", "PARALLELISM") == 3


def test_airflow_env_cannot_point_at_airflows_database_or_broker(home: Path) -> None:
    env = {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://airflow@db/airflow",
        "AIRFLOW__CORE__SQL_ALCHEMY_CONN": "postgresql://airflow@db/old",
        "AIRFLOW__CELERY__BROKER_URL": "redis://airflow-redis:6379/0",
    }
    config = load_config(home=home, env=env)
    assert config.get("database", "sql_alchemy_conn").startswith("sqlite:///")
    assert config.get("celery", "broker_url") == "redis://127.0.0.1:6379/0"
    env["SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN"] = "postgresql://me@db/slipstream"
    config = load_config(home=home, env=env)
    assert config.get("database", "sql_alchemy_conn") == "postgresql://me@db/slipstream"


def test_home_expansion_in_values(home: Path) -> None:
    write_cfg(
        home,
        """
        [core]
        dags_folder = {SLIPSTREAM_HOME}/my_dags
        plugins_folder = $SLIPSTREAM_HOME/plug
        """,
    )
    env = {"SLIPSTREAM__LOGGING__BASE_LOG_FOLDER": "${SLIPSTREAM_HOME}/l"}
    config = load_config(home=home, env=env)
    assert config.getpath("core", "dags_folder") == home / "my_dags"
    assert config.get("core", "plugins_folder") == f"{home}/plug"
    assert config.getpath("logging", "base_log_folder") == home / "l"


def test_relative_paths_are_taken_from_home(home: Path) -> None:
    config = load_config(home=home, env={"SLIPSTREAM__CORE__DAGS_FOLDER": "pipelines"})
    assert config.getpath("core", "dags_folder") == home / "pipelines"
    config = load_config(home=home, env={"SLIPSTREAM__CORE__DAGS_FOLDER": "~/d"})
    assert config.getpath("core", "dags_folder") == Path.home() / "d"


def test_config_file_can_be_named(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.cfg"
    other.write_text("[core]\nparallelism = 7\n")
    config = load_config(home=home, env={"SLIPSTREAM_CONFIG": str(other)})
    assert config.config_file == other
    assert config.getint("core", "parallelism") == 7


@pytest.mark.parametrize(
    ("word", "expected"),
    [("True", True), ("t", True), ("1", True), ("yes", True), ("FALSE", False), ("f", False)],
)
def test_booleans(home: Path, word: str, expected: bool) -> None:
    config = load_config(home=home, env={"SLIPSTREAM__CORE__LOAD_EXAMPLES": word})
    assert config.getboolean("core", "load_examples") is expected


def test_wrong_type_in_env_names_setting_and_variable(home: Path) -> None:
    with pytest.raises(AirflowConfigException) as caught:
        load_config(home=home, env={"SLIPSTREAM__CORE__PARALLELISM": "abc"})
    message = str(caught.value)
    assert "[core] parallelism" in message
    assert "'abc'" in message
    assert "SLIPSTREAM__CORE__PARALLELISM" in message


def test_wrong_type_in_file_names_the_file(home: Path) -> None:
    path = write_cfg(home, "[api]\nport = eighty\n[core]\nload_examples = maybe\n")
    with pytest.raises(AirflowConfigException) as caught:
        load_config(home=home, env={})
    message = str(caught.value)
    assert "[api] port should be an integer" in message
    assert "[core] load_examples should be a boolean" in message
    assert str(path) in message


def test_wrong_choice(home: Path) -> None:
    with pytest.raises(AirflowConfigException, match=r"dag_ignore_file_syntax.*glob, regexp"):
        load_config(home=home, env={"AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX": "regex"})
    config = load_config(home=home, env={"SLIPSTREAM__LOGGING__LOGGING_LEVEL": "debug"})
    assert config.get("logging", "logging_level") == "debug"


def test_typed_read_of_a_string_setting_names_its_source(home: Path) -> None:
    config = load_config(home=home, env={"AIRFLOW__API__HOST": "0.0.0.0"})
    with pytest.raises(AirflowConfigException, match=r"\[api\] host.*AIRFLOW__API__HOST"):
        config.getint("api", "host")


def test_unknown_settings(home: Path) -> None:
    config = load_config(home=home, env={})
    with pytest.raises(AirflowConfigException, match=r"\[core/paralelism\].*core\] parallelism"):
        config.get("core", "paralelism")
    with pytest.raises(AirflowConfigException, match=r"no section \[nope\]"):
        config.getint("nope", "x")
    assert not config.has_option("core", "paralelism")
    assert config.get("core", "paralelism", fallback=None) is None
    assert config.getint("core", "paralelism", fallback=4) == 4
    assert config.getint("core", "parallelism", fallback=4) == 32


def test_settings_only_set_by_users_are_readable(home: Path) -> None:
    write_cfg(home, "[my_team]\nbucket = s3://data\n")
    config = load_config(home=home, env={"AIRFLOW__MY_TEAM__REGION": "eu"})
    assert config.get("my_team", "bucket") == "s3://data"
    assert config.get("my_team", "region") == "eu"
    assert config.has_option("my_team", "bucket")
    assert config.as_dict()["my_team"]["bucket"] == ("s3://data", "file")


def test_airflow_2_names_still_work(home: Path) -> None:
    write_cfg(
        home,
        """
        [scheduler]
        dag_dir_list_interval = 60
        parsing_processes = 4
        [dag_processor]
        parsing_processes = 6
        [webserver]
        web_server_port = 9090
        """,
    )
    config = load_config(home=home, env={"AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT": "70"})
    assert config.getint("dag_processor", "refresh_interval") == 60
    assert config.getint("scheduler", "dag_dir_list_interval") == 60
    assert config.getint("dag_processor", "parsing_processes") == 6  # the current name wins
    assert config.getint("api", "port") == 9090
    assert config.getint("dag_processor", "dag_file_processor_timeout") == 70
    assert config.getint("core", "dag_file_processor_timeout") == 70
    assert "dag_dir_list_interval" not in config.as_dict()["scheduler"]


def test_old_name_error_says_how_it_was_written(home: Path) -> None:
    write_cfg(home, "[scheduler]\ndag_dir_list_interval = soon\n")
    with pytest.raises(AirflowConfigException, match=r"as \[scheduler\] dag_dir_list_interval"):
        load_config(home=home, env={})


def test_file_percent_signs_follow_airflow(home: Path) -> None:
    write_cfg(home, "[logging]\nlog_format = %%(message)s\n")
    assert load_config(home=home, env={}).get("logging", "log_format") == "%(message)s"
    write_cfg(home, "[database]\nsql_alchemy_conn = postgresql://u:p%40ss@h/db\n")
    with pytest.raises(AirflowConfigException, match=r"sql_alchemy_conn.*%%"):
        load_config(home=home, env={})
    env = {"SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN": "postgresql://u:p%40ss@h/db"}
    (home / "slipstream.cfg").unlink()
    assert (
        load_config(home=home, env=env).get("database", "sql_alchemy_conn").endswith("p%40ss@h/db")
    )


def test_broken_file_is_named(home: Path) -> None:
    path = write_cfg(home, "parallelism = 3\n")
    with pytest.raises(AirflowConfigException, match=str(path)):
        load_config(home=home, env={})
    write_cfg(home, "[core]\nparallelism = 3\nparallelism = 4\n")
    with pytest.raises(AirflowConfigException, match="already exists"):
        load_config(home=home, env={})


def test_malformed_env_names_are_ignored(home: Path) -> None:
    env = {"SLIPSTREAM__CORE": "x", "SLIPSTREAM__A__B__C": "y", "AIRFLOW__TEAM___CORE__X": "z"}
    config = load_config(home=home, env=env)
    assert config.sections() == list(OPTIONS)


def test_as_dict_sources_and_masking(home: Path) -> None:
    write_cfg(
        home,
        """
        [core]
        fernet_key = abc
        [database]
        sql_alchemy_conn = postgresql://me:hunter2@db:5432/slip
        [celery]
        broker_url = redis://:redispw@redis:6379/0
        [my_team]
        api_token = tok
        """,
    )
    config = load_config(home=home, env={"SLIPSTREAM__API__SECRET_KEY": "s3"})
    shown = config.as_dict()
    assert shown["core"]["fernet_key"] == ("< hidden >", "file")
    assert shown["api"]["secret_key"] == ("< hidden >", "env")
    assert shown["database"]["sql_alchemy_conn"] == ("postgresql://me:***@db:5432/slip", "file")
    assert shown["celery"]["broker_url"][0] == "redis://:***@redis:6379/0"
    assert shown["my_team"]["api_token"][0] == "< hidden >"
    assert shown["core"]["parallelism"] == ("32", "default")
    assert shown["api_auth"]["jwt_secret"] == ("", "default")  # unset stays visibly unset
    plain = config.as_dict(display_sensitive=True, include_source=False)
    assert plain["core"]["fernet_key"] == "abc"
    assert plain["database"]["sql_alchemy_conn"] == "postgresql://me:hunter2@db:5432/slip"
    assert "hunter2" not in str(config.as_dict(include_source=False))


def test_url_password_in_query_is_masked(home: Path) -> None:
    url = "postgresql://db/slip?user=me&password=hunter2"
    config = load_config(home=home, env={"SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN": url})
    shown = config.as_dict(include_source=False)["database"]["sql_alchemy_conn"]
    assert "hunter2" not in shown
    assert shown.startswith("postgresql://db/slip?user=me&password=")


def test_load_config_reads_at_call_time(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    monkeypatch.setenv("SLIPSTREAM__CORE__PARALLELISM", "3")
    assert load_config().getint("core", "parallelism") == 3
    monkeypatch.setenv("SLIPSTREAM__CORE__PARALLELISM", "4")
    assert load_config().getint("core", "parallelism") == 4


def test_get_config_is_cached_until_reset(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    monkeypatch.setenv("SLIPSTREAM__CORE__PARALLELISM", "3")
    first = get_config()
    monkeypatch.setenv("SLIPSTREAM__CORE__PARALLELISM", "4")
    assert get_config() is first
    assert get_config().getint("core", "parallelism") == 3
    reset_config_cache()
    assert get_config().getint("core", "parallelism") == 4


def test_import_is_cheap_and_reads_nothing(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "import slipstream.config, slipstream.config.fernet\n"
        "new = sorted(set(sys.modules) - before)\n"
        "print(json.dumps(new))\n"
    )
    env = {"SLIPSTREAM_HOME": str(tmp_path / "absent"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    loaded = set(__import__("json").loads(out))
    ours = {m for m in loaded if m.startswith("slipstream.")}
    assert all(m.startswith(("slipstream.config", "slipstream.core")) for m in ours), ours
    third_party = {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names) - {"slipstream"}
    assert not {m for m in third_party if not m.startswith("_")}, third_party
    assert not (tmp_path / "absent").exists()
