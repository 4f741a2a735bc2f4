"""The DAG processor: parses the DAGs folder, in child processes, into the metadata database.

- `DagProcessor(db, config).run_once()` / `.run_forever(stop_event)` — `processor`
- parsing one file in a forked child with a timeout and a memory limit — `parse_pool`,
  `parse_worker`
- noticing changes in the folder — `watcher`
- storing results: DAG rows, versions, import errors, assets — `collection`
- a DAG's next scheduled run from its timetable, shared with the scheduler — `next_run`
"""

from __future__ import annotations

from slipstream.dag_processing.processor import DagProcessor, ParseSummary
from slipstream.timetables.next_run import compute_next_dagrun

__all__ = ["DagProcessor", "ParseSummary", "compute_next_dagrun"]
