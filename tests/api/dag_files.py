"""DAG files for the API tests of DAGs, tasks and import errors, stored the way the DAG processor
stores them: each file imported and serialized (`parse_file`, in this process rather than in a
forked child), the results saved with `collection.save_results`."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

from slipstream.db.engine import Database

ETL = """
import datetime
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator

FUTURE = pendulum.datetime(2030, 1, 1, tz="UTC")

with DAG(
    "etl_daily",
    dag_display_name="ETL Daily",
    description="Loads the warehouse",
    schedule="@daily",
    start_date=FUTURE,
    tags=["etl", "team_a"],
    default_args={"owner": "alice", "retries": 2},
    params={"target": "warehouse"},
    doc_md="# ETL",
    dagrun_timeout=datetime.timedelta(hours=1),
    template_searchpath="/opt/templates",
    owner_links={"alice": "mailto:alice@example.com"},
):
    extract = BashOperator(
        task_id="extract",
        bash_command="echo extract",
        max_active_tis_per_dag=2,
        retry_delay=datetime.timedelta(minutes=2),
        retry_exponential_backoff=True,
        execution_timeout=datetime.timedelta(hours=1, seconds=5),
        priority_weight=5,
        doc_md="Pulls the orders",
    )
    load = EmptyOperator(task_id="load", task_display_name="Load it", pool_slots=2)
    extract >> load

with DAG("etl_hourly", schedule="@hourly", start_date=FUTURE.add(years=1), tags=["etl"],
         default_args={"owner": "bob"}):
    EmptyOperator(task_id="sync")
"""

REPORT = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("report", dag_display_name="Weekly Report", schedule=None, tags=["team_a", "50%"]):
    EmptyOperator(task_id="build", owner="alice") >> EmptyOperator(task_id="send", owner="carol")
"""

CONSUMER = """
from airflow.sdk import DAG, Asset
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("consumer", schedule=[Asset(name="orders", uri="s3://bucket/orders.csv")]):
    EmptyOperator(task_id="consume")
"""

BROKEN = "from airflow.sdk import DAG\n\nDAG('broken',\n"

FAILING = "import no_such_module_for_slipstream_tests\n"


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text))


def parse_into(db: Database, folder: Path, now: dt.datetime) -> None:
    """Parse every file of `folder` and store the results as the DAG processor would."""
    from slipstream.dag_processing.collection import save_results
    from slipstream.dag_processing.parse_worker import parse_file

    files = sorted(str(path) for path in folder.glob("*.py"))
    results = [parse_file(path, str(folder)) for path in files]
    with db.begin() as session:
        save_results(session, results, now=now, present_files=files, paused_at_creation=False)
