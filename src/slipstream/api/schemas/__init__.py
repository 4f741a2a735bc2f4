"""Pydantic request and response models of the REST API, one module per resource, with the
field names and shapes of Airflow 3's stable REST API (v2)."""
