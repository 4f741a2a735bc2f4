"""Executors: where task tries run. They get a serializable workload and report back; they never
receive a database session from the scheduler."""
