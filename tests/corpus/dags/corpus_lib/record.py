"""Let tasks and callbacks report what they saw, so a test can assert it after the run.

Each call appends one JSON line to the file named by the CORPUS_RECORD_FILE environment
variable. Without that variable the events stay in this process's memory, so the DAG files
also run by hand.
"""

from __future__ import annotations

import json
import os
from typing import Any

ENV_VAR = "CORPUS_RECORD_FILE"

_IN_MEMORY: list[dict[str, Any]] = []


def record(event: str, **fields: Any) -> None:
    """Append `{"event": event, **fields}` to the record file (or to memory without one)."""
    line = json.dumps({"event": event, **fields}, default=str, sort_keys=True)
    path = os.environ.get(ENV_VAR)
    if not path:
        _IN_MEMORY.append(json.loads(line))
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def read(event: str | None = None) -> list[dict[str, Any]]:
    """Everything recorded so far (optionally only one kind of event), oldest first."""
    path = os.environ.get(ENV_VAR)
    if not path:
        rows = list(_IN_MEMORY)
    elif not os.path.exists(path):
        rows = []
    else:
        with open(path, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
    return [row for row in rows if event is None or row["event"] == event]


def count(event: str) -> int:
    """How many times `event` was recorded."""
    return len(read(event))
