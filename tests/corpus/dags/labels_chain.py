"""Dependency helpers: chain() with lists and a Label, cross_downstream(), chain_linear() and
labelled edges after a check task."""

from datetime import datetime

from airflow.models.baseoperator import chain, cross_downstream
from airflow.operators.empty import EmptyOperator
from airflow.sdk import DAG, chain_linear
from airflow.utils.edgemodifier import Label

with DAG(
    dag_id="corpus_labels_chain",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    t = {
        name: EmptyOperator(task_id=name)
        for name in ["a", "b1", "b2", "c1", "c2", "d", "e", "f", "g", "x", "y1", "y2", "z"]
    }
    chain(t["a"], [t["b1"], t["b2"]], [t["c1"], t["c2"]], t["d"])
    cross_downstream([t["d"], t["e"]], [t["f"], t["g"]])
    chain_linear(t["x"], [t["y1"], t["y2"]], t["z"])

    check = EmptyOperator(task_id="check_data")
    store = EmptyOperator(task_id="store")
    quarantine = EmptyOperator(task_id="quarantine")
    check >> Label("valid") >> store
    check >> Label("invalid") >> quarantine
    chain(t["z"], Label("then"), check)
