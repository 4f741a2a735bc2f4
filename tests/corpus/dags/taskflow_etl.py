"""The TaskFlow tutorial shape with `airflow.sdk`: return values flow between tasks as XComs."""

import pendulum
from airflow.sdk import dag, task
from corpus_lib.record import record


@dag(
    dag_id="corpus_taskflow_etl",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["corpus", "taskflow"],
)
def taskflow_etl():
    """Orders in, a total out."""

    @task()
    def extract():
        return {"1001": 301.27, "1002": 433.21, "1003": 502.22}

    @task(multiple_outputs=True)
    def transform(order_data: dict):
        return {"total_order_value": round(sum(order_data.values()), 2), "order_count": 3}

    @task
    def load(
        total_order_value: float,
        order_count: int,
        ti=None,
        ds=None,
        dag_run=None,
        logical_date=None,
        params=None,
    ):
        record(
            "load",
            task_id=ti.task_id,
            total=total_order_value,
            count=order_count,
            ds=ds,
            run_id=dag_run.run_id,
            logical_date=logical_date.isoformat(),
            params=dict(params),
        )

    @task
    def summary(**context):
        ti = context["ti"]
        print(
            f"Total order value is: {ti.xcom_pull(task_ids='transform')['total_order_value']:.2f}"
        )
        record(
            "summary",
            whole=ti.xcom_pull(task_ids="transform"),
            total=ti.xcom_pull(task_ids="transform", key="total_order_value"),
            count=ti.xcom_pull(task_ids="transform", key="order_count"),
        )

    @task
    def stats() -> dict[str, float]:
        return {"mean": 2.5, "max": 4.0}

    @task
    def spread(mean: float, maximum: float):
        record("spread", spread=maximum - mean)

    @task
    def square(x: int) -> int:
        return x * x

    @task
    def add_up(*values):
        record("add_up", values=list(values))
        return sum(values)

    order_data = extract()
    totals = transform(order_data)
    load(totals["total_order_value"], totals["order_count"]) >> summary()
    load.override(task_id="load_again")(totals["total_order_value"], order_count=0)
    add_up(square(2), square(3))
    summary_stats = stats()
    spread(summary_stats["mean"], summary_stats["max"])


dag_object = taskflow_etl()

if __name__ == "__main__":
    dag_object.test()
