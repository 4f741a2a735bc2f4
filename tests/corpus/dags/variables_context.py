"""Variables and connections from AIRFLOW_VAR_* / AIRFLOW_CONN_* environment variables, read in
tasks (and once at parse time with a default), and get_current_context() from both paths.

`airflow.models.Variable.get` takes `default_var=` (its Airflow 2 signature), the Task SDK's
`airflow.sdk.Variable.get` takes `default=`; each is used with its own keyword, as Airflow 3.3
accepts them.
"""

from datetime import datetime

from airflow.hooks.base import BaseHook
from airflow.models import Variable
from airflow.operators.python import get_current_context as legacy_get_current_context
from airflow.sdk import DAG, get_current_context, task
from airflow.sdk import Variable as SdkVariable
from corpus_lib.record import record

# Parse-time read: the variable is usually unset while parsing, so the default is used.
ENVIRONMENT = Variable.get("corpus_parse_env", default_var="dev")

with DAG(
    dag_id="corpus_variables_context",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=[ENVIRONMENT],
) as dag:

    @task
    def read_variables():
        record(
            "variables",
            threshold=Variable.get("corpus_threshold"),
            default=SdkVariable.get("corpus_absent", default="dflt"),
            default_var=Variable.get("corpus_absent", default_var="legacy"),
            settings=SdkVariable.get("corpus_settings", deserialize_json=True),
        )

    @task
    def read_connections():
        db = BaseHook.get_connection("corpus_db")
        api = BaseHook.get_connection("corpus_api")
        record(
            "connections",
            db=[db.conn_type, db.host, db.port, db.login, db.password, db.schema, db.extra_dejson],
            api=[api.conn_type, api.host, api.extra_dejson],
        )

    @task
    def use_context():
        context = get_current_context()
        legacy = legacy_get_current_context()
        record(
            "context",
            task_id=context["ti"].task_id,
            ds=context["ds"],
            run_id=context["run_id"],
            same_ti=legacy["ti"] is context["ti"],
            dag_id=context["dag"].dag_id,
        )

    @task
    def set_variables():
        SdkVariable.set("corpus_run_marker", "set-in-run")
        SdkVariable.set("corpus_run_json", {"n": 1}, serialize_json=True)

    @task
    def get_variables():
        record(
            "set_then_get",
            marker=SdkVariable.get("corpus_run_marker"),
            json=Variable.get("corpus_run_json", deserialize_json=True),
        )

    read_variables() >> read_connections() >> use_context()
    set_variables() >> get_variables()
