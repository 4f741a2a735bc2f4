"""LatestOnlyOperator: lets downstream tasks run only in the most recent scheduled run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slipstream.sdk.baseoperator import BaseOperator
from slipstream.sdk.operators.python import BranchMixin

__all__ = ["LatestOnlyOperator"]


class LatestOnlyOperator(BranchMixin, BaseOperator):
    """Skips its direct downstream tasks unless this run is the latest scheduled one.

    A run is the latest when now lies in `(left, right]`: `right` is the end of the data interval
    of the run that follows this one, `left` the start of this run's interval (Airflow 3's rule,
    which also works for trigger timetables whose intervals are a single instant). Manual runs,
    and runs after which the schedule has no next run, never skip. The returned value (the XCom)
    is the list of task ids that were allowed to run.
    """

    ui_color = "#e9ffdb"

    def execute(self, context: Any) -> Any:
        return self.do_branch(context, self.choose_branch(context))

    def choose_branch(self, context: Any) -> list[str]:
        downstream = sorted(self.downstream_task_ids)
        dag_run = context["dag_run"]
        run_type = getattr(dag_run, "run_type", None)
        if str(getattr(run_type, "value", run_type)) == "manual":
            self.log.info("Manually triggered DAG_Run: allowing execution to proceed.")
            return downstream
        window = self._compare_window(dag_run)
        if window is None:
            self.log.info("Last scheduled execution: allowing execution to proceed.")
            return downstream
        import pendulum

        now = pendulum.now("UTC")
        left, right = window
        self.log.info(
            "Checking latest only with left_window: %s right_window: %s now: %s", left, right, now
        )
        if not left < now <= right:
            self.log.info("Not latest execution, skipping downstream.")
            return []
        self.log.info("Latest, allowing execution to proceed.")
        return downstream

    def _compare_window(self, dag_run: Any) -> tuple[datetime, datetime] | None:
        from slipstream.timetables import DataInterval, TimeRestriction

        if self.dag is None:
            return None
        run_date = getattr(dag_run, "logical_date", None) or getattr(dag_run, "run_after", None)
        start = _aware(getattr(dag_run, "data_interval_start", None) or run_date)
        end = _aware(getattr(dag_run, "data_interval_end", None) or run_date)
        if start is None or end is None:
            return None
        timetable = self.dag.timetable
        current = DataInterval(start, end)
        before = TimeRestriction(
            earliest=None, latest=end - timedelta(microseconds=1), catchup=True
        )
        after = TimeRestriction(earliest=end, latest=None, catchup=True)
        try:
            previous = timetable.next_dagrun_info(
                last_automated_data_interval=current, restriction=before
            )
            following = timetable.next_dagrun_info(
                last_automated_data_interval=current, restriction=after
            )
        except NotImplementedError:
            return None
        if following is None:
            return None
        left = previous.data_interval.end if previous is not None else start
        return left, following.data_interval.end


def _aware(value: Any) -> Any:
    if value is None:
        return None
    import pendulum

    if isinstance(value, pendulum.DateTime):
        return value
    return pendulum.instance(value, tz="UTC")
