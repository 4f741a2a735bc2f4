"""Supervised task tries: the supervisor (claims a try, serves its task process, records its end)
and the task process it starts. Importing this package loads nothing else."""
