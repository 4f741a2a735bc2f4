"""Getting a process ready to load DAG files fast, before it forks the processes that do.

The warm worker (whose forks run tasks) and the DAG processor (whose forks parse files) import
the SDK once; `exercise_sdk` also builds and validates a small DAG of the common operators, so
the SDK's lazy imports and per-class caches (the arguments each operator class accepts, loggers)
are filled in the parent instead of in every child, where the work would be repeated and its
memory copied page by page.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def exercise_sdk() -> None:
    """Build and validate a throwaway DAG of the common operators; never raises."""
    try:
        _build()
    except Exception:  # a warm-up only: the first real DAG pays instead
        log.debug("Could not exercise the SDK", exc_info=True)


def _build() -> None:
    import pendulum

    from slipstream.sdk import DAG, task
    from slipstream.sdk.dag_definition import DagContext
    from slipstream.sdk.operators.bash import BashOperator
    from slipstream.sdk.operators.empty import EmptyOperator
    from slipstream.sdk.operators.python import PythonOperator

    try:
        with DAG("__warm_up__", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:

            @task
            def decorated() -> None:
                return None

            python = PythonOperator(task_id="python", python_callable=_noop)
            bash = BashOperator(task_id="bash", bash_command="true")
            empty = EmptyOperator(task_id="empty")
            python >> bash >> empty >> decorated()
        dag.validate()
    finally:
        DagContext.reset()


def _noop() -> None:
    return None
