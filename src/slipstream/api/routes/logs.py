"""The log of one task try (tag "Task Instance"): `GET .../taskInstances/{task_id}/logs/{try}`.

The answer is JSON (structured messages), NDJSON (one message a line) or plain text, by the
`Accept` header. While the try may still write (it is the task instance's current try and has
not finished), the answer carries a continuation token: asked again with it, the route returns
only what the log gained since. A try without a log file yet reads as no lines and a message
saying so, as in Airflow. `full_content` reads from the start whatever the token says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Header, HTTPException, Path, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from slipstream.api import task_logs
from slipstream.api.deps import AppConfig, ReadSession
from slipstream.api.errors import documented
from slipstream.api.params import INT64_MAX, MapIndexQuery
from slipstream.api.routing import api_router
from slipstream.api.schemas.logs import TaskInstancesLogResponse
from slipstream.api.security import DagUser
from slipstream.api.task_logs import LogFormat
from slipstream.core.states import TaskInstanceState
from slipstream.db.models import TaskInstance
from slipstream.db.store import task_instances
from slipstream.logs import reader
from slipstream.logs.layout import try_log_path

router = api_router(tags=["Task Instance"])

TOKEN_HEADER = "Airflow-Continuation-Token"
S = TaskInstanceState

STILL_WRITING = frozenset(
    {S.SCHEDULED, S.QUEUED, S.RUNNING, S.DEFERRED, S.UP_FOR_RESCHEDULE, S.RESTARTING}
)
"""States in which the current try has not started or may still write to its log."""

NDJSON_EXAMPLE = '{"event": "first line"}\n{"event": "second line"}\n'


@router.get(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}",
    response_model=TaskInstancesLogResponse,
    responses={
        **documented(400, 404, 406),
        200: {
            "content": {
                "application/x-ndjson": {"schema": {"type": "string", "example": NDJSON_EXAMPLE}},
                "text/plain": {"schema": {"type": "string"}},
            }
        },
    },
)
def get_log(
    request: Request,
    session: ReadSession,
    config: AppConfig,
    user: DagUser,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    try_number: Annotated[int, Path(ge=0, le=INT64_MAX)],
    full_content: bool = False,
    map_index: MapIndexQuery = -1,
    token: str | None = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """The log of try `try_number`, or what it gained since `token`."""
    kind = _format(accept)
    ti = _task_instance(session, dag_id, dag_run_id, task_id, map_index, try_number)
    log_id = f"{dag_id}\0{dag_run_id}\0{task_id}\0{map_index}\0{try_number}"
    secret = request.app.state.token_settings.secret
    first = not token or full_content
    start = 0 if first else _position(secret, log_id, token or "")
    writing = try_number == ti.try_number and ti.state in STILL_WRITING
    if try_number == 0:
        return _respond(kind, [], [_no_try_message(ti)], [], None)
    path = try_log_path(
        config.getpath("logging", "base_log_folder"),
        dag_id=dag_id,
        run_id=dag_run_id,
        task_id=task_id,
        map_index=map_index,
        try_number=try_number,
    )
    read = reader.read_lines(path, start, complete_only=writing)
    header = _sources(read, str(path)) if first else []
    notes = _notes(read, str(path), try_number, writing) if first else []
    next_token = task_logs.sign_token(secret, log_id, read.end) if writing else None
    return _respond(kind, header, notes, read.lines, next_token)


def _format(accept: str | None) -> LogFormat:
    kind = task_logs.negotiate(accept)
    if kind is None:
        raise HTTPException(
            status.HTTP_406_NOT_ACCEPTABLE,
            f"Cannot answer with {accept!r}: task logs are served as "
            "application/json, application/x-ndjson or text/plain",
        )
    return kind


def _task_instance(
    session: Any, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int
) -> TaskInstance:
    """The task instance whose try is asked for; 404 naming it, or the try it lacks."""
    ti = task_instances.get_ti(session, dag_id, run_id, task_id, map_index)
    named = (
        f"dag_id: `{dag_id}`, run_id: `{run_id}`, task_id: `{task_id}` and map_index: `{map_index}`"
    )
    if ti is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"The Task Instance with {named} was not found"
        )
    if try_number > ti.try_number:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"The Task Instance with {named} has no try {try_number}: its latest try is "
            f"{ti.try_number}",
        )
    return ti


def _position(secret: str, log_id: str, token: str) -> int:
    try:
        return task_logs.read_token(secret, log_id, token)
    except task_logs.TokenError as err:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(err)) from None


def _no_try_message(ti: TaskInstance) -> dict[str, Any]:
    if ti.state == S.SKIPPED:
        return {"event": "Task was skipped, no logs available."}
    return {"event": "Error fetching the logs. Try number 0 is invalid.", "level": "error"}


def _sources(read: reader.LogRead, path: str) -> list[dict[str, Any]]:
    """Where the lines come from, as Airflow's collapsed group starts a first read."""
    return [
        {"event": "::group::Log message source details", "sources": [path] if read.exists else []},
        {"event": "::endgroup::"},
    ]


def _notes(read: reader.LogRead, path: str, try_number: int, writing: bool) -> list[dict[str, Any]]:
    """Why a first read has no lines, when the file is missing or unreadable."""
    if read.error is not None:
        text, level = f"Could not read the log of try {try_number}: {read.error}", "error"
    elif read.exists:
        return []
    elif writing:
        text, level = f"Try {try_number} has not written its log yet: {path}", "info"
    else:
        text, level = f"No log file for try {try_number}: {path} does not exist", "warning"
    return [{"event": text, "level": level}]


def _respond(
    kind: LogFormat,
    header: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    lines: list[str],
    token: str | None,
) -> Response:
    """The answer in the negotiated format; plain text shows notes as `*** note` lines."""
    headers = {TOKEN_HEADER: token} if token else None
    if kind is LogFormat.TEXT:
        text = "".join(f"*** {note['event']}\n" for note in notes)
        text += "".join(f"{line}\n" for line in lines)
        return PlainTextResponse(text, headers=headers)
    messages = [*header, *notes, *reader.structured(lines)]
    if kind is LogFormat.NDJSON:
        return StreamingResponse(
            _ndjson(messages), media_type=LogFormat.NDJSON.value, headers=headers
        )
    return JSONResponse({"content": messages, "continuation_token": token}, headers=headers)


def _ndjson(messages: list[dict[str, Any]]) -> Iterator[str]:
    for message in messages:
        yield json.dumps(message) + "\n"
