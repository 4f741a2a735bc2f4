"""`import airflow…` resolves to Slipstream's objects, lazily, and names what it cannot provide."""

from __future__ import annotations

import importlib
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from slipstream.compat.airflow import (
    RemovedAirflowModuleError,
    RemovedAirflowNameError,
    UnsupportedAirflowImportError,
    UnsupportedAirflowModuleError,
    UnsupportedAirflowNameError,
    install,
    is_installed,
    uninstall,
)
from slipstream.compat.airflow.modules import MODULES, PACKAGES
from slipstream.core import exceptions, states, trigger_rule


@pytest.fixture(autouse=True)
def airflow_shim() -> Iterator[None]:
    """Each test starts with the finder freshly installed; whoever had it installed gets it back."""
    was_installed = is_installed()
    uninstall()
    assert "airflow" not in sys.modules
    assert install() is True
    yield
    uninstall()
    assert not is_installed()
    assert not [name for name in sys.modules if name.split(".")[0] == "airflow"]
    if was_installed:
        install()


def _run(statement: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(statement, namespace)
    return namespace


# --- what exists today: core vocabulary ------------------------------------------------------


def test_states_and_trigger_rules_are_slipstreams() -> None:
    from airflow.sdk import DagRunState, TaskInstanceState, TriggerRule, WeightRule
    from airflow.utils.state import State
    from airflow.utils.state import TaskInstanceState as UtilsTaskInstanceState
    from airflow.utils.trigger_rule import TriggerRule as UtilsTriggerRule

    assert TaskInstanceState is UtilsTaskInstanceState is states.TaskInstanceState
    assert DagRunState is states.DagRunState
    assert State is states.State
    assert TriggerRule is UtilsTriggerRule is trigger_rule.TriggerRule
    assert WeightRule is trigger_rule.WeightRule
    assert TriggerRule.ALL_DONE == "all_done"


def test_exceptions_are_slipstreams() -> None:
    from airflow.exceptions import AirflowException, AirflowSkipException
    from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout

    assert AirflowException is exceptions.AirflowException
    assert AirflowSkipException is exceptions.AirflowSkipException
    assert AirflowFailException is exceptions.AirflowFailException
    assert AirflowSensorTimeout is exceptions.AirflowSensorTimeout


def test_version_reports_airflow_3() -> None:
    import airflow
    from airflow import __version__

    assert __version__ == airflow.__version__ == "3.3.2"


# --- the whole table ---------------------------------------------------------------------------

_ENTRIES = [(module, name) for module, names in MODULES.items() for name in names]


def _is_namespace_package(module: ModuleType) -> bool:
    spec = module.__spec__
    return spec is not None and spec.origin is None and spec.submodule_search_locations is not None


def _expected(source: str, name: str) -> tuple[object, str | None]:
    """The object `source` names, or the Slipstream module that is not written yet."""
    path, sep, attribute = source.partition(":")
    try:
        target = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        assert exc.name is not None and exc.name.startswith("slipstream."), exc
        return None, exc.name
    if sep and not attribute:
        return target, None
    if _is_namespace_package(target):
        return None, path
    return getattr(target, attribute or name), None


@pytest.mark.parametrize(("module", "name"), _ENTRIES, ids=[f"{m}:{n}" for m, n in _ENTRIES])
def test_every_table_entry_resolves_or_names_the_missing_module(module: str, name: str) -> None:
    alias = importlib.import_module(module)
    expected, missing = _expected(MODULES[module][name], name)
    if missing is None:
        assert getattr(alias, name) is expected
        return
    with pytest.raises(UnsupportedAirflowNameError) as info:
        getattr(alias, name)
    message = str(info.value)
    assert repr(name) in message and repr(module) in message and repr(missing) in message
    assert (info.value.airflow_module, info.value.airflow_name) == (module, name)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_table_module_imports_with_its_names_in_all(module: str) -> None:
    alias = importlib.import_module(module)
    assert alias.__all__ == [name for name in MODULES[module] if not name.startswith("_")]
    assert set(alias.__all__) <= set(dir(alias))


def test_star_import_gives_the_table_names() -> None:
    namespace = _run("from airflow.utils.state import *")
    assert {"State", "TaskInstanceState", "DagRunState"} <= set(namespace)
    assert namespace["State"] is states.State


def test_name_is_cached_after_first_use() -> None:
    import airflow.utils.trigger_rule as alias

    assert "TriggerRule" not in vars(alias)
    assert alias.TriggerRule is trigger_rule.TriggerRule
    assert vars(alias)["TriggerRule"] is trigger_rule.TriggerRule


def test_one_module_under_several_paths_is_one_object() -> None:
    from airflow.providers.common.compat.sdk import timezone as compat_timezone
    from airflow.sdk import timezone

    assert timezone is compat_timezone is sys.modules["airflow.sdk.timezone"]


# --- packages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["airflow", "airflow.providers", "airflow.providers.standard"])
def test_parents_are_packages(name: str) -> None:
    assert name in PACKAGES
    assert importlib.import_module(name).__path__ == []


def test_deep_import_walks_down_the_packages() -> None:
    import airflow.providers.standard.operators.python

    module = sys.modules["airflow.providers.standard.operators.python"]
    assert airflow.providers.standard.operators.python is module
    assert not hasattr(module, "__path__")


def test_from_package_import_submodule() -> None:
    namespace = _run("from airflow.utils import state, trigger_rule")
    assert namespace["state"] is sys.modules["airflow.utils.state"]
    assert namespace["trigger_rule"].TriggerRule is trigger_rule.TriggerRule


def test_private_names_raise_attribute_error() -> None:
    import airflow.sdk

    assert not hasattr(airflow.sdk, "__file__")
    assert not hasattr(airflow.sdk, "_secret")


# --- what is not supported ---------------------------------------------------------------------


def test_unknown_module_names_the_module_the_dag_file_asked_for() -> None:
    with pytest.raises(UnsupportedAirflowModuleError) as info:
        _run("from airflow.providers.amazon.aws.operators.s3 import S3CreateBucketOperator")
    assert isinstance(info.value, ModuleNotFoundError)
    assert str(info.value) == (
        "Slipstream does not support the Airflow module "
        "'airflow.providers.amazon.aws.operators.s3' (yet)"
    )
    assert info.value.airflow_module == "airflow.providers.amazon.aws.operators.s3"
    assert "airflow.providers.amazon" not in sys.modules


def test_unknown_module_via_importlib_and_from_import() -> None:
    with pytest.raises(UnsupportedAirflowModuleError, match=r"'airflow\.providers\.http\.hooks'"):
        importlib.import_module("airflow.providers.http.hooks")
    with pytest.raises(UnsupportedAirflowModuleError, match=r"'airflow\.providers\.amazon'"):
        _run("from airflow.providers import amazon")


def test_unknown_name_in_a_supported_module() -> None:
    with pytest.raises(UnsupportedAirflowNameError) as info:
        _run("from airflow.operators.python import PythonVirtualenvOperatorX")
    assert not isinstance(info.value, ModuleNotFoundError)
    assert str(info.value) == (
        "Slipstream does not support 'PythonVirtualenvOperatorX' from 'airflow.operators.python' "
        "(yet)"
    )
    assert info.value.airflow_name == "PythonVirtualenvOperatorX"


def test_unknown_attribute_access_raises_the_same_error() -> None:
    import airflow.models

    with pytest.raises(UnsupportedAirflowNameError, match=r"'DagBag' from 'airflow\.models'"):
        _ = airflow.models.DagBag


@pytest.mark.parametrize(
    ("statement", "module", "replacement"),
    [
        (
            "from airflow.operators.python_operator import PythonOperator",
            "airflow.operators.python_operator",
            "airflow.providers.standard.operators.python",
        ),
        (
            "from airflow.operators.dummy import DummyOperator",
            "airflow.operators.dummy",
            "EmptyOperator",
        ),
        ("import airflow.contrib.operators.foo", "airflow.contrib.operators.foo", "providers"),
        ("from airflow import contrib", "airflow.contrib", "providers"),
        (
            "from airflow.providers.postgres.operators.postgres import PostgresOperator",
            "airflow.providers.postgres.operators.postgres",
            "SQLExecuteQueryOperator",
        ),
        ("from airflow.hooks.base_hook import BaseHook", "airflow.hooks.base_hook", "BaseHook"),
    ],
)
def test_modules_airflow_3_removed_name_the_replacement(
    statement: str, module: str, replacement: str
) -> None:
    with pytest.raises(RemovedAirflowModuleError) as info:
        _run(statement)
    message = str(info.value)
    assert message.startswith(f"Airflow 3 removed the module {module!r}")
    assert replacement in message and replacement in (info.value.replacement or "")
    assert isinstance(info.value, ModuleNotFoundError)


def test_days_ago_names_its_replacement() -> None:
    with pytest.raises(RemovedAirflowNameError) as info:
        _run("from airflow.utils.dates import days_ago")
    assert str(info.value).startswith("Airflow 3 removed 'days_ago' from 'airflow.utils.dates'")
    assert "pendulum.today('UTC').add(days=-N)" in str(info.value)


def test_not_yet_written_source_names_the_missing_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODULES["airflow.sdk"], "Ghost", "slipstream.sdk.not_written_yet")
    with pytest.raises(UnsupportedAirflowNameError) as info:
        _run("from airflow.sdk import Ghost")
    assert str(info.value) == (
        "Slipstream does not support 'Ghost' from 'airflow.sdk' (yet): "
        "Slipstream's 'slipstream.sdk.not_written_yet' is not available"
    )
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_namespace_package_source_counts_as_not_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "compat_probe_namespace").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "compat_probe_namespace", raising=False)
    monkeypatch.setitem(MODULES["airflow.sdk"], "Ghost", "compat_probe_namespace")
    with pytest.raises(UnsupportedAirflowNameError, match="'compat_probe_namespace' is not avail"):
        _run("from airflow.sdk import Ghost")


def test_source_without_the_name_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODULES["airflow.sdk"], "Ghost", "slipstream.core.states")
    with pytest.raises(
        UnsupportedAirflowNameError, match=r"'slipstream\.core\.states' has no 'Ghost'"
    ):
        _run("from airflow.sdk import Ghost")


def test_errors_share_a_base_and_survive_pickling() -> None:
    try:
        _run("from airflow.utils.dates import days_ago")
    except UnsupportedAirflowImportError as exc:
        copy = pickle.loads(pickle.dumps(exc))
        assert type(copy) is RemovedAirflowNameError and str(copy) == str(exc)
        assert (copy.airflow_module, copy.airflow_name) == ("airflow.utils.dates", "days_ago")
    else:
        pytest.fail("no error")


# --- install / uninstall -----------------------------------------------------------------------


def test_install_is_idempotent() -> None:
    assert install() is True
    assert sum(type(finder).__name__ == "AirflowAliasFinder" for finder in sys.meta_path) == 1


def test_uninstall_forgets_alias_modules_and_the_finder() -> None:
    import airflow.sdk  # noqa: F401

    uninstall()
    uninstall()
    assert "airflow" not in sys.modules and "airflow.sdk" not in sys.modules
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module("airflow")
    assert not isinstance(info.value, UnsupportedAirflowImportError)


def test_metadata_models_import_for_type_hints_but_refuse_use() -> None:
    from airflow.models import DagRun, TaskInstance
    from airflow.models.taskinstance import TaskInstance as FromModule
    from airflow.utils.types import DagRunType

    from slipstream.core.exceptions import UnsupportedFeatureError

    assert FromModule is TaskInstance and DagRunType.MANUAL == "manual"

    class FakeTI:
        task_id, try_number, map_index = "t", 1, -1

        def xcom_pull(self) -> None: ...

    assert isinstance(FakeTI(), TaskInstance) and not isinstance(FakeTI(), DagRun)
    with pytest.raises(UnsupportedFeatureError, match=r"TaskInstance\.find needs the metadata"):
        TaskInstance.find()
    with pytest.raises(UnsupportedFeatureError, match="use the `dag_run` of the task context"):
        DagRun()
