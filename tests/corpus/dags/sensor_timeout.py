"""A sensor that times out without soft_fail fails at once: AirflowSensorTimeout is not retried."""

from datetime import datetime

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG

with DAG(
    dag_id="corpus_sensor_timeout",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    PythonSensor(
        task_id="never_ready",
        python_callable=lambda: False,
        poke_interval=0.05,
        timeout=0.2,
        retries=2,
        retry_delay=0.01,
    )
