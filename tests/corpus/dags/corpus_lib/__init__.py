"""Helpers shared by the corpus DAG files (kept out of DAG parsing by .airflowignore)."""
