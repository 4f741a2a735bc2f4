"""`airflow.configuration.conf`: environment first (Slipstream's, then Airflow's), then defaults."""

from __future__ import annotations

import pytest

from slipstream.compat.airflow.configuration import conf
from slipstream.core.exceptions import AirflowConfigException


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix in ("SLIPSTREAM", "AIRFLOW"):
        for key in ("DEFAULT_TIMEZONE", "LOAD_EXAMPLES", "PARALLELISM", "FLAG", "RATIO"):
            monkeypatch.delenv(f"{prefix}__CORE__{key}", raising=False)


def test_defaults() -> None:
    assert conf.get("core", "default_timezone") == "utc"
    assert conf.getboolean("core", "load_examples") is False
    assert conf.getint("core", "max_active_runs_per_dag") == 16


def test_environment_wins_and_slipstream_wins_over_airflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Europe/Paris")
    assert conf.get("core", "default_timezone") == "Europe/Paris"
    monkeypatch.setenv("SLIPSTREAM__CORE__DEFAULT_TIMEZONE", "Asia/Tokyo")
    assert conf.get("CORE", "DEFAULT_TIMEZONE") == "Asia/Tokyo"


def test_fallback_and_missing() -> None:
    assert conf.get("core", "parallelism", fallback="32") == "32"
    assert conf.get("core", "parallelism", fallback=None) is None
    assert conf.getint("core", "parallelism", fallback=8) == 8
    assert conf.getboolean("core", "flag", fallback=True) is True
    assert not conf.has_option("core", "parallelism")
    with pytest.raises(AirflowConfigException, match=r"\[core/parallelism\]"):
        conf.get("core", "parallelism")


def test_typed_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__FLAG", "Yes")
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "4")
    monkeypatch.setenv("AIRFLOW__CORE__RATIO", "0.5")
    assert conf.getboolean("core", "flag") is True
    assert conf.getint("core", "parallelism") == 4
    assert conf.getfloat("core", "ratio") == 0.5


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__FLAG", "maybe")
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "many")
    with pytest.raises(AirflowConfigException, match=r"\[core\] flag should be a boolean"):
        conf.getboolean("core", "flag")
    with pytest.raises(AirflowConfigException, match=r"\[core\] parallelism should be an integer"):
        conf.getint("core", "parallelism")
