"""The standard operators, with Airflow's names and behaviour."""
