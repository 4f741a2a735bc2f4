"""Example DAGs shipped with Slipstream (`slipstream dags list --dags-folder` on this folder)."""
