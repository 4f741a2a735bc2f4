"""Dynamic task mapping: one task instance per file, then a reduce over their results."""

import pendulum

from slipstream.sdk import dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "mapping"],
)
def example_mapping():
    @task
    def list_files() -> list[str]:
        return ["a.csv", "b.csv", "c.csv"]

    @task
    def count_lines(path: str, lines_per_file: int) -> int:
        return lines_per_file * (len(path) - 3)

    @task
    def total(counts) -> int:
        result = sum(counts)
        print(f"{len(counts)} files, {result} lines in all")
        return result

    counts = count_lines.partial(lines_per_file=10).expand(path=list_files())
    total(counts)


example_mapping()
