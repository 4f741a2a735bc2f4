"""What parsing one DAG file gives, as it travels from the parsing child to the processor.

A child process imports one file and writes one `FileResult` to a pipe as JSON; the processor
reads it back with `FileResult.from_json`. Everything the `dag` table needs is inside each DAG's
serialized data (`slipstream.serialization.serialize_dag` output), so only that, its hash and the
file's import error and warnings cross the pipe. A DAG whose hash is the one the processor stored
last (it tells the child) crosses without its data (`unchanged`): files are parsed again every
`min_file_process_interval`, and most come back the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ParsedDag:
    """One DAG a file defined: its serialized form and `dag_hash` of it (`data` is empty when
    `unchanged`: the hash is the one the processor said it stored)."""

    dag_id: str
    data: dict[str, Any]
    hash: str
    unchanged: bool = False

    @property
    def record(self) -> dict[str, Any]:
        """The `dag` record inside the versioned data."""
        record = self.data.get("dag")
        return record if isinstance(record, dict) else {}


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
        error = None
        if self.error is not None:
            error = {
                "message": self.error.message,
                "traceback": self.error.traceback,
                "lineno": self.error.lineno,
            }
        return json.dumps(
            {
                "path": self.path,
                "dags": [_dag_json(d) for d in self.dags],
                "error": error,
                "warnings": self.warnings,
                "duration_s": self.duration_s,
                "loaded": self.loaded,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> FileResult:
        """Read `to_json` output; raises `ValueError` (or `KeyError`/`TypeError`) if malformed."""
        raw = json.loads(text)
        error = raw.get("error")
        return cls(
            path=str(raw["path"]),
            dags=[
                ParsedDag(
                    dag_id=str(d["dag_id"]),
                    data=dict(d.get("data") or {}),
                    hash=str(d["hash"]),
                    unchanged=bool(d.get("unchanged", False)),
                )
                for d in raw.get("dags") or ()
            ],
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


def _dag_json(dag: ParsedDag) -> dict[str, Any]:
    if dag.unchanged:
        return {"dag_id": dag.dag_id, "hash": dag.hash, "unchanged": True}
    return {"dag_id": dag.dag_id, "data": dag.data, "hash": dag.hash}
