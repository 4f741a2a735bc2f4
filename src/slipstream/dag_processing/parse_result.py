"""What parsing one DAG file gives, as it travels from the parsing child to the processor.

A child process imports one file and writes one `FileResult` to a pipe (`to_json`); the
processor reads it back with `FileResult.from_json`. Everything the `dag` table needs is inside
each DAG's serialized data (`slipstream.serialization.serialize_dag` output), so only that, its
hash and the file's import error and warnings cross the pipe. A DAG whose hash is the one the
processor stored last (it tells the child) crosses without its data (`unchanged`): files are
parsed again every `min_file_process_interval`, and most come back the same.

The processor stores a DAG's data as it is and reads only a few of its fields (`SUMMARY_FIELDS`):
so the data crosses as JSON text, stored without being decoded and encoded again, beside a
summary of those fields, which is all the processor decodes. The message is one line of JSON
(everything but the data texts, whose lengths it gives), then the texts one after the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SUMMARY_FIELDS = (
    "dag_id",
    "relative_fileloc",
    "description",
    "owner",
    "tags",
    "timetable",
    "timetable_summary",
    "timetable_description",
    "timezone",
    "start_date",
    "end_date",
    "catchup",
    "max_active_runs",
    "max_active_tasks",
    "max_consecutive_failed_dag_runs",
    "is_paused_upon_creation",
)
"""The fields of a DAG's record the processor reads (for its `dag` row, first run, assets)."""
TASK_SUMMARY_FIELDS = ("task_id", "start_date", "end_date", "inlets", "outlets")
"""... and of each of its tasks' records."""


@dataclass(frozen=True)
class ParsedDag:
    """One DAG a file defined: its serialized form and `dag_hash` of it (`data` is empty when
    `unchanged`: the hash is the one the processor said it stored).

    After crossing the pipe, `text` holds the serialized form as JSON text and `data` only its
    summary (`summarize`), which has every field the processor reads.
    """

    dag_id: str
    data: dict[str, Any]
    hash: str
    unchanged: bool = False
    text: str | None = None

    @property
    def record(self) -> dict[str, Any]:
        """The `dag` record inside the versioned data."""
        record = self.data.get("dag")
        return record if isinstance(record, dict) else {}

    @property
    def stored(self) -> dict[str, Any] | str:
        """What to store as this version's data: the JSON text when there is one."""
        return self.data if self.text is None else self.text


def summarize(data: dict[str, Any]) -> dict[str, Any]:
    """Serialized data cut down to `SUMMARY_FIELDS` and `TASK_SUMMARY_FIELDS`."""
    record = data.get("dag")
    if not isinstance(record, dict):
        return {k: v for k, v in data.items() if k != "dag"}
    summary = {k: record[k] for k in SUMMARY_FIELDS if k in record}
    tasks = record.get("tasks")
    if isinstance(tasks, list):
        summary["tasks"] = [
            {k: task[k] for k in TASK_SUMMARY_FIELDS if k in task}
            if isinstance(task, dict)
            else task
            for task in tasks
        ]
    return {**{k: v for k, v in data.items() if k != "dag"}, "dag": summary}


@dataclass(frozen=True)
class ParseError:
    """Why a file gave no (or not all) DAGs. `traceback` ends with `message`."""

    message: str
    traceback: str
    lineno: int | None = None


@dataclass(frozen=True)
class FileResult:
    """The outcome of parsing one file.

    `loaded` is False when the file gave nothing usable at all (it failed to import, timed out,
    crashed): the DAGs it defined before are kept as they were. With `loaded` True and an
    `error`, some of its DAGs failed (validation, serialization, duplicate ids) and the rest are
    in `dags`.
    """

    path: str
    dags: list[ParsedDag] = field(default_factory=list)
    error: ParseError | None = None
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    loaded: bool = True

    @classmethod
    def failed(cls, path: str, message: str, *, duration_s: float = 0.0) -> FileResult:
        """A file that gave nothing because its parsing process failed (timeout, crash...)."""
        return cls(
            path=path,
            error=ParseError(message=message, traceback=message + "\n"),
            duration_s=duration_s,
            loaded=False,
        )

    def with_error(self, message: str, traceback: str | None = None) -> FileResult:
        """This result with one more error line (merged into the file's one error)."""
        trace = traceback if traceback is not None else message + "\n"
        if self.error is None:
            error = ParseError(message=message, traceback=trace)
        else:
            error = ParseError(
                message=f"{self.error.message}\n{message}",
                traceback=self.error.traceback + trace,
                lineno=self.error.lineno,
            )
        return FileResult(
            self.path, list(self.dags), error, list(self.warnings), self.duration_s, self.loaded
        )

    def without_dags(self, dag_ids: set[str]) -> FileResult:
        dags = [dag for dag in self.dags if dag.dag_id not in dag_ids]
        return FileResult(
            self.path, dags, self.error, list(self.warnings), self.duration_s, self.loaded
        )

    def to_json(self) -> str:
        """The message the child writes (see the module docs)."""
        error = None
        if self.error is not None:
            error = {
                "message": self.error.message,
                "traceback": self.error.traceback,
                "lineno": self.error.lineno,
            }
        dags, texts = [], []
        for dag in self.dags:
            if dag.unchanged:
                dags.append({"dag_id": dag.dag_id, "hash": dag.hash, "unchanged": True})
                continue
            text = dag.text if dag.text is not None else json.dumps(dag.data, separators=_COMPACT)
            summary = summarize(dag.data) if dag.text is None else dag.data
            dags.append(
                {"dag_id": dag.dag_id, "hash": dag.hash, "summary": summary, "size": len(text)}
            )
            texts.append(text)
        header = json.dumps(
            {
                "path": self.path,
                "dags": dags,
                "error": error,
                "warnings": self.warnings,
                "duration_s": self.duration_s,
                "loaded": self.loaded,
            },
            separators=_COMPACT,
        )
        return "\n".join((header, "".join(texts)))

    @classmethod
    def from_json(cls, text: str | bytes) -> FileResult:
        """Read `to_json` output; raises `ValueError` (or `KeyError`/`TypeError`) if malformed."""
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        header, _, body = text.partition("\n")
        raw = json.loads(header)
        error = raw.get("error")
        dags = []
        offset = 0
        for d in raw.get("dags") or ():
            if d.get("unchanged", False):
                dags.append(ParsedDag(str(d["dag_id"]), {}, str(d["hash"]), unchanged=True))
                continue
            size = int(d["size"])
            if size < 0 or offset + size > len(body):
                raise ValueError("the message is shorter than the sizes it announces")
            dags.append(
                ParsedDag(
                    dag_id=str(d["dag_id"]),
                    data=dict(d["summary"]),
                    hash=str(d["hash"]),
                    text=body[offset : offset + size],
                )
            )
            offset += size
        if offset != len(body):
            raise ValueError("the message has data beyond the sizes it announces")
        return cls(
            path=str(raw["path"]),
            dags=dags,
            error=None
            if error is None
            else ParseError(
                message=str(error["message"]),
                traceback=str(error.get("traceback") or error["message"]),
                lineno=error.get("lineno"),
            ),
            warnings=[str(w) for w in raw.get("warnings") or ()],
            duration_s=float(raw.get("duration_s") or 0.0),
            loaded=bool(raw.get("loaded", True)),
        )


_COMPACT = (",", ":")
