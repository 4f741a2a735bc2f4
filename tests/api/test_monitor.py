"""`GET /api/v2/monitor/health` and `GET /api/v2/version`: open to anyone, never a 5xx."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream import __version__
from slipstream.db.engine import Database
from slipstream.db.store import jobs

from .conftest import LiveApi


def _register(db: Database, job_type: str, *, age: float, ended: bool = False) -> dt.datetime:
    """A component of `job_type` whose last heartbeat is `age` seconds old; returns it."""
    beat = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)
    with db.begin() as session:
        job_id = jobs.register(session, job_type, now=beat - dt.timedelta(seconds=1))
        jobs.heartbeat(session, job_id, now=beat)
        if ended:
            jobs.mark_ended(session, job_id, now=beat)
    return beat


def _health(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v2/monitor/health")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_health_needs_no_login_and_reports_nothing_running(anonymous_client: TestClient) -> None:
    assert _health(anonymous_client) == {
        "metadatabase": {"status": "healthy"},
        "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": None},
        "triggerer": {"status": None, "latest_triggerer_heartbeat": None},
        "dag_processor": {"status": None, "latest_dag_processor_heartbeat": None},
    }


def test_live_components_are_healthy_with_their_latest_heartbeat(
    api_db: Database, anonymous_client: TestClient
) -> None:
    _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=40)  # an older, dead scheduler
    scheduler_beat = _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=2)
    processor_beat = _register(api_db, jobs.DAG_PROCESSOR_JOB_TYPE, age=1)
    body = _health(anonymous_client)
    assert body["scheduler"] == {
        "status": "healthy",
        "latest_scheduler_heartbeat": scheduler_beat.isoformat(),
    }
    assert body["dag_processor"] == {
        "status": "healthy",
        "latest_dag_processor_heartbeat": processor_beat.isoformat(),
    }
    assert body["triggerer"]["status"] is None  # Slipstream has no triggerer


def test_a_heartbeat_older_than_the_threshold_is_unhealthy(
    api_db: Database, anonymous_client: TestClient
) -> None:
    beat = _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=31)  # default threshold: 30 s
    _register(api_db, jobs.DAG_PROCESSOR_JOB_TYPE, age=45)
    body = _health(anonymous_client)
    assert body["scheduler"] == {
        "status": "unhealthy",
        "latest_scheduler_heartbeat": beat.isoformat(),
    }
    assert body["dag_processor"]["status"] == "unhealthy"


def test_a_stopped_component_is_unhealthy_but_never_hides_a_live_one(
    api_db: Database, anonymous_client: TestClient
) -> None:
    stopped = _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=1, ended=True)
    assert _health(anonymous_client)["scheduler"] == {
        "status": "unhealthy",
        "latest_scheduler_heartbeat": stopped.isoformat(),
    }
    live = _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=3)  # older beat, but running
    _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=0.5, ended=True)
    assert _health(anonymous_client)["scheduler"] == {
        "status": "healthy",
        "latest_scheduler_heartbeat": live.isoformat(),
    }


@pytest.fixture
def strict_threshold_client(
    api_db: Database, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    from slipstream.api import create_app
    from slipstream.config import get_config, reset_config_cache

    monkeypatch.setenv("SLIPSTREAM__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD", "2")
    reset_config_cache()
    with TestClient(create_app(get_config(), db=api_db)) as client:
        yield client


def test_the_threshold_is_the_schedulers_health_check_threshold(
    api_db: Database, strict_threshold_client: TestClient
) -> None:
    _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=5)
    assert _health(strict_threshold_client)["scheduler"]["status"] == "unhealthy"
    _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=0)
    assert _health(strict_threshold_client)["scheduler"]["status"] == "healthy"


def test_an_unreachable_database_is_reported_not_a_5xx(migrated_home: Path, tmp_path: Path) -> None:
    from slipstream.api import create_app
    from slipstream.config import get_config

    broken = Database(f"sqlite:///{tmp_path}/no/such/folder/slipstream.db")
    with TestClient(create_app(get_config(), db=broken)) as client:
        body = _health(client)
    broken.dispose()
    assert body["metadatabase"] == {"status": "unhealthy"}
    assert body["scheduler"]["status"] == "unhealthy"


def test_job_types_are_the_ones_the_components_register_with() -> None:
    from slipstream.cli.dag_processor_cmd import JOB_TYPE as PROCESSOR_JOB_TYPE
    from slipstream.scheduler.health import JOB_TYPE as SCHEDULER_JOB_TYPE

    assert jobs.SCHEDULER_JOB_TYPE == SCHEDULER_JOB_TYPE
    assert jobs.DAG_PROCESSOR_JOB_TYPE == PROCESSOR_JOB_TYPE


def test_version_needs_no_login(anonymous_client: TestClient) -> None:
    response = anonymous_client.get("/api/v2/version")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == __version__
    assert set(body) == {"version", "git_version"}
    git = body["git_version"]
    assert git is None or (len(git) == 40 and int(git, 16) >= 0)


@pytest.mark.integration
def test_official_client_reads_health_and_version_without_a_token(
    live_api: LiveApi, api_db: Database, airflow_client: Callable[[str], Any]
) -> None:
    import airflow_client.client as af

    beat = _register(api_db, jobs.SCHEDULER_JOB_TYPE, age=1)
    with af.ApiClient(af.Configuration(host=live_api.url)) as anonymous:
        health = af.MonitorApi(anonymous).get_health()
        version = af.VersionApi(anonymous).get_version()
    assert health.metadatabase.status == "healthy"
    assert health.scheduler.status == "healthy"
    assert health.scheduler.latest_scheduler_heartbeat == beat.isoformat()
    assert health.triggerer.status is None
    assert health.dag_processor is not None and health.dag_processor.status is None
    assert version.version == __version__

    with airflow_client("viewer") as logged_in:  # a token does no harm
        assert af.MonitorApi(logged_in).get_health().metadatabase.status == "healthy"
