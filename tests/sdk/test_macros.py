"""The `macros` template namespace."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import uuid

import jinja2
import pendulum
import pytest

from slipstream.sdk import macros


@pytest.mark.parametrize(
    ("ds", "days", "expected"),
    [
        ("2015-01-06", -5, "2015-01-01"),
        ("2015-01-01", 5, "2015-01-06"),
        ("2024-02-28", 1, "2024-02-29"),
        ("2023-12-31", 1, "2024-01-01"),
        ("2015-01-01", 0, "2015-01-01"),
    ],
)
def test_macros_ds_add(ds, days, expected):
    assert macros.ds_add(ds, days) == expected


def test_macros_ds_format():
    assert macros.ds_format("2015-01-01", "%Y-%m-%d", "%m-%d-%y") == "01-01-15"
    assert macros.ds_format("1/5/2015", "%m/%d/%Y", "%Y-%m-%d") == "2015-01-05"
    assert macros.ds_format("2024-07-12", "%Y-%m-%d", "%Y%m%d") == "20240712"


def test_macros_ds_format_locale_needs_babel():
    try:
        import babel  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="babel"):
            macros.ds_format_locale("12/07/2024", "%d/%m/%Y", "EEEE dd MMMM yyyy", "en_US")
    else:
        assert (
            macros.ds_format_locale("12/07/2024", "%d/%m/%Y", "EEEE dd MMMM yyyy", "en_US")
            == "Friday 12 July 2024"
        )


def test_macros_datetime_diff_for_humans():
    now = pendulum.now("UTC")
    assert macros.datetime_diff_for_humans(now.subtract(days=2)) == "2 days ago"
    assert macros.datetime_diff_for_humans(now.add(hours=3, minutes=1)) == "in 3 hours"
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert macros.datetime_diff_for_humans(start, start + dt.timedelta(days=1)) == "1 day before"
    naive = dt.datetime(2024, 1, 3)
    assert macros.datetime_diff_for_humans(naive, pendulum.datetime(2024, 1, 1)) == "2 days after"


def test_macros_module_attributes():
    assert macros.datetime is dt.datetime
    assert macros.timedelta is dt.timedelta
    assert macros.time is time
    assert macros.uuid is uuid
    assert macros.json is json
    assert 0 <= macros.random() < 1
    assert 1 <= macros.random.randint(1, 6) <= 6
    assert macros.dateutil.relativedelta.relativedelta(months=1).months == 1
    assert macros.dateutil.parser.parse("2024-01-02").day == 2
    assert "dateutil" in dir(macros)
    with pytest.raises(AttributeError):
        macros.nonexistent  # noqa: B018


def test_macros_in_templates():
    env = jinja2.Environment()
    template = env.from_string(
        "{{ macros.ds_add(ds, 7) }} "
        "{{ (macros.datetime(2024, 1, 31) + macros.timedelta(days=1)).strftime('%Y-%m-%d') }} "
        "{{ (macros.datetime(2024, 1, 31) + macros.dateutil.relativedelta.relativedelta(months=1)).day }} "
        "{{ macros.json.dumps({'a': 1}) }} {{ macros.uuid.UUID(int=0) }}"
    )
    assert template.render(macros=macros, ds="2024-01-01") == (
        '2024-01-08 2024-02-01 29 {"a": 1} 00000000-0000-0000-0000-000000000000'
    )


def test_macros_import_does_not_load_dateutil():
    code = "import sys, slipstream.sdk.macros; print('dateutil' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
