"""Every operation of the served OpenAPI document, exercised by schemathesis against the real
`slipstream api-server`: no response may be a 5xx, and every response must be documented (its
status code and content type) and match its documented schema.

The test goes over whatever operations the server documents, so it covers routes as they are
added, with a few generated requests each, sent with the admin's token: valid ones, invalid
ones (schemathesis also leaves the token out of some, which must be a documented 401), and, for
operations that read or change (not delete) a resource, valid ones naming seeded objects (a DAG
with a finished run, its task, an asset), so success responses are checked too, not only the
404s of random ids. Every request is sent whatever the earlier ones found; the failure message
lists each operation with its distinct problems and a request that shows each.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from slipstream.db.engine import Database
from slipstream.sdk import DAG, Asset
from slipstream.sdk.operators.empty import EmptyOperator
from tests.scheduler.helpers import START, Harness

from .conftest import LiveApi

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

MAX_EXAMPLES = 10
REQUEST_TIMEOUT = 10.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
DATA = Asset("s3://conformance/data")


@pytest.fixture
def seeded_ids(api_harness: Harness, api_db: Database) -> dict[str, Any]:
    """A producer DAG whose run `p1` succeeded and emitted an asset event, and a consumer DAG
    scheduled on that asset; returns path parameter values naming them."""
    from slipstream.db.models import Asset as AssetRow

    with DAG("producer", schedule=None, start_date=START, tags=["seeded"]) as producer:
        EmptyOperator(task_id="make", outlets=[DATA])
    with DAG("consumer", schedule=[DATA], start_date=START) as consumer:
        EmptyOperator(task_id="use")
    api_harness.add_dag(producer)
    api_harness.add_dag(consumer)
    api_harness.trigger("producer", run_id="p1")
    api_harness.tick()
    api_harness.play("make", outlets=[DATA])
    api_harness.tick()
    with api_db.session() as session:
        asset_id = session.query(AssetRow.id).filter_by(uri=DATA.uri).scalar()
    return {
        "dag_id": "producer",
        "dag_run_id": "p1",
        "task_id": "make",
        "map_index": -1,
        "try_number": 1,
        "task_try_number": 1,
        "asset_id": asset_id,
        "pool_name": "default_pool",
    }


def test_every_operation_answers_as_documented(
    live_api: LiveApi, seeded_ids: dict[str, Any]
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_api.url}/api/v2/openapi.json")
    headers = {"Authorization": f"Bearer {live_api.token('admin')}"}
    problems: dict[str, dict[str, str]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found = _exercise(operation, live_api.url, headers, seeded_ids)
        if found:
            problems[operation.label] = found
    if problems:
        pytest.fail(_report(problems), pytrace=False)


def _exercise(
    operation: Any, base_url: str, headers: dict[str, str], seeded_ids: dict[str, Any]
) -> dict[str, str]:
    """Send the operation's generated requests; returns each distinct problem found, with
    the first request that showed it. Every request is sent, whatever the earlier ones found."""
    problems: dict[str, str] = {}

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(operation, seeded_ids))
    def call(case: Any) -> None:
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as err:
            problems.setdefault(f"no answer: {type(err).__name__}", case.formatted_path)
            return
        sent = f"{response.request.method} {response.request.path_url}"[:200]
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                problems.setdefault(_describe(failure, response.status_code), sent)
        except Failure as failure:
            problems.setdefault(_describe(failure, response.status_code), sent)

    call()
    return problems


def _describe(failure: Failure, status: int) -> str:
    """E.g. `Undocumented status code 401: Received: 401 Documented: 200, 422`."""
    return f"{failure.title} {status}: {' '.join(failure.message.split())}"[:300]


def _report(problems: dict[str, dict[str, str]]) -> str:
    lines = [f"{len(problems)} operation(s) do not answer as documented:"]
    for label, found in problems.items():
        lines.append(f"  {label}")
        lines.extend(f"      {problem}  e.g. {sent}" for problem, sent in found.items())
    return "\n".join(lines)


def _cases(operation: Any, seeded_ids: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Valid requests, invalid ones, and (for reads and changes) valid ones naming the seeded
    objects."""
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = {p.name for p in operation.path_parameters}
    seeded = {name: value for name, value in seeded_ids.items() if name in names}
    if seeded and operation.method.upper() != "DELETE":
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=seeded))
    return st.one_of(strategies)
