"""`airflow.utils.timezone` helpers: naive means the default zone, results are aware."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from slipstream.compat.airflow import timezone


@pytest.fixture(autouse=True)
def utc_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", raising=False)
    monkeypatch.delenv("SLIPSTREAM__CORE__DEFAULT_TIMEZONE", raising=False)


def test_utc_and_utcnow() -> None:
    assert timezone.utc is pendulum.UTC
    now = timezone.utcnow()
    assert isinstance(now, pendulum.DateTime)
    assert now.utcoffset() == dt.timedelta(0)


def test_datetime_defaults_to_the_default_zone() -> None:
    assert timezone.datetime(2024, 1, 1).tzinfo is pendulum.UTC
    kept = timezone.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert kept.utcoffset() == dt.timedelta(hours=2)


def test_default_zone_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Europe/Amsterdam")
    assert timezone.datetime(2024, 1, 1).utcoffset() == dt.timedelta(hours=1)
    assert timezone.convert_to_utc(dt.datetime(2024, 7, 1, 12)) == pendulum.datetime(2024, 7, 1, 10)


def test_parse() -> None:
    assert timezone.parse("2024-01-02T03:04:05") == pendulum.datetime(2024, 1, 2, 3, 4, 5)
    in_zone = timezone.parse("2024-01-02", timezone="Asia/Tokyo")
    assert in_zone.utcoffset() == dt.timedelta(hours=9)


def test_convert_to_utc() -> None:
    assert timezone.convert_to_utc(None) is None
    aware = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    converted = timezone.convert_to_utc(aware)
    assert isinstance(converted, pendulum.DateTime)
    assert (converted.hour, converted.utcoffset()) == (17, dt.timedelta(0))


def test_make_aware() -> None:
    assert timezone.make_aware(None) is None
    assert timezone.make_aware(dt.datetime(2024, 1, 1)) == pendulum.datetime(2024, 1, 1)
    with pytest.raises(ValueError, match="naive"):
        timezone.make_aware(pendulum.datetime(2024, 1, 1))


def test_make_aware_takes_the_later_wall_time_across_dst() -> None:
    gap = timezone.make_aware(dt.datetime(2024, 3, 31, 2, 30), "Europe/Amsterdam")
    assert gap is not None and (gap.hour, gap.utcoffset()) == (3, dt.timedelta(hours=2))
    twice = timezone.make_aware(dt.datetime(2024, 10, 27, 2, 30), "Europe/Amsterdam")
    assert twice is not None and twice.utcoffset() == dt.timedelta(hours=1)


def test_coerce_datetime() -> None:
    assert timezone.coerce_datetime(None) is None
    same = pendulum.datetime(2024, 1, 1)
    assert timezone.coerce_datetime(same) is same
    coerced = timezone.coerce_datetime(dt.datetime(2024, 1, 1), pendulum.timezone("Asia/Tokyo"))
    assert isinstance(coerced, pendulum.DateTime)
    assert coerced.utcoffset() == dt.timedelta(hours=9)


def test_reachable_under_airflow_paths() -> None:
    from slipstream.compat.airflow import install, is_installed, uninstall

    was_installed = is_installed()
    assert install()
    try:
        from airflow.sdk import timezone as sdk_timezone
        from airflow.utils.timezone import datetime, utc

        assert utc is pendulum.UTC
        assert datetime is timezone.datetime
        assert sdk_timezone.utcnow is timezone.utcnow
    finally:
        if not was_installed:
            uninstall()
