"""Compatibility layers that let code written for other tools run on Slipstream unchanged.

`slipstream.compat.airflow` makes `import airflow…` in DAG files resolve to Slipstream.
"""
