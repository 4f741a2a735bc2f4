"""Cron arithmetic in a time zone, correct across daylight-saving changes.

croniter only knows naive wall-clock times, so a cron is matched against local wall time and
each match is turned back into an instant:

* a wall time skipped by a spring-forward gap moves forward (a daily 02:30 run happens at 03:30
  that day), except for crons that fire every hour, which simply have no run in the gap;
* a wall time repeated by a fall-back fold is used once (its first occurrence), except for crons
  that fire every hour, which also run in the repeated hour (02:30 CEST, then 02:30 CET).

Near a transition every candidate within a few hours is looked at, so the earliest (latest)
instant wins even where wall-clock order and real order differ.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import TYPE_CHECKING, Any

from slipstream.timetables import _time
from slipstream.timetables.base import TimetableError

if TYPE_CHECKING:
    from collections.abc import Callable

    from pendulum import DateTime

CRON_PRESETS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
SPECIAL_SCHEDULES = ("@once", "@continuous")

_MARGIN = dt.timedelta(hours=3)  # wider than any real DST shift
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def validate_cron(expression: str, original: str | None = None) -> None:
    """Raise `TimetableError` quoting the schedule when croniter cannot use `expression`."""
    from croniter import CroniterBadDateError, croniter

    shown = original if original is not None else expression
    if not isinstance(expression, str):
        raise TimetableError(f"Invalid cron expression {shown!r}: a cron schedule must be a string")
    if expression.strip().startswith("@"):
        known = ", ".join([*CRON_PRESETS, *SPECIAL_SCHEDULES])
        raise TimetableError(
            f"Invalid schedule {shown!r}: unknown preset "
            f"(expected a cron expression or one of {known})"
        )
    try:
        croniter(expression, dt.datetime(2000, 1, 1)).get_next(dt.datetime)
    except CroniterBadDateError:
        raise TimetableError(
            f"Invalid cron expression {shown!r}: it never matches a date"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:  # CroniterBadCronError is a ValueError
        raise TimetableError(f"Invalid cron expression {shown!r}: {exc}") from None


def describe_cron(expression: str) -> str:
    """A short English description of common cron shapes; "" for anything else."""
    fields = expression.split()
    if len(fields) != 5:
        return ""
    minute, hour, dom, month, dow = fields
    every = _step_of
    if minute == "*" and hour == "*":
        text = "Every minute"
    elif every(minute) and hour == "*":
        text = f"Every {every(minute)} minutes"
    elif minute.isdigit() and hour == "*":
        text = f"At {int(minute)} minutes past the hour"
    elif minute.isdigit() and hour.isdigit():
        text = f"At {int(hour):02d}:{int(minute):02d}"
    elif minute.isdigit() and every(hour):
        text = f"At {int(minute)} minutes past the hour, every {every(hour)} hours"
    else:
        return ""
    if (dom, month, dow) == ("*", "*", "*"):
        return text
    if dom == "*" and month == "*" and dow.isdigit() and int(dow) <= 7:
        return f"{text}, only on {_DAYS[int(dow) % 7]}"
    if dom.isdigit() and dow == "*":
        text = f"{text}, on day {int(dom)} of the month"
        if month == "*":
            return text
        if every(month):
            return f"{text}, every {every(month)} months"
        if month.isdigit() and 1 <= int(month) <= 12:
            return f"{text}, only in {dt.date(2000, int(month), 1):%B}"
    return ""


def _step_of(field: str) -> str | None:
    """ "n" for a "*/n" field, else None."""
    return field[2:] if field.startswith("*/") and field[2:].isdigit() else None


class CronMixin:
    """Shared cron state and next/previous arithmetic for the cron timetables."""

    def __init__(self, cron: str, timezone: Any = "UTC") -> None:
        if not isinstance(cron, str):
            raise TimetableError(f"Invalid schedule {cron!r}: a cron schedule must be a string")
        self._original = cron
        self._expression = CRON_PRESETS.get(cron.strip(), cron)
        # Human-readable form of the cron, e.g. "At 00:00"; set once, as Airflow's CronMixin does.
        self.description: str = describe_cron(self._expression)
        self._timezone = _time.parse_timezone(timezone)
        self._template: Any = None  # parsed croniter, copied for each search
        self._has_transitions = _time.encode_timezone(self._timezone) not in ("UTC", "Etc/UTC")
        if not hasattr(self._timezone, "key"):
            self._has_transitions = False  # a fixed offset never changes

    @property
    def summary(self) -> str:
        """The cron expression (presets expanded, as Airflow shows them)."""
        return self._expression

    @property
    def expression(self) -> str:
        return self._expression

    @property
    def timezone(self) -> Any:
        return self._timezone

    def validate(self) -> None:
        """Raise `TimetableError` if the expression is not a usable cron."""
        validate_cron(self._expression, self._original)

    def _croniter(self, start: dt.datetime) -> Any:
        """A croniter positioned at naive `start` (parsing the expression only once)."""
        if self._template is None:
            from croniter import croniter

            self._template = croniter(self._expression, start)
        it = copy.copy(self._template)
        it.set_current(start, force=True)
        return it

    def _every_hour(self) -> bool:
        return self._croniter(dt.datetime(2000, 1, 1)).expanded[1] == ["*"]

    def _naive(self, instant: dt.datetime) -> dt.datetime:
        local = instant.astimezone(self._timezone)
        return dt.datetime(*local.timetuple()[:6], local.microsecond)

    def _instants(self, naive: dt.datetime) -> list[DateTime]:
        """The instants at which wall time `naive` fires (see module docstring)."""
        first = naive.replace(tzinfo=self._timezone, fold=0)
        second = naive.replace(tzinfo=self._timezone, fold=1)
        off1, off2 = first.utcoffset(), second.utcoffset()
        if off1 == off2:
            return [_time.to_utc(first)]
        hourly = self._every_hour()
        if off1 > off2:  # type: ignore[operator]  # repeated (folded) wall time
            return [_time.to_utc(first), _time.to_utc(second)] if hourly else [_time.to_utc(first)]
        return [] if hourly else [_time.to_utc(first)]  # skipped wall time: fold=0 moves it on

    def _near_transition(self, instant: dt.datetime) -> bool:
        if not self._has_transitions:
            return False
        moment = dt.datetime.fromtimestamp(instant.timestamp(), dt.UTC)
        before = (moment - _MARGIN).astimezone(self._timezone).utcoffset()
        after = (moment + _MARGIN).astimezone(self._timezone).utcoffset()
        return before != after

    def _search(self, current: DateTime, forward: bool, scan: bool) -> DateTime:
        start = self._naive(current)
        if scan:
            start = start - _MARGIN if forward else start + _MARGIN
        it = self._croniter(start)
        step: Callable[..., Any] = it.get_next if forward else it.get_prev
        better = (lambda a, b: a < b) if forward else (lambda a, b: a > b)
        best: DateTime | None = None
        while True:
            naive = step(dt.datetime)
            for instant in self._instants(naive):
                if better(current, instant) and (best is None or better(instant, best)):
                    best = instant
            if best is None:
                continue
            if not scan:
                return best
            edge = self._naive(best) + (_MARGIN if forward else -_MARGIN)
            if (naive > edge) if forward else (naive < edge):
                return best

    def _get_next(self, current: dt.datetime) -> DateTime:
        """The first cron instant strictly after `current`, in UTC."""
        cur = _time.to_utc(current)
        found = self._search(cur, True, scan=False)
        if self._near_transition(cur) or self._near_transition(found):
            found = self._search(cur, True, scan=True)
        return found

    def _get_prev(self, current: dt.datetime) -> DateTime:
        """The last cron instant strictly before `current`, in UTC."""
        cur = _time.to_utc(current)
        found = self._search(cur, False, scan=False)
        if self._near_transition(cur) or self._near_transition(found):
            found = self._search(cur, False, scan=True)
        return found

    def _align_to_next(self, current: dt.datetime) -> DateTime:
        """`current` if it is a cron instant, else the next one."""
        cur = _time.to_utc(current)
        nxt = self._get_next(cur)
        return cur if self._get_prev(nxt) == cur else nxt

    def _align_to_prev(self, current: dt.datetime) -> DateTime:
        """`current` if it is a cron instant, else the previous one."""
        cur = _time.to_utc(current)
        prev = self._get_prev(cur)
        return cur if self._get_next(prev) == cur else prev
