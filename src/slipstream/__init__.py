"""Slipstream: a fast, light workflow orchestrator that runs Airflow 3 DAG files unchanged."""

__version__ = "0.1.0"
