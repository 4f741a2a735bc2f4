"""Reading a try's log from a byte position, and its lines as structured messages.

Task log lines look like `[2024-01-01 12:00:00,123] {dag.task} INFO - message` (the format of
`runtime.task_logging`, times in the writing host's local time); each becomes
`{"timestamp": <UTC ISO time>, "event": "message", "level": "info"}`, the shape of Airflow 3's
structured log messages. Other lines (a traceback's, what the task printed) become
`{"event": line}`.

Reads are positioned in bytes, so a client tailing a running try asks only for what is new.
While a try may still write, a read stops at the last complete line: the next read starts
there and never sees half a line.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LogRead", "read_lines", "structured"]

_LINE = re.compile(
    r"^\[(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3})\] \{(?P<label>[^}]*)\} "
    r"(?P<level>[A-Z]+) - (?P<message>.*)$"
)
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S,%f"


@dataclass(frozen=True)
class LogRead:
    """What one read found: the file's lines from the start position, and the byte position
    after them (where the next read starts)."""

    exists: bool
    end: int
    lines: list[str] = field(default_factory=list)
    error: str | None = None
    """Why an existing file could not be read (permissions, ...)."""


def read_lines(path: str | os.PathLike[str], start: int = 0, *, complete_only: bool) -> LogRead:
    """The lines of `path` from byte `start`; with `complete_only`, up to the last newline (the
        file may still be growing). A missing or unreadable file reads as nothing, `exists` False
    (and `error` saying why it could not be read)."""
    try:
        with Path(path).open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            start = min(max(start, 0), size)
            file.seek(start)
            data = file.read(size - start)
    except FileNotFoundError:
        return LogRead(exists=False, end=start)
    except OSError as err:
        return LogRead(exists=False, end=start, error=f"{type(err).__name__}: {err}")
    if complete_only:
        data = data[: data.rfind(b"\n") + 1]
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return LogRead(exists=True, end=start + len(data), lines=lines)


def structured(lines: list[str]) -> list[dict[str, Any]]:
    """Each non-empty line as a structured log message."""
    return [_message(line.rstrip("\r")) for line in lines if line.strip()]


def _message(line: str) -> dict[str, Any]:
    match = _LINE.match(line)
    if match is None:
        return {"event": line}
    try:
        local = dt.datetime.strptime(match["time"], _TIME_FORMAT)
    except ValueError:
        return {"event": line}
    return {
        "timestamp": local.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "event": match["message"],
        "level": match["level"].lower(),
    }
