"""`GET .../taskInstances/{task_id}/logs/{try_number}`: a try's log as structured messages,
NDJSON or text, tailed with continuation tokens while the try runs."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream.executors.base import TaskWorkload
from slipstream.logs import reader
from slipstream.logs.layout import try_log_path
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.supervisor import log_files
from tests.scheduler.helpers import START, Harness

BASE = "/api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}/logs/{n}"
HEADER = [
    {"event": "::group::Log message source details", "sources": ["PATH"]},
    {"event": "::endgroup::"},
]


def url(n: int = 1, task: str = "work", dag: str = "logged", run: str = "r1") -> str:
    return BASE.format(dag=dag, run=run, task=task, n=n)


@pytest.fixture
def logs_dir(api_harness: Harness) -> Path:
    from slipstream.config import get_config

    return get_config().getpath("logging", "base_log_folder")


@pytest.fixture
def running(api_harness: Harness) -> TaskWorkload:
    """DAG `logged` run `r1`: task `work` running its first try (`after` waits)."""
    with DAG("logged", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="work", retries=1) >> EmptyOperator(task_id="after")
    api_harness.add_dag(dag)
    api_harness.trigger("logged", run_id="r1")
    api_harness.tick()
    [workload] = api_harness.executor.workloads
    assert api_harness.claim(workload)
    return workload


def _write(logs_dir: Path, workload: TaskWorkload, *messages: str, raw: str = "") -> Path:
    """Lines the way the supervisor writes them (its `TryLog`), then `raw` text as is."""
    path = log_files.try_log_path(
        logs_dir,
        dag_id=workload.dag_id,
        run_id=workload.run_id,
        task_id=workload.task_id,
        map_index=workload.map_index,
        try_number=workload.try_number,
    )
    log = log_files.TryLog(log_files.open_log(path), "logged.work")
    for message in messages:
        log.write(logging.WARNING if message.startswith("!") else logging.INFO, message)
    log.close()
    if raw:
        with path.open("a") as file:
            file.write(raw)
    return path


def _events(body: dict[str, Any]) -> list[str]:
    return [m["event"] for m in body["content"]]


def test_reads_a_running_try_then_tails_only_what_is_new(
    client_as: Callable[[str], TestClient],
    running: TaskWorkload,
    api_harness: Harness,
    logs_dir: Path,
) -> None:
    client = client_as("viewer")
    path = _write(logs_dir, running, "starting", "!careful", raw="Traceback (most recent)\n  li")
    first = client.get(url())
    assert first.status_code == 200
    body = first.json()
    assert body["content"][:2] == [
        {"event": "::group::Log message source details", "sources": [str(path)]},
        {"event": "::endgroup::"},
    ]
    started, careful, traceback = body["content"][2:]
    assert (started["event"], started["level"]) == ("starting", "info")
    assert (careful["event"], careful["level"]) == ("!careful", "warning")
    stamp = dt.datetime.fromisoformat(started["timestamp"])
    assert abs(stamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert traceback == {"event": "Traceback (most recent)"}  # the half line waits
    token = body["continuation_token"]
    assert token

    nothing_new = client.get(url(), params={"token": token}).json()
    assert nothing_new["content"] == []
    assert nothing_new["continuation_token"]

    _write(logs_dir, running, raw="ne 1\n")
    _write(logs_dir, running, "more")
    tail = client.get(url(), params={"token": token}).json()
    assert _events(tail) == ["  line 1", "more"]

    api_harness.finish(running)
    _write(logs_dir, running, raw="no newline at the end")
    last = client.get(url(), params={"token": tail["continuation_token"]}).json()
    assert _events(last) == ["no newline at the end"]
    assert last["continuation_token"] is None

    whole = client.get(url(), params={"token": token, "full_content": True}).json()
    assert len(whole["content"]) == 2 + 6
    assert whole["continuation_token"] is None


def test_a_try_without_a_log_file_yet(
    admin_client: TestClient, running: TaskWorkload, logs_dir: Path
) -> None:
    body = admin_client.get(url()).json()
    assert body["content"][0]["sources"] == []
    [note] = body["content"][2:]
    assert note["event"].startswith("Try 1 has not written its log yet: ")
    assert body["continuation_token"]
    again = admin_client.get(url(), params={"token": body["continuation_token"]}).json()
    assert again["content"] == []  # the note comes once


def test_a_finished_try_whose_log_is_missing(
    admin_client: TestClient, running: TaskWorkload, api_harness: Harness
) -> None:
    api_harness.finish(running, "failed")
    body = admin_client.get(url()).json()
    [note] = body["content"][2:]
    assert note["level"] == "warning"
    assert note["event"].startswith("No log file for try 1: ")
    assert body["continuation_token"] is None


def test_earlier_tries_stay_readable(
    admin_client: TestClient, running: TaskWorkload, api_harness: Harness, logs_dir: Path
) -> None:
    _write(logs_dir, running, "first try")
    api_harness.fail(running)  # up_for_retry: try 2 comes later
    api_harness.clock.advance(dt.timedelta(hours=1))
    api_harness.tick()
    second = next(w for w in api_harness.executor.workloads if w.try_number == 2)
    api_harness.claim(second)
    _write(logs_dir, second, "second try")
    one = admin_client.get(url(1)).json()
    assert _events(one)[2:] == ["first try"]
    assert one["continuation_token"] is None  # try 1 is over
    two = admin_client.get(url(2)).json()
    assert _events(two)[2:] == ["second try"]
    assert two["continuation_token"]
    refused = admin_client.get(url(1), params={"token": two["continuation_token"]})
    assert refused.status_code == 400
    assert "another task try" in refused.json()["detail"]


def test_try_zero_and_unknown_tries(
    admin_client: TestClient, running: TaskWorkload, api_harness: Harness
) -> None:
    waiting = admin_client.get(url(0, task="after")).json()
    assert waiting["content"] == [
        {"event": "Error fetching the logs. Try number 0 is invalid.", "level": "error"}
    ]
    beyond = admin_client.get(url(3))
    assert beyond.status_code == 404
    assert beyond.json()["detail"] == (
        "The Task Instance with dag_id: `logged`, run_id: `r1`, task_id: `work` and "
        "map_index: `-1` has no try 3: its latest try is 1"
    )
    for path in (url(task="nope"), url(run="nope"), url(dag="nope")):
        response = admin_client.get(path)
        assert response.status_code == 404
        assert "was not found" in response.json()["detail"]
    mapped = admin_client.get(url(), params={"map_index": 2})
    assert mapped.status_code == 404
    assert "map_index: `2`" in mapped.json()["detail"]
    assert admin_client.get(url(-1)).status_code == 422


def test_bad_tokens_are_400(admin_client: TestClient, running: TaskWorkload) -> None:
    for token in ("garbage", "e30.AAAA", "", "x.y.z"):
        response = admin_client.get(url(), params={"token": token})
        if token == "":
            assert response.status_code == 200  # no token
            continue
        assert response.status_code == 400
        assert response.json()["detail"] == (
            "Bad Signature. Please use only the tokens provided by the API."
        )


def test_ndjson_and_text_formats(
    admin_client: TestClient, running: TaskWorkload, logs_dir: Path
) -> None:
    _write(logs_dir, running, "hello", raw="printed\n")
    ndjson = admin_client.get(url(), headers={"Accept": "application/x-ndjson"})
    assert ndjson.status_code == 200
    assert ndjson.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in ndjson.text.splitlines()]
    assert [m["event"] for m in lines][2:] == ["hello", "printed"]
    assert ndjson.headers["Airflow-Continuation-Token"]

    text = admin_client.get(url(), headers={"Accept": "text/plain"})
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text.splitlines()[1] == "printed"
    assert "{logged.work} INFO - hello" in text.text.splitlines()[0]

    either = admin_client.get(url(), headers={"Accept": "image/png, application/json;q=0.5"})
    assert either.json()["content"][2]["event"] == "hello"
    refused = admin_client.get(url(), headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert "application/json" in refused.json()["detail"]


def test_plain_text_says_why_there_are_no_lines(
    admin_client: TestClient, running: TaskWorkload
) -> None:
    text = admin_client.get(url(), headers={"Accept": "text/plain"}).text
    assert text.startswith("*** Try 1 has not written its log yet: ")


def test_roles(client_as: Callable[[str], TestClient], anonymous_client: TestClient) -> None:
    assert anonymous_client.get(url()).status_code == 401
    assert client_as("viewer").get(url()).status_code == 404  # allowed, nothing there


def test_reader_parses_what_the_task_logging_format_writes() -> None:
    from slipstream.runtime.task_logging import LOG_FORMAT

    record = logging.LogRecord("x", logging.ERROR, "", 0, "boom - with dashes", None, None)
    record.task_label = "d.t[3]"
    line = logging.Formatter(LOG_FORMAT).format(record)
    [message] = reader.structured([line, "", "   "])
    assert (message["event"], message["level"]) == ("boom - with dashes", "error")
    when = dt.datetime.fromisoformat(message["timestamp"])
    assert abs(when.timestamp() - record.created) < 0.002


def test_layout_matches_the_supervisors(tmp_path: Path) -> None:
    for dag_id, run_id, task_id, map_index in [
        ("d", "manual__2024-01-01T00:00:00+00:00", "t", -1),
        ("a/b", "r", "g.t", 4),
    ]:
        ids = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index}
        ours = try_log_path(tmp_path, **ids, try_number=2)
        assert ours == log_files.try_log_path(tmp_path, **ids, try_number=2)


@pytest.mark.integration
def test_official_client_reads_a_log(
    airflow_client: Callable[[str], Any], running: TaskWorkload, logs_dir: Path
) -> None:
    import airflow_client.client as af

    _write(logs_dir, running, "from the task")
    api = af.TaskInstanceApi(airflow_client("viewer"))
    log = api.get_log(dag_id="logged", dag_run_id="r1", task_id="work", try_number=1)
    messages = log.content.actual_instance
    assert [m.event for m in messages][2:] == ["from the task"]
    assert messages[2].timestamp is not None
    assert log.continuation_token
    tail = api.get_log(
        dag_id="logged",
        dag_run_id="r1",
        task_id="work",
        try_number=1,
        token=log.continuation_token,
    )
    assert tail.content.actual_instance == []
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_log(dag_id="logged", dag_run_id="r1", task_id="work", try_number=5)
