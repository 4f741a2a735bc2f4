"""Fixtures of the UI tests: the real `slipstream api-server` on a home holding DAGs, runs and an
import error (`server`, one per test module), and headless Chromium driven by Playwright
(`browser`, `page`, `new_page`, `login`).

The home has one user per role (`admin`, `op`, `user`, `viewer`, with the API tests' `PASSWORDS`)
and the `Catalog` below. Tests that change it (pause, trigger) use DAGs no other test looks at
closely, so the tests of a module can share one server.

Chromium is Debian's (`/usr/bin/chromium`; `make deps` installs it); Playwright never downloads
a browser. The flags keep Chromium from reaching out to the network at start.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from slipstream.db.engine import Database
from slipstream.db.store import runs as run_store
from slipstream.ui import STATIC_DIR
from tests.api import conftest as api_fixtures
from tests.api import dag_files
from tests.api.conftest import PASSWORDS, ROLES, LiveApi
from tests.scheduler.helpers import Harness

# The API tests' fixtures used here (`test_serving` builds the application in-process).
_password_hashes = api_fixtures._password_hashes
api_db = api_fixtures.api_db
api_app = api_fixtures.api_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How long a UI expectation may wait: the page refreshes its data every 3 s.
TIMEOUT_MS = 10_000

GENERATED = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

for number in range(30):
    with DAG(f"gen_{number:02d}", schedule=None, tags=["generated"]):
        EmptyOperator(task_id="only")
"""

# The catalog's DAGs sorted by display name (lower-cased), as the page lists them, and the
# display names that differ from the ids.
ORDER = ["etl_daily", "etl_hourly", *(f"gen_{n:02d}" for n in range(30)), "report"]
DISPLAY_NAMES = {"etl_daily": "ETL Daily", "report": "Weekly Report"}


def fill_catalog(db: Database, folder: Path) -> None:
    """33 DAGs (etl_daily, etl_hourly, gen_00 … gen_29 and report, which is paused), runs of
    etl_daily (success, failed, success), etl_hourly (failed) and report (success), 120 queued
    runs of gen_20 newer than all those (more than one batch of runs holds), and `broken.py`,
    which fails to import."""
    dag_files.write(
        folder,
        {
            "etl.py": dag_files.ETL,
            "report.py": dag_files.REPORT,
            "generated.py": GENERATED,
            "broken.py": dag_files.BROKEN,
        },
    )
    harness = Harness(db)
    dag_files.parse_into(db, folder, harness.clock.now())
    for outcome in ("success", "failed", "success"):
        harness.trigger("etl_daily")
        harness.run_to_end({"extract": _finished_as(outcome)})
        harness.clock.advance(dt.timedelta(hours=1))
    harness.trigger("etl_hourly")
    harness.run_to_end({"sync": _finished_as("failed")})
    harness.trigger("report")
    harness.run_to_end()
    harness.set_paused("report", True)
    start = harness.clock.now()
    with db.begin() as session:
        for minute in range(1, 121):
            when = start + dt.timedelta(minutes=minute)
            run_store.trigger_run(session, "gen_20", now=when, logical_date=when)


def _finished_as(state: str) -> Callable[[Harness, Any], None]:
    """An outcome ending the try as `state`, whatever its retries."""
    return lambda harness, workload: harness.finish(workload, state)


def require_built_ui() -> None:
    """Fails the test at once, saying what to do, when the UI's bundle is missing."""
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail(f"The UI is not built in {STATIC_DIR}: run `make ui`", pytrace=False)


@contextmanager
def serve_api(home: Path, env: dict[str, str]) -> Iterator[LiveApi]:
    """`slipstream api-server` on `home` (prepared by `_prepare_home`, which gave `env`), on a
    free port, once it answers; stopped (killed if it lingers) on leaving. Its output goes to
    `home/api-server.log`, shown when it fails to start."""
    port = api_fixtures._free_port()
    script = str(Path(sys.executable).with_name("slipstream"))
    log_path = home / "api-server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [script, "api-server", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            api_fixtures._wait_until_serving(url, process, log_path)
            yield LiveApi(url, process)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    _password_hashes: dict[str, str],
) -> Iterator[LiveApi]:
    """`slipstream api-server` on a home of its own holding the catalog, for a whole module."""
    require_built_ui()
    home = tmp_path_factory.mktemp("ui_home")
    env = _prepare_home(home, _sqlite_template, _password_hashes)
    with serve_api(home, env) as live:
        yield live


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    _password_hashes: dict[str, str],
) -> Iterator[LiveApi]:
    """`slipstream standalone` (scheduler, DAG processor, local executor and API server) on a
    home of its own, for a whole module: the journeys that watch runs happen.

    The home has one user per role and the DAG files of the test module's `LIVE_DAG_FILES`
    (file name: source); the fixture yields once the API answers and every DAG id of the
    module's `LIVE_DAG_IDS` is stored. Runs are the module's to trigger.
    """
    require_built_ui()
    files: dict[str, str] = request.module.LIVE_DAG_FILES
    dag_ids: list[str] = list(request.module.LIVE_DAG_IDS)
    home = tmp_path_factory.mktemp("ui_live_home")
    env = _prepare_home(home, _sqlite_template, _password_hashes, catalog=False)
    dag_files.write(home / "dags", files)
    port = api_fixtures._free_port()
    env["SLIPSTREAM__API__PORT"] = str(port)
    env["SLIPSTREAM__API__HOST"] = "127.0.0.1"
    script = str(Path(sys.executable).with_name("slipstream"))
    log_path = home / "standalone.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [script, "standalone"], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        live = LiveApi(f"http://127.0.0.1:{port}", process)
        try:
            api_fixtures._wait_until_serving(live.url, process, log_path)
            _wait_for_dags(live, dag_ids, process, log_path)
            yield live
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_dags(
    live: LiveApi, dag_ids: list[str], process: subprocess.Popen[bytes], log: Path
) -> None:
    headers = {"Authorization": f"Bearer {live.token()}"}
    deadline = time.monotonic() + 60
    missing = set(dag_ids)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"standalone exited with {process.returncode}:\n{log.read_text()}")
        found = httpx.get(f"{live.url}/api/v2/dags", params={"limit": 1000}, headers=headers)
        found.raise_for_status()
        missing = set(dag_ids) - {dag["dag_id"] for dag in found.json()["dags"]}
        if not missing:
            return
        time.sleep(0.1)
    raise AssertionError(f"DAGs {sorted(missing)} not stored within 60 s:\n{log.read_text()}")


@pytest.fixture
def live_login(live_server: LiveApi) -> Callable[[Any, str], None]:
    """`live_login(page, "op")`: opens the UI of `live_server` and logs in as that role."""
    from playwright.sync_api import expect

    def log_in(page: Any, role: str = "admin") -> None:
        page.goto(live_server.url + "/")
        fill_login_form(page, role)
        expect(page.get_by_role("heading", name="DAGs")).to_be_visible()

    return log_in


def _prepare_home(
    home: Path, template: Path, hashes: dict[str, str], *, catalog: bool = True
) -> dict[str, str]:
    """A migrated home with the users and (unless `catalog` is false) the catalog; the
    environment that names it."""
    from slipstream.config import ensure_home, get_config, reset_config_cache
    from slipstream.db.session import open_database
    from slipstream.db.store import users

    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("SLIPSTREAM__", "AIRFLOW__")) or name == "SLIPSTREAM_CONFIG":
                patch.delenv(name)
        patch.setenv("SLIPSTREAM_HOME", str(home))
        reset_config_cache()
        try:
            shutil.copyfile(template, home / "slipstream.db")
            ensure_home(get_config())
            db = open_database(get_config())
            with db.begin() as session:
                for role in ROLES:
                    users.create_user(session, role, role=role, password_hash=hashes[role])
            if catalog:
                fill_catalog(db, home / "dags")
            db.dispose()
            return os.environ.copy()
        finally:
            reset_config_cache()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's `chromium` package (`make deps` does, as "
            "root)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """`new_page(**context_options)`: a page in a fresh browser context (its own storage);
    an error the page throws or logs fails the test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    contexts: list[Any] = []
    problems: list[str] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: _check_console(message, problems))
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == []


def _check_console(message: Any, problems: list[str]) -> None:
    # Chromium logs every 4xx answer to fetch; the tests cause some on purpose.
    expected = "Failed to load resource: the server responded with a status of 4"
    if message.type == "error" and not message.text.startswith(expected):
        problems.append(f"console {message.type}: {message.text}")


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture
def login(server: LiveApi) -> Callable[[Any, str], None]:
    """`login(page, "viewer")`: opens the UI and logs in as that role's user."""
    from playwright.sync_api import expect

    def log_in(page: Any, role: str = "admin") -> None:
        page.goto(server.url + "/")
        fill_login_form(page, role)
        expect(page.get_by_role("heading", name="DAGs")).to_be_visible()

    return log_in


def fill_login_form(page: Any, role: str, password: str | None = None) -> None:
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(PASSWORDS[role] if password is None else password)
    page.get_by_role("button", name="Log in").click()


def api(server: LiveApi, method: str, path: str, role: str = "admin", **kwargs: Any) -> Any:
    """A request to the server as that role's user."""
    headers = {"Authorization": f"Bearer {server.token(role)}"}
    return httpx.request(method, server.url + path, headers=headers, **kwargs)


def api_get(server: LiveApi, path: str) -> Any:
    response = api(server, "GET", path)
    assert response.status_code == 200, response.text
    return response.json()


DOCS = Path(__file__).resolve().parents[2] / "docs"


def take_screenshot(page: Any, name: str, tmp_path: Path, *, full_page: bool = False) -> Path:
    """A screenshot `name` of the page, into docs/ when `SLIPSTREAM_UI_SCREENSHOTS=docs` (the
    docs' and the README's images), else into `tmp_path`; it must hold a real picture."""
    folder = DOCS if os.environ.get("SLIPSTREAM_UI_SCREENSHOTS") == "docs" else tmp_path
    target = folder / name
    page.screenshot(path=str(target), full_page=full_page)
    assert target.stat().st_size > 10_000
    return target
