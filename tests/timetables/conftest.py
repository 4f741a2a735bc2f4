"""Shared fixture for timetable tests: a frozen clock."""

from __future__ import annotations

from collections.abc import Callable

import pendulum
import pytest

from slipstream.timetables import _time


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch) -> Callable[[pendulum.DateTime], None]:
    """Call `freeze(dt)` to make every timetable see `dt` as now."""

    def _freeze(now: pendulum.DateTime) -> None:
        monkeypatch.setattr(_time, "utcnow", lambda: now.in_timezone("UTC"))

    return _freeze
