"""Imports an operator from a provider Slipstream does not ship: the import error names it."""

from datetime import datetime

from airflow.providers.amazon.aws.operators.s3 import S3CreateBucketOperator
from airflow.sdk import DAG

with DAG(dag_id="corpus_unsupported_import", schedule=None, start_date=datetime(2024, 1, 1)):
    S3CreateBucketOperator(task_id="create_bucket", bucket_name="corpus")
