"""The table behind `import airflow…`: which Airflow module offers which names, and where they live.

`MODULES` maps each supported Airflow module to its names; each name maps to a *source*:

- `"slipstream.sdk.dag_definition"`: the attribute of the same name in that module;
- `"slipstream.sdk.assets:AssetAlias"`: that module's attribute `AssetAlias` (a rename);
- `"slipstream.sdk.macros:"` (empty attribute): the module itself.

A source module may itself be an `airflow…` alias (`"airflow.sdk.timezone:"`), so a module that
several Airflow paths expose is one object whichever path a DAG file uses.

Nothing here is imported until a DAG file asks for the name. Modules that only hold others
(`airflow.providers`, `airflow.sdk.definitions`, …) need no entry: every prefix of a listed module
is a package. `REMOVED_MODULES` and `REMOVED_NAMES` list what Airflow 3 itself removed, with the
replacement to name in the error.
"""

from __future__ import annotations

AIRFLOW_VERSION = "3.3.2"
"""What `airflow.__version__` says: the Airflow version Slipstream is compatible with."""

_EXCEPTIONS = "slipstream.core.exceptions"
_STATES = "slipstream.core.states"
_RULES = "slipstream.core.trigger_rule"
_TIMETABLES = "slipstream.timetables"
_ASSETS = "slipstream.sdk.assets"
_BASEOPERATOR = "slipstream.sdk.baseoperator"
_CONTEXT = "slipstream.sdk.context"
_DAG = "slipstream.sdk.dag_definition"
_DECORATORS = "slipstream.sdk.decorators"
_EDGES = "slipstream.sdk.edges"
_PARAMS = "slipstream.sdk.params"
_SENSOR_BASE = "slipstream.sdk.sensors.base"
_TASKGROUP = "slipstream.sdk.taskgroup"
_XCOM_ARG = "slipstream.sdk.xcom_arg"
_CONFIGURATION = "slipstream.compat.airflow.configuration"
_TIMEZONE = "slipstream.compat.airflow.timezone"
_MODELS = "slipstream.compat.airflow.metadata_models"


def _names(source: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, source)


_DAGS = _names(_DAG, "DAG", "dag")
_DECORATOR_NAMES = {**_names(_DECORATORS, "task", "setup", "teardown"), "task_group": _TASKGROUP}
_GROUPS = _names(_TASKGROUP, "TaskGroup", "task_group")
_OPERATOR_BASE = _names(_BASEOPERATOR, "BaseOperator", "chain", "chain_linear", "cross_downstream")
_LABELS = _names(_EDGES, "Label", "EdgeModifier")
_PARAM_NAMES = _names(_PARAMS, "Param", "ParamsDict")
_SENSOR_BASE_NAMES = _names(_SENSOR_BASE, "BaseSensorOperator", "PokeReturnValue")
_CONTEXT_NAMES = _names(_CONTEXT, "Context", "get_current_context")
_ASSET_NAMES = _names(_ASSETS, "Asset", "AssetAlias", "AssetAll", "AssetAny")
_STATE_NAMES = _names(_STATES, "TaskInstanceState", "DagRunState")
_RULE_NAMES = _names(_RULES, "TriggerRule", "WeightRule")
_TIMETABLE_NAMES = _names(
    _TIMETABLES,
    "AssetOrTimeSchedule",
    "CronTriggerTimetable",
    "CronDataIntervalTimetable",
    "DeltaTriggerTimetable",
    "DeltaDataIntervalTimetable",
    "MultipleCronTriggerTimetable",
    "EventsTimetable",
)
_RESOURCES = {
    "Variable": "slipstream.sdk.variables",
    "Connection": "slipstream.sdk.connections",
    "BaseHook": "slipstream.sdk.hooks",
    "BaseNotifier": "slipstream.sdk.notifier",
}
_TASK_EXCEPTIONS = _names(
    _EXCEPTIONS,
    "AirflowException",
    "AirflowSkipException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowTaskTimeout",
    "AirflowNotFoundException",
    "AirflowConfigException",
    "ParamValidationError",
    "TaskDeferred",
)
_ALL_EXCEPTIONS = {
    **_TASK_EXCEPTIONS,
    **_names(
        _EXCEPTIONS,
        "AirflowRescheduleException",
        "AirflowBadRequest",
        "AirflowTaskTerminated",
        "AirflowDagCycleException",
        "DuplicateTaskIdFound",
        "TaskAlreadyInTaskGroup",
        "DagNotFound",
        "TaskNotFound",
    ),
}
_TIMEZONE_NAMES = _names(
    _TIMEZONE,
    "utcnow",
    "datetime",
    "parse",
    "convert_to_utc",
    "make_aware",
    "coerce_datetime",
    "utc",
)
_MACROS = "slipstream.sdk.macros"
_MACRO_NAMES = _names(
    _MACROS,
    "ds_add",
    "ds_format",
    "ds_format_locale",
    "datetime_diff_for_humans",
    "datetime",
    "timedelta",
    "dateutil",
    "json",
    "random",
    "time",
    "uuid",
)

_AUTHORING = {
    **_DAGS,
    **_DECORATOR_NAMES,
    **_GROUPS,
    **_OPERATOR_BASE,
    **_LABELS,
    **_PARAM_NAMES,
    **_RESOURCES,
    **_SENSOR_BASE_NAMES,
    **_CONTEXT_NAMES,
    **_ASSET_NAMES,
    **_STATE_NAMES,
    **_RULE_NAMES,
    "Metadata": _ASSETS,
    "XComArg": _XCOM_ARG,
    "literal": _XCOM_ARG,
    "conf": f"{_CONFIGURATION}:conf",
    "timezone": "airflow.sdk.timezone:",
}

_OPERATORS = "slipstream.sdk.operators"
_SENSORS = "slipstream.sdk.sensors"
_STANDARD_OPERATORS: dict[str, dict[str, str]] = {
    "bash": {"BashOperator": f"{_OPERATORS}.bash"},
    "python": {
        **_names(
            f"{_OPERATORS}.python", "PythonOperator", "BranchPythonOperator", "ShortCircuitOperator"
        ),
        "get_current_context": _CONTEXT,
    },
    "empty": {"EmptyOperator": f"{_OPERATORS}.empty"},
    "trigger_dagrun": {"TriggerDagRunOperator": f"{_OPERATORS}.trigger_dagrun"},
    "latest_only": {"LatestOnlyOperator": f"{_OPERATORS}.latest_only"},
    "branch": {"BaseBranchOperator": f"{_OPERATORS}.branch"},
    "datetime": {"BranchDateTimeOperator": f"{_OPERATORS}.datetime"},
    "weekday": {"BranchDayOfWeekOperator": f"{_OPERATORS}.weekday"},
}
_STANDARD_SENSORS: dict[str, dict[str, str]] = {
    "python": {"PythonSensor": f"{_SENSORS}.python"},
    "filesystem": {"FileSensor": f"{_SENSORS}.filesystem"},
    "bash": {"BashSensor": f"{_SENSORS}.bash"},
    "time_delta": _names(
        f"{_SENSORS}.time_delta", "TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor"
    ),
    "date_time": _names(f"{_SENSORS}.date_time", "DateTimeSensor", "DateTimeSensorAsync"),
    "time": _names(f"{_SENSORS}.time", "TimeSensor", "TimeSensorAsync"),
    "weekday": {"DayOfWeekSensor": f"{_SENSORS}.weekday"},
}

MODULES: dict[str, dict[str, str]] = {
    "airflow": {
        **_names(_DAG, "DAG"),
        **_names(_ASSETS, "Asset", "Dataset"),
        "XComArg": _XCOM_ARG,
        "__version__": "slipstream.compat.airflow.modules:AIRFLOW_VERSION",
    },
    # The Airflow 3 authoring API.
    "airflow.sdk": {**_AUTHORING, **_TIMETABLE_NAMES, "macros": f"{_MACROS}:"},
    "airflow.sdk.exceptions": _TASK_EXCEPTIONS,
    "airflow.sdk.timezone": _TIMEZONE_NAMES,
    "airflow.sdk.bases.operator": _OPERATOR_BASE,
    "airflow.sdk.bases.sensor": _SENSOR_BASE_NAMES,
    "airflow.sdk.bases.hook": {"BaseHook": _RESOURCES["BaseHook"]},
    "airflow.sdk.bases.notifier": {"BaseNotifier": _RESOURCES["BaseNotifier"]},
    "airflow.sdk.definitions.asset": _ASSET_NAMES,
    "airflow.sdk.definitions.asset.metadata": {"Metadata": _ASSETS},
    "airflow.sdk.definitions.connection": {"Connection": _RESOURCES["Connection"]},
    "airflow.sdk.definitions.context": _CONTEXT_NAMES,
    "airflow.sdk.definitions.dag": _DAGS,
    "airflow.sdk.definitions.decorators": _DECORATOR_NAMES,
    "airflow.sdk.definitions.edges": _LABELS,
    "airflow.sdk.definitions.param": _PARAM_NAMES,
    "airflow.sdk.definitions.taskgroup": _GROUPS,
    "airflow.sdk.definitions.template": {"literal": _XCOM_ARG},
    "airflow.sdk.definitions.variable": {"Variable": _RESOURCES["Variable"]},
    "airflow.sdk.definitions.xcom_arg": {"XComArg": _XCOM_ARG},
    # Airflow 2 paths that Airflow 3 still accepts (most with a deprecation warning).
    "airflow.decorators": {**_names(_DAG, "dag"), **_DECORATOR_NAMES},
    "airflow.models": {
        **_names(_DAG, "DAG"),
        "BaseOperator": _BASEOPERATOR,
        "Param": _PARAMS,
        "Variable": _RESOURCES["Variable"],
        "Connection": _RESOURCES["Connection"],
        "XComArg": _XCOM_ARG,
        **_names(_MODELS, "TaskInstance", "DagRun", "XCom", "DagModel", "TaskReschedule"),
    },
    "airflow.models.taskinstance": _names(_MODELS, "TaskInstance"),
    "airflow.models.dagrun": _names(_MODELS, "DagRun"),
    "airflow.models.xcom": _names(_MODELS, "XCom"),
    "airflow.models.dagmodel": _names(_MODELS, "DagModel"),
    "airflow.utils.context": {"Context": _CONTEXT},
    "airflow.utils.types": {"DagRunType": "slipstream.core.run_types"},
    "airflow.models.dag": _names(_DAG, "DAG"),
    "airflow.models.baseoperator": _OPERATOR_BASE,
    "airflow.models.param": _PARAM_NAMES,
    "airflow.models.variable": {"Variable": _RESOURCES["Variable"]},
    "airflow.models.connection": {"Connection": _RESOURCES["Connection"]},
    "airflow.models.xcom_arg": {"XComArg": _XCOM_ARG},
    **{f"airflow.operators.{name}": names for name, names in _STANDARD_OPERATORS.items()},
    "airflow.sensors.base": _SENSOR_BASE_NAMES,
    **{f"airflow.sensors.{name}": names for name, names in _STANDARD_SENSORS.items()},
    "airflow.hooks.base": {"BaseHook": _RESOURCES["BaseHook"]},
    "airflow.exceptions": _ALL_EXCEPTIONS,
    "airflow.utils.trigger_rule": {"TriggerRule": _RULES},
    "airflow.utils.weight_rule": {"WeightRule": _RULES},
    "airflow.utils.state": {**_STATE_NAMES, "State": _STATES},
    "airflow.utils.task_group": {"TaskGroup": _TASKGROUP},
    "airflow.utils.weekday": {"WeekDay": "slipstream.sdk.weekday"},
    "airflow.providers.standard.utils.weekday": {"WeekDay": "slipstream.sdk.weekday"},
    "airflow.utils.edgemodifier": _LABELS,
    "airflow.utils.timezone": _TIMEZONE_NAMES,
    "airflow.utils.dates": {},
    "airflow.macros": _MACRO_NAMES,
    "airflow.configuration": {"conf": f"{_CONFIGURATION}:conf"},
    "airflow.datasets": {
        "Dataset": _ASSETS,
        "DatasetAlias": f"{_ASSETS}:AssetAlias",
        "DatasetAll": f"{_ASSETS}:AssetAll",
        "DatasetAny": f"{_ASSETS}:AssetAny",
    },
    "airflow.timetables.base": _names(
        _TIMETABLES, "Timetable", "DataInterval", "DagRunInfo", "TimeRestriction"
    ),
    "airflow.timetables.trigger": _names(
        _TIMETABLES, "CronTriggerTimetable", "DeltaTriggerTimetable", "MultipleCronTriggerTimetable"
    ),
    "airflow.timetables.interval": _names(
        _TIMETABLES, "CronDataIntervalTimetable", "DeltaDataIntervalTimetable"
    ),
    "airflow.timetables.simple": _names(
        _TIMETABLES,
        "NullTimetable",
        "OnceTimetable",
        "ContinuousTimetable",
        "AssetTriggeredTimetable",
    ),
    "airflow.timetables.events": _names(_TIMETABLES, "EventsTimetable"),
    "airflow.timetables.assets": _names(_TIMETABLES, "AssetOrTimeSchedule"),
    # The standard provider: where Airflow 3 keeps the operators and sensors above.
    **{
        f"airflow.providers.standard.operators.{name}": names
        for name, names in _STANDARD_OPERATORS.items()
    },
    **{
        f"airflow.providers.standard.sensors.{name}": names
        for name, names in _STANDARD_SENSORS.items()
    },
    "airflow.providers.common.compat.sdk": {**_AUTHORING, **_TASK_EXCEPTIONS},
}

_STANDARD = "airflow.providers.standard"
_SMTP = "airflow.providers.smtp.operators.smtp"
_SQL_OPERATOR = "SQLExecuteQueryOperator from 'airflow.providers.common.sql.operators.sql'"

REMOVED_MODULES: dict[str, str] = {
    "airflow.contrib": "the provider packages ('airflow.providers.…')",
    "airflow.operators.python_operator": f"'{_STANDARD}.operators.python'",
    "airflow.operators.bash_operator": f"'{_STANDARD}.operators.bash'",
    "airflow.operators.dummy": f"EmptyOperator from '{_STANDARD}.operators.empty'",
    "airflow.operators.dummy_operator": f"EmptyOperator from '{_STANDARD}.operators.empty'",
    "airflow.operators.dagrun_operator": f"'{_STANDARD}.operators.trigger_dagrun'",
    "airflow.operators.latest_only_operator": f"'{_STANDARD}.operators.latest_only'",
    "airflow.operators.subdag": "TaskGroup from 'airflow.sdk'",
    "airflow.operators.subdag_operator": "TaskGroup from 'airflow.sdk'",
    "airflow.operators.email_operator": f"EmailOperator from '{_SMTP}'",
    "airflow.operators.postgres_operator": _SQL_OPERATOR,
    "airflow.operators.slack_operator": "'airflow.providers.slack.operators.slack'",
    "airflow.providers.postgres.operators.postgres": _SQL_OPERATOR,
    "airflow.sensors.base_sensor_operator": "BaseSensorOperator from 'airflow.sdk'",
    "airflow.sensors.external_task_sensor": f"'{_STANDARD}.sensors.external_task'",
    "airflow.hooks.base_hook": "BaseHook from 'airflow.sdk'",
    "airflow.models.dataset": "Asset from 'airflow.sdk'",
    "airflow.api.common.experimental": (
        "the REST API (task code has no metadata-database access in Airflow 3)"
    ),
}

REMOVED_NAMES: dict[str, dict[str, str]] = {
    "airflow.utils.dates": {
        "days_ago": "a fixed start_date, or pendulum.today('UTC').add(days=-N)",
        "date_range": "pendulum.interval(start, end).range('days')",
    },
    "airflow.models": {
        "SlaMiss": "deadline alerts",
        "TaskFail": "the task instance history of the REST API",
        "ImportError": "ParseImportError from 'airflow.models.errors'",
    },
    "airflow.models.dag": {"ScheduleInterval": "the types of the `schedule` argument"},
}


def removed_replacement(module: str) -> str | None:
    """What replaced `module` (or the removed package holding it), if Airflow 3 removed it."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        replacement = REMOVED_MODULES.get(".".join(parts[:end]))
        if replacement is not None:
            return replacement
    return None


def _packages() -> frozenset[str]:
    found: set[str] = set()
    for module in MODULES:
        parts = module.split(".")
        found.update(".".join(parts[:end]) for end in range(1, len(parts)))
    return frozenset(found)


PACKAGES = _packages()
"""Alias modules that have submodules (every proper prefix of a listed module)."""

KNOWN = frozenset(MODULES) | PACKAGES
"""Every `airflow…` module name Slipstream can create."""
