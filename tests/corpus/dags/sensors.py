"""Sensors: PythonSensor poking until ready, `@task.sensor` returning PokeReturnValue (its value
becomes the XCom), a reschedule-mode sensor, and `soft_fail` turning a timeout into a skip."""

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG, PokeReturnValue, task
from corpus_lib.record import count, record


def ready_on_third_poke():
    poke = count("poke") + 1
    record("poke", n=poke)
    return poke >= 3


with DAG(
    dag_id="corpus_sensors",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    wait_ready = PythonSensor(
        task_id="wait_ready",
        python_callable=ready_on_third_poke,
        poke_interval=0.05,
        timeout=10,
        mode="poke",
    )

    @task.sensor(poke_interval=0.05, timeout=10, mode="poke")
    def wait_for_payload() -> PokeReturnValue:
        return PokeReturnValue(is_done=True, xcom_value={"rows": 42})

    @task.sensor(poke_interval=0.05, timeout=10, mode="reschedule")
    def wait_rescheduled(ti=None):
        poke = count("reschedule_poke") + 1
        record("reschedule_poke", n=poke, try_number=ti.try_number)
        return poke >= 2

    @task
    def consume(payload):
        record("payload", payload=payload)

    never_ready = PythonSensor(
        task_id="never_ready_soft",
        python_callable=lambda: False,
        poke_interval=0.05,
        timeout=0.2,
        soft_fail=True,
    )
    after_soft = EmptyOperator(task_id="after_soft")

    wait_ready >> consume(wait_for_payload())
    wait_rescheduled()
    never_ready >> after_soft
