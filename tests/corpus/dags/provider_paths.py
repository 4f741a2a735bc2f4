"""Airflow 3 import paths: the standard provider, `airflow.sdk`, `airflow.sdk.exceptions`,
`airflow.utils.timezone` and the common compat SDK, plus an asset outlet."""

from airflow.providers.common.compat.sdk import TriggerRule
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Asset, task
from airflow.sdk.exceptions import AirflowSkipException
from airflow.utils import timezone
from airflow.utils.state import TaskInstanceState
from corpus_lib.record import record

ORDERS = Asset("corpus://warehouse/orders")


def maybe_skip(**context):
    if context["params"]["skip_publish"]:
        raise AirflowSkipException("publishing disabled")
    return TaskInstanceState.SUCCESS.value


with DAG(
    dag_id="corpus_provider_paths",
    schedule="0 6 * * 1-5",
    start_date=timezone.datetime(2024, 1, 1),
    catchup=False,
    params={"skip_publish": True},
    owner_links={"platform": "https://example.com/platform"},
    max_consecutive_failed_dag_runs=3,
    dag_display_name="Corpus: provider import paths",
) as dag:
    build = BashOperator(task_id="build", bash_command="echo built", outlets=[ORDERS])
    publish = PythonOperator(task_id="publish", python_callable=maybe_skip)
    done = EmptyOperator(task_id="done", trigger_rule=TriggerRule.NONE_FAILED)
    build >> publish >> done

    @task
    def announce(message):
        record("announce", message=message)

    announce(build.output)
