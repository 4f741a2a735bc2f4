"""Every setting Slipstream knows: section, key, type, default and what it means.

Names are Airflow 3's wherever the concept exists, so a user's `airflow.cfg` knowledge (and their
`AIRFLOW__SECTION__KEY` environment) carries over. Defaults are written as they would be in a
config file; `{SLIPSTREAM_HOME}` in them is replaced by the home folder when the config loads.
Settings Airflow has moved keep working under their old names (`RENAMED`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OptionType = Literal["string", "integer", "float", "boolean", "path"]
Sensitivity = Literal["", "secret", "url"]
"""How a value is masked when shown: not at all, entirely, or only the password of a URL."""


@dataclass(frozen=True)
class Option:
    """One known setting."""

    section: str
    key: str
    type: OptionType
    default: str
    description: str
    sensitive: Sensitivity = ""
    choices: tuple[str, ...] = ()
    """Allowed values (compared without case); empty means any value of the type."""
    airflow_env: bool = True
    """Whether `AIRFLOW__SECTION__KEY` may set it. Off for what would point Slipstream at an
    Airflow installation's own database or broker, which hold Airflow's schema and messages."""


_TABLE: list[Option] = []


def _opt(
    section: str,
    key: str,
    type_: OptionType,
    default: str,
    description: str,
    *,
    sensitive: Sensitivity = "",
    choices: tuple[str, ...] = (),
    airflow_env: bool = True,
) -> None:
    _TABLE.append(
        Option(section, key, type_, default, description, sensitive, choices, airflow_env)
    )


# [core]
_opt("core", "dags_folder", "path", "{SLIPSTREAM_HOME}/dags", "Folder holding the DAG files.")
_opt("core", "plugins_folder", "path", "{SLIPSTREAM_HOME}/plugins", "Folder for plugins.")
_opt("core", "executor", "string", "LocalExecutor", "Executor that runs task tries.")
_opt("core", "parallelism", "integer", "32", "Most task instances running at once, in all.")
_opt("core", "max_active_tasks_per_dag", "integer", "16", "Default `max_active_tasks` of a DAG.")
_opt("core", "max_active_runs_per_dag", "integer", "16", "Default `max_active_runs` of a DAG.")
_opt(
    "core",
    "max_consecutive_failed_dag_runs_per_dag",
    "integer",
    "0",
    "Pause a DAG after this many failed runs in a row (0: never).",
)
_opt("core", "load_examples", "boolean", "False", "Load Slipstream's example DAGs too.")
_opt(
    "core",
    "dags_are_paused_at_creation",
    "boolean",
    "True",
    "New DAGs start paused unless they set `is_paused_upon_creation`.",
)
_opt(
    "core",
    "default_pool_task_slot_count",
    "integer",
    "128",
    "Slots of `default_pool` when it is first created.",
)
_opt(
    "core",
    "dagbag_import_timeout",
    "float",
    "30.0",
    "Seconds one DAG file may take to import before it counts as an import error.",
)
_opt(
    "core",
    "fernet_key",
    "string",
    "",
    "Key(s) encrypting variables and connections; comma-separated, newest first, to rotate.",
    sensitive="secret",
)
_opt("core", "default_timezone", "string", "utc", "Time zone of naive dates in DAG files.")
_opt(
    "core",
    "dag_discovery_safe_mode",
    "boolean",
    "True",
    "Only import files that mention both `dag` and `airflow` (or `slipstream`).",
)
_opt(
    "core",
    "dag_ignore_file_syntax",
    "string",
    "glob",
    "Pattern syntax of `.airflowignore` files.",
    choices=("glob", "regexp"),
)
_opt(
    "core",
    "max_map_length",
    "integer",
    "1024",
    "Most task instances one mapped task may expand to (may be raised).",
)
_opt(
    "core",
    "max_templated_field_length",
    "integer",
    "4096",
    "Rendered template fields longer than this are truncated when shown.",
)
_opt(
    "core",
    "execute_tasks_new_python_interpreter",
    "boolean",
    "False",
    "Run each task try in a fresh interpreter instead of a fork of the warm worker.",
)
_opt(
    "core",
    "preload_dag_files",
    "boolean",
    "True",
    "Fork task processes from a process that imported their DAG file once (while the file and "
    "what it imports are unchanged, at most min_file_process_interval old) instead of importing "
    "it in each; files that read variables or connections, or start threads, when imported are "
    "imported by each task.",
)
_opt(
    "core",
    "test_connection",
    "string",
    "Disabled",
    "Whether the API's connection test may run: Enabled, Disabled or Hidden.",
    choices=("Enabled", "Disabled", "Hidden"),
)
_opt(
    "core",
    "hide_sensitive_var_conn_fields",
    "boolean",
    "True",
    "Mask variables and connection fields with sensitive names in logs and the UI.",
)
_opt(
    "core",
    "sensitive_var_conn_names",
    "string",
    "",
    "More comma-separated words that mark a variable or field name as sensitive.",
)
_opt("core", "default_task_retries", "integer", "0", "Retries of tasks that do not set them.")
_opt(
    "core",
    "default_task_retry_delay",
    "integer",
    "300",
    "Seconds between retries of tasks that do not set `retry_delay`.",
)
_opt(
    "core",
    "max_task_retry_delay",
    "integer",
    "86400",
    "Longest retry delay in seconds, also with exponential backoff.",
)
_opt(
    "core",
    "default_task_weight_rule",
    "string",
    "downstream",
    "Weight rule of tasks that do not set one.",
    choices=("downstream", "upstream", "absolute"),
)
_opt(
    "core",
    "default_task_execution_timeout",
    "string",
    "",
    "Seconds a task try may run when it sets no `execution_timeout` (empty: no limit).",
)
_opt(
    "core",
    "killed_task_cleanup_time",
    "integer",
    "60",
    "Seconds a task process gets after SIGTERM before it is killed.",
)
_opt(
    "core",
    "dag_run_conf_overrides_params",
    "boolean",
    "True",
    "A run's `conf` overrides the DAG's params of the same name.",
)
_opt("core", "unit_test_mode", "boolean", "False", "Accepted for Airflow compatibility.")

# [database]
_opt(
    "database",
    "sql_alchemy_conn",
    "string",
    "sqlite:///{SLIPSTREAM_HOME}/slipstream.db",
    "SQLAlchemy URL of the metadata database (SQLite or PostgreSQL).",
    sensitive="url",
    airflow_env=False,
)
_opt("database", "sql_alchemy_pool_enabled", "boolean", "True", "Pool database connections.")
_opt("database", "sql_alchemy_pool_size", "integer", "5", "Connections kept in the pool.")
_opt(
    "database",
    "sql_alchemy_max_overflow",
    "integer",
    "10",
    "Connections allowed beyond the pool size.",
)
_opt(
    "database",
    "sql_alchemy_pool_recycle",
    "integer",
    "1800",
    "Seconds after which a pooled connection is replaced.",
)
_opt(
    "database",
    "sql_alchemy_pool_pre_ping",
    "boolean",
    "True",
    "Check a pooled connection before using it.",
)
_opt("database", "sql_alchemy_schema", "string", "", "PostgreSQL schema of the tables.")
_opt("database", "max_db_retries", "integer", "3", "Retries of a transaction that hit a conflict.")
_opt(
    "database",
    "check_migrations",
    "boolean",
    "True",
    "Refuse to start while the database schema is behind.",
)

# [logging]
_opt(
    "logging",
    "base_log_folder",
    "path",
    "{SLIPSTREAM_HOME}/logs",
    "Folder of task-try logs.",
)
_opt(
    "logging",
    "dag_processor_child_process_log_directory",
    "path",
    "{SLIPSTREAM_HOME}/logs/dag_processor",
    "Folder of DAG-file parsing logs.",
)
_opt(
    "logging",
    "logging_level",
    "string",
    "INFO",
    "Level of Slipstream's own logs.",
    choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
)
_opt(
    "logging",
    "log_format",
    "string",
    "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s",
    "Format of log lines in files.",
)
_opt(
    "logging",
    "simple_log_format",
    "string",
    "%(asctime)s %(levelname)s - %(message)s",
    "Format of log lines on a console.",
)
_opt("logging", "colored_console_log", "boolean", "True", "Colour console logs on a terminal.")
_opt(
    "logging",
    "min_length_masked_secret",
    "integer",
    "5",
    "Secrets shorter than this are not masked in logs.",
)

# [scheduler]
_opt(
    "scheduler",
    "allowed_run_id_pattern",
    "string",
    r"^[A-Za-z0-9_.~:+-]+$",
    "A run id users give (trigger, API, TriggerDagRunOperator) must match this regular "
    "expression; the default keeps ids usable in URLs and file paths.",
)
_opt(
    "scheduler",
    "scheduler_heartbeat_sec",
    "integer",
    "5",
    "Seconds between the scheduler's heartbeats.",
)
_opt(
    "scheduler",
    "task_instance_heartbeat_sec",
    "integer",
    "3",
    "Seconds between heartbeats of a running task try.",
)
_opt(
    "scheduler",
    "task_instance_heartbeat_timeout",
    "integer",
    "300",
    "A running try with no heartbeat for this long is failed or retried.",
)
_opt(
    "scheduler",
    "task_instance_heartbeat_timeout_detection_interval",
    "float",
    "10.0",
    "Seconds between checks for tries without heartbeat.",
)
_opt(
    "scheduler",
    "task_queued_timeout",
    "float",
    "600.0",
    "A task queued this long without a worker claiming it is queued again.",
)
_opt(
    "scheduler",
    "task_queued_timeout_check_interval",
    "float",
    "120.0",
    "Seconds between checks for tasks stuck in queued.",
)
_opt(
    "scheduler",
    "catchup_by_default",
    "boolean",
    "False",
    "Catch up missed intervals for DAGs that do not set `catchup`.",
)
_opt(
    "scheduler",
    "max_tis_per_query",
    "integer",
    "512",
    "Most task instances the scheduler handles in one query.",
)
_opt(
    "scheduler",
    "max_dagruns_to_create_per_loop",
    "integer",
    "10",
    "Most DAGs whose next runs are created in one scheduler step.",
)
_opt(
    "scheduler",
    "max_dagruns_per_loop_to_schedule",
    "integer",
    "20",
    "Most DAG runs examined in one scheduler step.",
)
_opt(
    "scheduler",
    "scheduler_idle_sleep_time",
    "float",
    "1.0",
    "Longest wait for an event when the scheduler has nothing to do.",
)
_opt("scheduler", "num_runs", "integer", "-1", "Scheduler steps before exiting (-1: forever).")
_opt(
    "scheduler",
    "create_cron_data_intervals",
    "boolean",
    "False",
    "Cron schedules get data intervals between ticks (else they are instants).",
)
_opt(
    "scheduler",
    "create_delta_data_intervals",
    "boolean",
    "False",
    "timedelta schedules get data intervals (else they are instants).",
)
_opt(
    "scheduler",
    "parsing_cleanup_interval",
    "integer",
    "60",
    "Seconds between checks for DAGs whose files are gone.",
)

# [dag_processor]
_opt(
    "dag_processor",
    "parsing_processes",
    "integer",
    "2",
    "DAG files parsed at once, each in its own process.",
)
_opt(
    "dag_processor",
    "min_file_process_interval",
    "integer",
    "30",
    "Seconds before an unchanged DAG file is parsed again.",
)
_opt(
    "dag_processor",
    "refresh_interval",
    "integer",
    "300",
    "Seconds between full rescans of the DAGs folder (changes are also watched for).",
)
_opt(
    "dag_processor",
    "dag_file_processor_timeout",
    "integer",
    "50",
    "Seconds a parsing process may run before it is killed.",
)
_opt(
    "dag_processor",
    "file_parsing_memory_limit_mb",
    "integer",
    "2048",
    "Memory limit (address space, MB) of each parsing process; 0 means no limit.",
)
_opt(
    "dag_processor",
    "file_watcher",
    "string",
    "auto",
    "How changes in the DAGs folder are noticed: auto, inotify or poll.",
    choices=("auto", "inotify", "poll"),
)
_opt(
    "dag_processor",
    "file_poll_interval",
    "float",
    "1.0",
    "Seconds between scans of the DAGs folder when polling for changes.",
)
_opt(
    "dag_processor",
    "stale_dag_threshold",
    "integer",
    "50",
    "Seconds after which a DAG missing from its file is marked inactive.",
)
_opt(
    "dag_processor",
    "print_stats_interval",
    "integer",
    "30",
    "Seconds between parsing statistics in the log.",
)
_opt(
    "dag_processor",
    "file_parsing_sort_mode",
    "string",
    "modified_time",
    "Order in which DAG files are parsed.",
    choices=("modified_time", "random_seeded_by_host", "alphabetical"),
)

# [operators]
_opt("operators", "default_owner", "string", "airflow", "Owner of tasks that do not set one.")
_opt("operators", "default_queue", "string", "default", "Queue of tasks that do not set one.")

# [api]
_opt("api", "host", "string", "127.0.0.1", "Address the API server listens on.")
_opt("api", "port", "integer", "8080", "Port the API server listens on.")
_opt("api", "workers", "integer", "1", "Worker processes of the API server.")
_opt("api", "worker_timeout", "integer", "120", "Seconds before a stuck API worker is restarted.")
_opt("api", "base_url", "string", "http://localhost:8080", "URL users reach the UI and API at.")
_opt(
    "api",
    "secret_key",
    "string",
    "",
    "Secret signing sessions and tokens; keep it the same on every API server.",
    sensitive="secret",
)
_opt("api", "expose_config", "boolean", "False", "Show the configuration in the UI and API.")
_opt("api", "enable_swagger_ui", "boolean", "True", "Serve the interactive API documentation.")
_opt("api", "access_logfile", "string", "-", "Access log file of the API server ('-': stdout).")
_opt("api", "maximum_page_limit", "integer", "100", "Largest page an API list returns.")
_opt("api", "fallback_page_limit", "integer", "50", "Page size of API lists that set none.")

# [api_auth]
_opt(
    "api_auth",
    "jwt_expiration_time",
    "integer",
    "86400",
    "Seconds a user's API token stays valid.",
)
_opt(
    "api_auth",
    "jwt_cli_expiration_time",
    "integer",
    "3600",
    "Seconds a token issued to the command line stays valid.",
)
_opt(
    "api_auth",
    "jwt_secret",
    "string",
    "",
    "Secret signing API tokens (empty: derived from [api] secret_key).",
    sensitive="secret",
)
_opt("api_auth", "jwt_leeway", "integer", "10", "Seconds of clock skew tolerated on tokens.")

# [execution_api]
_opt(
    "execution_api",
    "jwt_expiration_time",
    "integer",
    "600",
    "Seconds a task try's token for the execution API stays valid.",
)

# [celery]
_opt(
    "celery",
    "broker_url",
    "string",
    "redis://127.0.0.1:6379/0",
    "Broker URL of the Celery executor.",
    sensitive="url",
    airflow_env=False,
)
_opt(
    "celery",
    "result_backend",
    "string",
    "",
    "Celery result backend URL (empty: the metadata database).",
    sensitive="url",
    airflow_env=False,
)
_opt("celery", "worker_concurrency", "integer", "16", "Task tries one Celery worker runs at once.")


OPTIONS: dict[str, dict[str, Option]] = {}
for _option in _TABLE:
    OPTIONS.setdefault(_option.section, {})[_option.key] = _option
del _option

RENAMED: dict[tuple[str, str], tuple[str, str]] = {
    ("core", "dag_concurrency"): ("core", "max_active_tasks_per_dag"),
    ("core", "non_pooled_task_slot_count"): ("core", "default_pool_task_slot_count"),
    ("core", "sql_alchemy_conn"): ("database", "sql_alchemy_conn"),
    ("core", "sql_alchemy_pool_size"): ("database", "sql_alchemy_pool_size"),
    ("core", "dag_file_processor_timeout"): ("dag_processor", "dag_file_processor_timeout"),
    ("scheduler", "parsing_processes"): ("dag_processor", "parsing_processes"),
    ("scheduler", "max_threads"): ("dag_processor", "parsing_processes"),
    ("scheduler", "min_file_process_interval"): ("dag_processor", "min_file_process_interval"),
    ("scheduler", "dag_dir_list_interval"): ("dag_processor", "refresh_interval"),
    ("scheduler", "stale_dag_threshold"): ("dag_processor", "stale_dag_threshold"),
    ("scheduler", "print_stats_interval"): ("dag_processor", "print_stats_interval"),
    ("scheduler", "file_parsing_sort_mode"): ("dag_processor", "file_parsing_sort_mode"),
    ("scheduler", "local_task_job_heartbeat_sec"): ("scheduler", "task_instance_heartbeat_sec"),
    ("scheduler", "scheduler_zombie_task_threshold"): (
        "scheduler",
        "task_instance_heartbeat_timeout",
    ),
    ("scheduler", "child_process_log_directory"): (
        "logging",
        "dag_processor_child_process_log_directory",
    ),
    ("celery", "stalled_task_timeout"): ("scheduler", "task_queued_timeout"),
    ("celery", "default_queue"): ("operators", "default_queue"),
    ("webserver", "secret_key"): ("api", "secret_key"),
    ("webserver", "base_url"): ("api", "base_url"),
    ("webserver", "web_server_host"): ("api", "host"),
    ("webserver", "web_server_port"): ("api", "port"),
    ("webserver", "workers"): ("api", "workers"),
    ("webserver", "expose_config"): ("api", "expose_config"),
}
"""Older (Airflow 2) names → the current ones. Reading or setting either name works; a value set
under the current name wins over one set under an old name in the same place."""


def find_option(section: str, key: str) -> Option | None:
    """The known setting named `[section] key` (any case, old names too), or None."""
    section, key = canonical_name(section, key)
    return OPTIONS.get(section, {}).get(key)


def canonical_name(section: str, key: str) -> tuple[str, str]:
    """`(section, key)` in lower case, with an old name replaced by the current one."""
    name = (section.lower(), key.lower())
    return RENAMED.get(name, name)
