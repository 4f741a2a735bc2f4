"""Running tasks: the task instance API tasks see, their context, one try's execution, and the
in-process runner behind `slipstream dags test`."""
