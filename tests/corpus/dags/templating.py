"""Jinja templating: dates and macros, params, dag_run.conf, Variables from the environment,
template files found through template_searchpath, user-defined macros and filters, PythonOperator
op_kwargs/templates_dict and TaskFlow string arguments."""

import os
from datetime import datetime

from airflow.models.baseoperator import BaseOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, task
from corpus_lib.record import record

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


class QueryOperator(BaseOperator):
    """Renders a SQL file (found through the DAG's template_searchpath) and returns it."""

    template_fields = ("sql",)
    template_ext = (".sql",)
    ui_color = "#ededed"

    def __init__(self, *, sql, **kwargs):
        super().__init__(**kwargs)
        self.sql = sql

    def execute(self, context):
        return self.sql.strip()


def show(day, table, templates_dict=None):
    record("python_templates", day=day, table=table, templates_dict=templates_dict)


with DAG(
    dag_id="corpus_templating",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    template_searchpath=[TEMPLATES],
    params={"table": "orders", "limit": 5},
    user_defined_macros={"env_name": "staging"},
    user_defined_filters={"shout": lambda text: text.upper() + "!"},
) as dag:
    dates = BashOperator(
        task_id="dates",
        bash_command="echo {{ ds }} {{ ds_nodash }} {{ macros.ds_add(ds, 7) }} "
        "{% for part in ['x', 'y'] %}{{ part }}{{ loop.index }}{% endfor %}",
    )
    conf = BashOperator(
        task_id="conf",
        bash_command="echo {{ dag_run.conf.get('who', 'nobody') }} {{ params.table }}",
    )
    variables = BashOperator(
        task_id="variables",
        bash_command="echo {{ var.value.corpus_greeting }} "
        "{{ var.value.get('corpus_missing', 'fallback') }} {{ var.json.corpus_settings.region }}",
    )
    context_values = BashOperator(
        task_id="context_values",
        bash_command="echo {{ dag.dag_id }} {{ task.task_id }} {{ run_id }} {{ ti.try_number }} "
        "{{ logical_date.strftime('%Y/%m') }} {{ data_interval_end | ds_nodash }} {{ ts_nodash }} "
        "{{ task_instance_key_str }}",
    )
    query = QueryOperator(task_id="query", sql="corpus_query.sql")
    script = BashOperator(task_id="script", bash_command="corpus_script.sh")
    python_templates = PythonOperator(
        task_id="python_templates",
        python_callable=show,
        op_kwargs={"day": "{{ ds }}", "table": "{{ params.table }}"},
        templates_dict={"macro": "{{ env_name }}", "filtered": "{{ 'hi' | shout }}"},
    )

    @task
    def taskflow_arg(stamp: str, data_interval_start=None, data_interval_end=None):
        record(
            "taskflow_arg",
            stamp=stamp,
            interval=[data_interval_start.isoformat(), data_interval_end.isoformat()],
        )

    @task
    def collect(ti=None):
        upstream = ["dates", "conf", "variables", "context_values", "query", "script"]
        record("collect", values=ti.xcom_pull(task_ids=upstream))

    [dates, conf, variables, context_values, query, script] >> collect()
    taskflow_arg("{{ ds_nodash }}")
