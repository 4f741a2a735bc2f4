"""The TaskFlow API: plain Python functions become tasks, return values flow between them."""

import pendulum

from slipstream.sdk import dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "taskflow"],
)
def example_taskflow():
    @task
    def extract() -> dict[str, float]:
        return {"1001": 301.27, "1002": 433.21, "1003": 502.22}

    @task(multiple_outputs=True)
    def transform(orders: dict[str, float]) -> dict[str, float]:
        return {"total": round(sum(orders.values()), 2), "count": len(orders)}

    @task
    def load(total: float, count: int) -> None:
        print(f"Total order value is {total:.2f} over {count} orders")

    summary = transform(extract())
    load(summary["total"], summary["count"])


example_taskflow()
