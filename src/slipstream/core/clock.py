"""The one source of "now" for components that schedule things, so tests can drive time.

The scheduler and the stores it calls never read the system clock themselves: they ask the
`Clock` they were given. `SystemClock` is the real one; `FakeClock` only moves when a test moves
it, which makes retry delays, timeouts and schedules testable without sleeping.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Tells the time as an aware UTC datetime."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FakeClock:
    """A clock that stands still until `advance` or `set` moves it (for tests).

    A naive start time is taken as UTC; the default start is 2024-01-01T00:00:00Z.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = _aware(start or dt.datetime(2024, 1, 1, tzinfo=dt.UTC))

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta | float = 0.0) -> dt.datetime:
        """Move forward by `delta` (a timedelta or seconds); returns the new time."""
        step = delta if isinstance(delta, dt.timedelta) else dt.timedelta(seconds=delta)
        if step < dt.timedelta(0):
            raise ValueError(f"a clock cannot go back in time (advance by {step})")
        self._now = self._now + step
        return self._now

    def set(self, when: dt.datetime) -> dt.datetime:
        """Jump to `when` (never backwards); returns it."""
        target = _aware(when)
        if target < self._now:
            raise ValueError(f"a clock cannot go back in time ({self._now} -> {target})")
        self._now = target
        return self._now


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
