"""BranchDateTimeOperator: follows one branch inside a time window, another outside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from slipstream.core.exceptions import AirflowException
from slipstream.sdk.baseoperator import BaseOperator
from slipstream.sdk.operators.python import BranchMixin

__all__ = ["BranchDateTimeOperator", "target_times_as_dates"]

Target = dt.datetime | dt.time | None


class BranchDateTimeOperator(BranchMixin, BaseOperator):
    """Follows `follow_task_ids_if_true` when now (or the logical date) lies within
    `[target_lower, target_upper]`, else `follow_task_ids_if_false`; the other direct downstream
    tasks are skipped.

    Targets are datetimes or times of day; naive ones are read in the DAG's timezone. Times of day
    are placed on the date being compared (in the DAG's timezone); a window whose upper time is
    before its lower time ends on the next day. Either bound may be None (open).

    :param use_task_logical_date: compare the run's logical date instead of now.
    """

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        target_lower: Target,
        target_upper: Target,
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise AirflowException(
                f"Task '{self.task_id}': both target_upper and target_lower are None. At least one "
                "must be defined to be compared to the current datetime"
            )
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date

    def execute(self, context: Any) -> Any:
        return self.do_branch(context, self.choose_branch(context))

    def choose_branch(self, context: Any) -> str | Iterable[str]:
        import pendulum

        tz = self.dag.timezone if self.dag is not None else pendulum.UTC
        if self.use_task_logical_date:
            now = context.get("logical_date") or getattr(context.get("dag_run"), "run_after", None)
            if now is None:
                raise AirflowException(f"Task '{self.task_id}': the run has no logical date")
        else:
            now = pendulum.now("UTC")
        now = _localize(now, pendulum.UTC)
        lower, upper = target_times_as_dates(
            pendulum.instance(now).in_timezone(tz), self.target_lower, self.target_upper
        )
        lower, upper = _localize(lower, tz), _localize(upper, tz)
        if upper is not None and upper < now:
            return self.follow_task_ids_if_false
        if lower is not None and lower > now:
            return self.follow_task_ids_if_false
        return self.follow_task_ids_if_true


def target_times_as_dates(base_date: dt.datetime, lower: Target, upper: Target) -> tuple[Any, Any]:
    """Turn times of day into datetimes on `base_date`'s date; the upper bound moves to the next
    day when it would fall before the lower one."""
    if isinstance(lower, dt.datetime) and isinstance(upper, dt.datetime):
        return lower, upper
    if isinstance(lower, dt.time):
        lower = dt.datetime.combine(base_date.date(), lower)
    if isinstance(upper, dt.time):
        upper = dt.datetime.combine(base_date.date(), upper)
    if lower is None or upper is None:
        return lower, upper
    if _localize(upper, base_date.tzinfo) < _localize(lower, base_date.tzinfo):
        upper += dt.timedelta(days=1)
    return lower, upper


def _localize(value: Any, tz: Any) -> Any:
    """A naive datetime read in `tz`; aware ones unchanged."""
    if value is None or value.tzinfo is not None:
        return value
    import pendulum

    return pendulum.instance(value, tz=tz)
