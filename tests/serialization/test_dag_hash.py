"""dag_hash: the same DAG gives the same hash in any process; any change gives another."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from slipstream.serialization import dag_hash, serialize_dag

from . import samples

DAG_FILE = textwrap.dedent(
    """
    import datetime as dt
    import pendulum
    from airflow.sdk import DAG, BaseOperator, TaskGroup, task
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.providers.standard.operators.python import PythonOperator

    class Opaque:
        pass

    class Custom(BaseOperator):
        template_fields = ("payload",)

        def __init__(self, payload, **kwargs):
            super().__init__(**kwargs)
            self.payload = payload

        def execute(self, context):
            pass

    def on_failure(context):
        pass

    with DAG(
        "hashed",
        schedule="@hourly",
        start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Paris"),
        default_args={
            "owner": "team",
            "tags_set": {"alpha", "beta", "gamma", "delta", "epsilon"},
            "opaque": Opaque(),
            "callback": lambda context: None,
            "on_failure_callback": on_failure,
        },
        params={"names": ["x", "y"]},
    ):
        @task
        def items():
            return [1, 2]

        @task
        def use(item, names=frozenset({"p", "q", "r", "s"})):
            return item

        with TaskGroup("group"):
            mapped = use.partial(names={"k", "l", "m"}).expand(item=items())
        PythonOperator(
            task_id="classic",
            python_callable=on_failure,
            op_kwargs={"obj": Opaque(), "when": dt.timedelta(hours=1), "set": {"u", "v", "w"}},
        ) << mapped
        EmptyOperator(task_id="end", outlets=[]) << mapped
        Custom(task_id="custom", payload={"opaque": Opaque(), "cls": Opaque})
    """
)

PRINT_HASH = """
import sys
from slipstream.dagfiles.bag import DagBag
from slipstream.serialization import dag_hash, serialize_dag
bag = DagBag(sys.argv[1])
assert not bag.import_errors, bag.import_errors
print(dag_hash(serialize_dag(bag.dags["hashed"], dags_folder=sys.argv[1])))
"""


@pytest.mark.parametrize("name", sorted(samples.ALL_BUILDERS))
def test_same_dag_built_twice_has_the_same_hash(name: str) -> None:
    build = samples.ALL_BUILDERS[name]
    first, second = serialize_dag(build()), serialize_dag(build())
    assert first == second
    assert dag_hash(first) == dag_hash(second)
    assert len(dag_hash(first)) == 64


def test_a_changed_retry_changes_the_hash() -> None:
    one = dag_hash(serialize_dag(samples.taskflow_dag(retries=1)))
    two = dag_hash(serialize_dag(samples.taskflow_dag(retries=2)))
    assert one != two


def test_changes_to_one_task_change_the_hash() -> None:
    base = samples.labels_dag()
    before = dag_hash(serialize_dag(base))
    base.get_task("good").priority_weight = 9
    after = dag_hash(serialize_dag(base))
    assert before != after


def test_key_order_does_not_matter() -> None:
    data = serialize_dag(samples.labels_dag())
    shuffled = {"dag": dict(reversed(list(data["dag"].items()))), "__version": 1}
    assert dag_hash(shuffled) == dag_hash(data)


def test_hash_is_stable_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "hashed.py").write_text(DAG_FILE)
    hashes = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", PRINT_HASH, str(folder)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        hashes.add(out.stdout.strip().splitlines()[-1])
    assert len(hashes) == 1

    from slipstream.dagfiles.bag import DagBag

    bag = DagBag(folder)
    data = serialize_dag(bag.dags["hashed"], dags_folder=folder)
    assert hashes == {dag_hash(data)}
    text = repr(data)
    assert "0x" not in text and "unusual_prefix" not in text
    record = data["dag"]
    assert record["default_args"]["tags_set"] == ["alpha", "beta", "delta", "epsilon", "gamma"]
    assert record["default_args"]["opaque"] == "<hashed.Opaque>"
    assert record["default_args"]["callback"] == {"__type": "callable", "name": "hashed.<lambda>"}
    assert record["relative_fileloc"] == "hashed.py"
    custom = next(t for t in record["tasks"] if t["task_id"] == "custom")
    assert custom["task_module"] == "hashed" and custom["task_type"] == "Custom"
    assert custom["template_values"]["payload"] == {
        "opaque": "<hashed.Opaque>",
        "cls": {"__type": "class", "name": "hashed.Opaque"},
    }
