"""BranchDayOfWeekOperator: follows one branch on given days of the week, another otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slipstream.core.exceptions import AirflowException
from slipstream.sdk.baseoperator import BaseOperator
from slipstream.sdk.operators.python import BranchMixin
from slipstream.sdk.weekday import WeekDay

__all__ = ["BranchDayOfWeekOperator", "WeekDay"]


class BranchDayOfWeekOperator(BranchMixin, BaseOperator):
    """Follows `follow_task_ids_if_true` when today (in the DAG's timezone), or the run's logical
    date, is one of `week_day`; else `follow_task_ids_if_false`.

    :param week_day: a day name (`"Monday"`), a `WeekDay`, or a set/list of either.
    :param use_task_logical_date: check the run's logical date instead of today.
    """

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        week_day: str | WeekDay | Iterable[str] | Iterable[WeekDay],
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def execute(self, context: Any) -> Any:
        return self.do_branch(context, self.choose_branch(context))

    def choose_branch(self, context: Any) -> str | Iterable[str]:
        import pendulum

        if self.use_task_logical_date:
            now = context.get("logical_date") or getattr(context.get("dag_run"), "run_after", None)
            if now is None:
                raise AirflowException(f"Task '{self.task_id}': the run has no logical date")
        else:
            now = pendulum.now(self.dag.timezone if self.dag is not None else "UTC")
        if now.isoweekday() in self._week_day_num:
            return self.follow_task_ids_if_true
        return self.follow_task_ids_if_false
