"""A DAG file with a syntax error (line 9). Named ignored_* so linters skip it."""

from datetime import datetime

from airflow.sdk import DAG

with DAG(dag_id="corpus_syntax_error", schedule=None, start_date=datetime(2024, 1, 1)):
    pass
    def broken(:
        pass
