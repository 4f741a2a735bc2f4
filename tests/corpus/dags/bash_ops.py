"""BashOperator: the last stdout line is the XCom, exit code 99 skips, another non-zero code
fails, templated env vars, Airflow's context variables in the environment, and `@task.bash`."""

from datetime import datetime

from airflow.operators.bash import BashOperator
from airflow.sdk import DAG, task
from corpus_lib.record import record

with DAG(
    dag_id="corpus_bash",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    last_line = BashOperator(
        task_id="last_line", bash_command='echo first; echo second; echo "last line"'
    )
    skip_99 = BashOperator(task_id="skip_99", bash_command="echo skipping; exit 99")
    after_skip = BashOperator(task_id="after_skip", bash_command="echo never")
    env_vars = BashOperator(
        task_id="env_vars",
        bash_command='echo "$GREETING $RUN_DAY"',
        env={"GREETING": "hi", "RUN_DAY": "{{ ds }}"},
        append_env=True,
    )
    ctx_vars = BashOperator(
        task_id="ctx_vars", bash_command='echo "$AIRFLOW_CTX_DAG_ID $AIRFLOW_CTX_TASK_ID"'
    )
    fails = BashOperator(task_id="fails", bash_command="exit 3")
    on_failure = BashOperator(
        task_id="on_failure", bash_command="echo handled", trigger_rule="one_failed"
    )
    no_push = BashOperator(task_id="no_push", bash_command="echo hidden", do_xcom_push=False)

    @task.bash
    def built_command(name="corpus"):
        return f"echo built by {name}"

    @task(trigger_rule="all_done")
    def check(ti=None):
        ids = ["last_line", "env_vars", "ctx_vars", "on_failure", "no_push", "built_command"]
        record("bash_xcoms", values=dict(zip(ids, ti.xcom_pull(task_ids=ids))))

    skip_99 >> after_skip
    fails >> on_failure
    [last_line, env_vars, ctx_vars, on_failure, no_push, built_command()] >> check()
