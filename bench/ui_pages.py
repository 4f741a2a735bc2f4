"""The web UI's speed in headless Chromium: how long a user waits for a page to be usable.

- `ui_dags_page_1000`: the DAGs page with 1,001 DAGs stored (1,000 of 10 tasks, 3 finished runs
  each, and the grid's DAG), until its first page of 25 rows is rendered with their recent runs.
- `ui_grid_100x100`: the grid of a DAG of 100 tasks (10 task groups of 10) with 100 runs whose
  10,000 task instances are stored, showing all 100 runs, until every square is rendered.

Each is timed from the navigation's start (the page's `performance.timeOrigin`) to the first
animation frame where the page is complete: the HTML, scripts, styles, the API requests and
the rendering all count. The browser is warm (logged in, one navigation before the timed
ones, assets cached as the server allows). The home is filled through Slipstream's store and
DAG processor functions, then served by a plain `slipstream api-server`: no scheduler runs, so
nothing else competes for the machine while the pages load.

    python bench/ui_pages.py fill HOME   # (internal) fills a migrated home; run by `measure`
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

UI = ["ui_dags_page_1000", "ui_grid_100x100"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
MANY_DAGS = 1000
RUNS_PER_DAG = 3
GRID_DAG = "bench_grid_100"
GRID_RUNS = 100
GROUPS, TASKS_PER_GROUP = 10, 10
PAGE_ROWS = 25
USER, PASSWORD = "bench", "bench-ui-password"

MANY_FILE = """
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

for n in range({count}):
    with DAG(f"bench_ui_{{n:04d}}", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1),
             catchup=False, tags=["team_" + "abcde"[n % 5]]):
        first, last = EmptyOperator(task_id="t0"), EmptyOperator(task_id="t9")
        first >> [EmptyOperator(task_id=f"t{{i}}") for i in range(1, 9)] >> last
"""

GRID_FILE = f'''
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup

with DAG("{GRID_DAG}", schedule=None):
    previous = None
    for g in range({GROUPS}):
        with TaskGroup(f"stage_{{g}}") as stage:
            tasks = [EmptyOperator(task_id=f"step_{{i}}") for i in range({TASKS_PER_GROUP})]
            for upstream, downstream in zip(tasks, tasks[1:]):
                upstream >> downstream
        if previous is not None:
            previous >> stage
        previous = stage
'''

# True once the page is complete; then the time since the navigation started (ms).
DAGS_PAGE_READY = f"""() => {{
  const rows = [...document.querySelectorAll("table.dags:not(.stale) tbody tr")];
  const done = rows.length === {PAGE_ROWS} &&
    rows.every((row) => row.querySelector("ol.runs") || row.textContent.includes("no runs"));
  return done ? performance.now() : false;
}}"""
GRID_READY = f"""() => {{
  const grid = document.querySelector(".grid");
  const rows = grid ? grid.querySelectorAll(".grid-row[data-row-id]") : [];
  const done = rows.length === {GROUPS * (TASKS_PER_GROUP + 1)} &&
    grid.querySelectorAll(".grid-bar").length === {GRID_RUNS} &&
    grid.querySelectorAll(".gc").length === {GROUPS * (TASKS_PER_GROUP + 1) * GRID_RUNS};
  return done ? performance.now() : false;
}}"""


def measure(
    wanted: set[str],
    runs: int,
    add: Callable[[str, float], None],
    log: Callable[[str], None],
    db_url: str | None = None,
) -> None:
    """Fill a fresh home, serve it, and time each wanted page `runs` times (after one warm-up
    navigation); `add(scenario, seconds)` records each figure. SQLite unless `db_url`."""
    home = Path(tempfile.mkdtemp(prefix="slipstream-bench-ui-"))
    slipstream = str(Path(sys.executable).with_name("slipstream"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLIPSTREAM", "AIRFLOW"))}
    env.update({"SLIPSTREAM_HOME": str(home), "SLIPSTREAM__API__ACCESS_LOGFILE": ""})
    if db_url:
        env["SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN"] = db_url
    server: subprocess.Popen[bytes] | None = None
    try:
        started = time.monotonic()
        for command in (["db", "migrate"], ["users", "create", "--username", USER,
                        "--password", PASSWORD, "--role", "admin"]):  # fmt: skip
            subprocess.run([slipstream, *command], env=env, capture_output=True, check=True)
        subprocess.run([sys.executable, __file__, "fill", str(home)], env=env, check=True)
        log(f"  UI home filled in {time.monotonic() - started:.1f} s ({home})")
        port = _free_port()
        with open(home / "api-server.log", "wb") as out:
            server = subprocess.Popen(
                [slipstream, "api-server", "--host", "127.0.0.1", "--port", str(port)],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        _wait_serving(url, server)
        _browse(url, wanted, runs, add, log)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(home, ignore_errors=True)


def _browse(
    url: str, wanted: set[str], runs: int, add: Callable[[str, float], None], log: Any
) -> None:
    from playwright.sync_api import sync_playwright

    pages = {
        "ui_dags_page_1000": (f"{url}/", DAGS_PAGE_READY),
        "ui_grid_100x100": (f"{url}/dags/{GRID_DAG}?runs={GRID_RUNS}", GRID_READY),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{url}/")
            page.get_by_label("Username").fill(USER)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("heading", name="DAGs").wait_for()
            for name, (address, ready) in pages.items():
                if name not in wanted:
                    continue
                for attempt in range(runs + 1):  # the first is a warm-up
                    page.goto(address, wait_until="commit")
                    handle = page.wait_for_function(ready, polling="raf", timeout=60_000)
                    seconds = float(handle.json_value()) / 1000
                    if attempt:
                        add(name, seconds)
                    log(f"  {name}: {1000 * seconds:.0f} ms{' (warm-up)' if not attempt else ''}")
        finally:
            browser.close()


def _wait_serving(url: str, server: subprocess.Popen[bytes]) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"slipstream api-server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/version", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("slipstream api-server did not answer within 60 s")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- filling the home (in a process of its own, with SLIPSTREAM_HOME set) ----------------------


def fill(home: Path) -> None:
    """1,000 DAGs with 3 finished runs each, and the grid's DAG with 100 runs of 100 TIs."""
    from slipstream.config import get_config
    from slipstream.dag_processing.collection import save_results
    from slipstream.dag_processing.parse_worker import parse_file
    from slipstream.db.session import open_database

    folder = home / "dags"
    folder.mkdir(exist_ok=True)
    (folder / "many.py").write_text(textwrap.dedent(MANY_FILE.format(count=MANY_DAGS)))
    (folder / "grid.py").write_text(textwrap.dedent(GRID_FILE))
    files = sorted(str(path) for path in folder.glob("*.py"))
    results = [parse_file(path, str(folder)) for path in files]
    now = dt.datetime.now(dt.UTC)
    db = open_database(get_config())
    with db.begin() as session:
        save_results(session, results, now=now, present_files=files, paused_at_creation=True)
    dags = {dag.dag_id: dag for result in results for dag in result.dags}
    assert len(dags) == MANY_DAGS + 1, sorted(dags)[:5]
    with db.begin() as session:
        _add_runs(session, [d for d in dags if d != GRID_DAG], RUNS_PER_DAG, now, tasks=None)
        _add_runs(session, [GRID_DAG], GRID_RUNS, now, tasks=dags[GRID_DAG])
    db.dispose()


def _add_runs(session: Any, dag_ids: list[str], count: int, now: dt.datetime, tasks: Any) -> None:
    """`count` finished manual runs of each DAG, an hour apart (one in 7 failed); with `tasks`
    (the DAG's `ParsedDag`), a task instance of each of its tasks in each run."""
    from sqlalchemy import insert, select

    from slipstream.db.models import DagRun, TaskInstance
    from slipstream.db.store import serialized_dags

    versions = serialized_dags.latest_versions(session, dag_ids)
    rows = []
    for dag_id in dag_ids:
        for n in range(count):
            start = now - dt.timedelta(hours=count - n)
            end = start + dt.timedelta(seconds=30 + (n * 37) % 600)
            rows.append({
                "dag_id": dag_id, "run_id": f"manual__{start.isoformat()}", "run_type": "manual",
                "run_after": start, "queued_at": start, "start_date": start, "end_date": end,
                "state": "failed" if n % 7 == 3 else "success", "conf": {},
                "serialized_dag_id": versions[dag_id].id, "needs_scheduling": False,
                "triggered_by": "rest_api",
            })  # fmt: skip
    session.execute(insert(DagRun), rows)
    if tasks is None:
        return
    task_ids = [task["task_id"] for task in tasks.record["tasks"]]
    runs = session.execute(select(DagRun.id, DagRun.run_id, DagRun.start_date, DagRun.state)
                           .where(DagRun.dag_id.in_(dag_ids))).all()  # fmt: skip
    instances = []
    for run_pk, run_id, start, state in runs:
        failed_at = 37 if state == "failed" else None
        for position, task_id in enumerate(task_ids):
            began = start + dt.timedelta(seconds=position * 3)
            ti_state = "success"
            if failed_at is not None and position >= failed_at:
                ti_state = "failed" if position == failed_at else "upstream_failed"
            ran = ti_state != "upstream_failed"
            instances.append({
                "dag_run_id": run_pk, "dag_id": tasks.dag_id, "run_id": run_id, "task_id": task_id,
                "map_index": -1, "state": ti_state, "try_number": 1 if ran else 0,
                "start_date": began if ran else None,
                "end_date": began + dt.timedelta(seconds=2 + position % 5) if ran else None,
                "duration": float(2 + position % 5) if ran else None, "operator": "EmptyOperator",
            })  # fmt: skip
    session.execute(insert(TaskInstance), instances)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fill":
        fill(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
