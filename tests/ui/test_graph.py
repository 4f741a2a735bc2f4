"""The DAG page's graph, code and details tabs and a run's Gantt chart, in headless Chromium
against a real `slipstream standalone` that runs the DAGs below.

`shapes` has nested task groups, edge labels, a mapped task, params and docs; its one run
(triggered by the `shapes_run` fixture) ends failed: `broken` fails and `cleanup` is
upstream_failed, everything else succeeds. `slow` runs one task long enough to watch it grow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import combinations
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.api.conftest import LiveApi
from tests.ui.conftest import api

pytestmark = pytest.mark.integration

Login = Callable[[Any, str], None]
RUN_TIMEOUT_MS = 60_000

SHAPES = """
from airflow.sdk import DAG, Label, Param, TaskGroup, task
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(
    "shapes",
    schedule=None,
    description="Groups, labels and a mapped task",
    tags=["ui"],
    params={
        "size": Param(3, type="integer", minimum=1, description="How many items to double"),
        "mode": Param("fast", enum=["fast", "slow"]),
    },
    default_args={"owner": "gina", "retries": 0},
    doc_md="# Shapes\\nDrawn by the graph tests.",
):
    start = EmptyOperator(task_id="start")
    with TaskGroup("prepare", tooltip="Gets things ready") as prepare:
        fetch = BashOperator(task_id="fetch", bash_command="echo fetched")
        with TaskGroup("checks") as checks:
            BashOperator(task_id="schema", bash_command="echo schema")
            BashOperator(task_id="rows", bash_command="echo rows")
        fetch >> checks

    @task
    def double(x):
        return 2 * x

    @task
    def broken():
        raise ValueError("broken on purpose")

    doubled = double.expand(x=[1, 2, 3])
    publish = BashOperator(task_id="publish", bash_command="echo published")
    cleanup = EmptyOperator(task_id="cleanup")
    start >> Label("ready") >> prepare >> doubled >> Label("all doubled") >> publish
    start >> Label("on the side") >> broken() >> cleanup
"""

SLOW = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator

with DAG("slow", schedule=None):
    BashOperator(task_id="nap", bash_command="sleep 10")
"""

LIVE_DAG_FILES = {"shapes.py": SHAPES, "slow.py": SLOW}
LIVE_DAG_IDS = ["shapes", "slow"]

SHAPES_TASKS = [
    "start",
    "prepare.fetch",
    "prepare.checks.schema",
    "prepare.checks.rows",
    "double",
    "publish",
    "broken",
    "cleanup",
]


def trigger(live_server: LiveApi, dag_id: str) -> str:
    """Unpauses the DAG and triggers a run of it now; its run id."""
    unpaused = api(live_server, "PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})
    assert unpaused.status_code == 200, unpaused.text
    run = api(live_server, "POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None})
    assert run.status_code == 200, run.text
    return str(run.json()["dag_run_id"])


@pytest.fixture(scope="module")
def shapes_run(live_server: LiveApi) -> Iterator[str]:
    yield trigger(live_server, "shapes")


def node(page: Any, task_id: str) -> Any:
    return page.locator(f'.graph-node[data-task-id="{task_id}"]')


def open_tab(page: Any, live_server: LiveApi, path: str) -> None:
    page.goto(live_server.url + path)


def wait_for_the_run_to_end(page: Any) -> None:
    """The graph shows the run's last task states (the run finishes within a minute)."""
    expect(node(page, "publish")).to_have_attribute("data-state", "success", timeout=RUN_TIMEOUT_MS)
    expect(node(page, "cleanup")).to_have_attribute(
        "data-state", "upstream_failed", timeout=RUN_TIMEOUT_MS
    )


def boxes(page: Any, selector: str) -> dict[str, dict[str, float]]:
    """The on-screen boxes of the elements matching `selector`, by their data id."""
    found: dict[str, dict[str, float]] = page.evaluate(
        """(selector) => Object.fromEntries([...document.querySelectorAll(selector)].map((el) => {
            const id = el.dataset.taskId ?? el.dataset.groupId;
            const box = el.querySelector("rect").getBoundingClientRect();
            return [id, {x: box.x, y: box.y, width: box.width, height: box.height}];
        }))""",
        selector,
    )
    return found


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        outer["x"] <= inner["x"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and outer["y"] <= inner["y"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


def test_graph_lays_out_groups_and_labels(
    page: Any, live_login: Login, live_server: LiveApi
) -> None:
    live_login(page, "viewer")
    open_tab(page, live_server, "/dags/shapes/graph")
    expect(page.locator(".graph-node")).to_have_count(len(SHAPES_TASKS))
    expect(node(page, "prepare.checks.schema")).to_contain_text("schema")
    expect(node(page, "prepare.fetch")).to_contain_text("BashOperator")
    expect(page.locator(".graph-cluster")).to_have_count(2)
    labels = page.locator(".graph-edge-label")
    expect(labels).to_have_count(3)
    assert sorted(labels.all_text_contents()) == ["all doubled", "on the side", "ready"]
    expect(
        page.locator('.graph-edge[data-source="start"][data-target="prepare.fetch"]')
    ).to_have_count(1)

    tasks = boxes(page, ".graph-node")
    assert sorted(tasks) == sorted(SHAPES_TASKS)
    for (first, a), (second, b) in combinations(tasks.items(), 2):
        assert not overlap(a, b), f"{first} overlaps {second}"
    frames = boxes(page, ".graph-cluster")
    assert inside(frames["prepare.checks"], frames["prepare"])
    for task_id in ("prepare.fetch", "prepare.checks.schema", "prepare.checks.rows"):
        assert inside(tasks[task_id], frames["prepare"]), task_id
    for task_id in ("start", "double", "publish", "broken", "cleanup"):
        assert not overlap(tasks[task_id], frames["prepare"]), task_id
    # left to right: each task right of its upstream
    assert tasks["start"]["x"] + tasks["start"]["width"] < tasks["prepare.fetch"]["x"]
    assert (
        tasks["prepare.checks.rows"]["x"] + tasks["prepare.checks.rows"]["width"]
        < tasks["double"]["x"]
    )
    # The graph fits the page's width.
    width = page.evaluate("document.documentElement.clientWidth")
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= width for box in tasks.values())


def test_graph_zooms_and_pans(page: Any, live_login: Login, live_server: LiveApi) -> None:
    live_login(page, "viewer")
    open_tab(page, live_server, "/dags/shapes/graph")
    graph = page.locator("svg.graph")
    expect(node(page, "start")).to_be_visible()
    whole = str(graph.get_attribute("viewBox"))
    x, y, width, height = map(float, whole.split())
    frame = graph.bounding_box()
    assert frame is not None
    page.mouse.move(frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    page.mouse.wheel(0, -300)
    expect(graph).not_to_have_attribute("viewBox", whole)
    zoomed = [float(n) for n in str(graph.get_attribute("viewBox")).split()]
    assert zoomed[2] < width and zoomed[3] < height  # closer: a smaller part of the drawing
    page.mouse.down()
    page.mouse.move(
        frame["x"] + frame["width"] / 2 + 120, frame["y"] + frame["height"] / 2, steps=5
    )
    page.mouse.up()
    panned = [float(n) for n in str(graph.get_attribute("viewBox")).split()]
    assert panned[0] < zoomed[0] and panned[2:] == zoomed[2:]  # dragged right: shows more left
    page.get_by_role("button", name="Fit").click()
    expect(graph).to_have_attribute("viewBox", whole)
    expect(page.get_by_role("button", name="Fit")).to_have_count(0)
    assert (x, y) == (0, 0)


def test_graph_colours_the_states_of_the_newest_run(
    page: Any, live_login: Login, live_server: LiveApi, shapes_run: str
) -> None:
    live_login(page, "viewer")
    open_tab(page, live_server, "/dags/shapes/graph")
    expect(page.locator(".run-picker select")).to_have_value(shapes_run)
    wait_for_the_run_to_end(page)
    for task_id in ("start", "prepare.fetch", "prepare.checks.rows", "double"):
        expect(node(page, task_id)).to_have_attribute("data-state", "success")
    expect(node(page, "broken")).to_have_attribute("data-state", "failed")
    expect(node(page, "double")).to_contain_text("double [3]")
    expect(node(page, "broken")).to_contain_text("failed")
    expect(page.locator(".run-state")).to_have_text("failed")
    # The box is drawn in the state's colour of the theme.
    colours = page.evaluate(
        """() => {
            const body = (id) => getComputedStyle(document.querySelector(
                `.graph-node[data-task-id="${id}"] .graph-node-body`)).stroke;
            const probe = document.createElement("div");
            document.body.append(probe);
            const colour = (state) => {
                probe.style.color = `var(--state-${state})`;
                return getComputedStyle(probe).color;
            };
            return {broken: [body("broken"), colour("failed")],
                    publish: [body("publish"), colour("success")]};
        }"""
    )
    assert colours["broken"][0] == colours["broken"][1]
    assert colours["publish"][0] == colours["publish"][1]
    assert colours["broken"][0] != colours["publish"][0]


def test_a_drag_the_browser_cancels_stops_panning(
    page: Any, live_login: Login, live_server: LiveApi
) -> None:
    live_login(page, "viewer")
    open_tab(page, live_server, "/dags/shapes/graph")
    graph = page.locator("svg.graph")
    expect(node(page, "start")).to_be_visible()
    page.evaluate(
        """() => document.querySelector("svg.graph").addEventListener(
            "pointerdown", (event) => { window.dragPointer = event.pointerId; })"""
    )
    frame = graph.bounding_box()
    assert frame is not None
    x, y = frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y, steps=4)
    dragged = str(graph.get_attribute("viewBox"))
    pointer = page.evaluate("window.dragPointer")
    graph.dispatch_event("pointercancel", {"pointerId": pointer, "bubbles": True})
    page.mouse.move(x + 160, y, steps=4)  # the drag is over: this moves nothing
    assert graph.get_attribute("viewBox") == dragged
    page.mouse.up()
    expect(graph).to_have_attribute("viewBox", dragged)


def test_runs_that_cannot_be_loaded_are_reported(
    page: Any, live_login: Login, live_server: LiveApi
) -> None:
    refusal = {"status": 400, "json": {"detail": "Runs held back by the test"}}
    page.route(
        lambda url: "/api/v2/dags/shapes/dagRuns?" in url, lambda route: route.fulfill(**refusal)
    )
    live_login(page, "viewer")
    open_tab(page, live_server, "/dags/shapes/graph")
    expect(page.get_by_role("alert")).to_contain_text(
        "Could not load the DAG's runs: Runs held back by the test"
    )
    expect(node(page, "start")).to_be_visible()  # the graph itself is drawn


def test_a_collapsed_group_shows_the_state_the_server_ranks_first(
    page: Any, live_login: Login, live_server: LiveApi, shapes_run: str
) -> None:
    """The graph combines states in the server's order (`state_priority`, the grid's): a group
    with a running and a queued task shows running."""
    doctored = {"prepare.fetch": "queued", "prepare.checks.schema": "running",
                "prepare.checks.rows": "success"}  # fmt: skip

    def answer(route: Any) -> None:
        body = route.fetch().json()
        for ti in body["task_instances"]:
            ti["state"] = doctored.get(ti["task_id"], ti["state"])
        route.fulfill(json=body)

    page.route(re.compile(r"/ui/runs/shapes/"), answer)
    live_login(page, "viewer")
    open_tab(page, live_server, f"/dags/shapes/graph?run_id={quote(shapes_run, safe='')}")
    expect(node(page, "prepare.fetch")).to_have_attribute("data-state", "queued")
    expect(node(page, "prepare.checks.schema")).to_have_attribute("data-state", "running")
    page.get_by_role("button", name="Collapse group prepare", exact=True).click()
    group = page.locator('.graph-group[data-group-id="prepare"]')
    priority = api(live_server, "GET", f"/ui/runs/shapes/{quote(shapes_run, safe='')}").json()[
        "state_priority"
    ]
    assert priority.index("running") < priority.index("queued")
    expect(group).to_have_attribute("data-state", "running")


def test_collapsing_and_expanding_a_group(
    page: Any, live_login: Login, live_server: LiveApi, shapes_run: str
) -> None:
    live_login(page, "viewer")
    open_tab(page, live_server, f"/dags/shapes/graph?run_id={quote(shapes_run, safe='')}")
    wait_for_the_run_to_end(page)
    page.get_by_role("button", name="Collapse group prepare", exact=True).click()
    group = page.locator('.graph-group[data-group-id="prepare"]')
    expect(group).to_contain_text("3 tasks")
    expect(group).to_have_attribute("data-state", "success")
    expect(page.locator(".graph-node")).to_have_count(len(SHAPES_TASKS) - 2)
    expect(node(page, "prepare.fetch")).to_have_count(0)
    expect(page.locator(".graph-cluster")).to_have_count(0)
    # The edges into and out of the group now attach to it, with their labels.
    into = page.locator('.graph-edge[data-source="start"][data-target="prepare"]')
    expect(into.locator(".graph-edge-label")).to_have_text("ready")
    expect(page.locator('.graph-edge[data-source="prepare"][data-target="double"]')).to_have_count(
        1
    )
    shown = boxes(page, ".graph-node")
    for (first, a), (second, b) in combinations(shown.items(), 2):
        assert not overlap(a, b), f"{first} overlaps {second}"

    group.click()
    expect(node(page, "prepare.fetch")).to_be_visible()
    expect(page.locator(".graph-cluster")).to_have_count(2)
    page.get_by_role("button", name="Collapse all").click()
    expect(page.locator(".graph-group")).to_have_count(1)
    page.get_by_role("button", name="Expand all").click()
    expect(page.locator(".graph-node")).to_have_count(len(SHAPES_TASKS))


def test_clicking_a_task_opens_its_task_instance(
    page: Any, live_login: Login, live_server: LiveApi, shapes_run: str
) -> None:
    live_login(page, "user")
    open_tab(page, live_server, "/dags/shapes/graph")
    expect(node(page, "prepare.checks.rows")).to_have_attribute("data-state", re.compile(r"\w"))
    node(page, "prepare.checks.rows").click()
    run = quote(shapes_run, safe="")
    expect(page).to_have_url(f"{live_server.url}/dags/shapes/runs/{run}/tasks/prepare.checks.rows")


def test_code_tab_shows_the_file(page: Any, live_login: Login, live_server: LiveApi) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    live_login(page, "viewer")
    open_tab(page, live_server, "/dags/shapes/code")
    expect(page.locator(".code-path")).to_have_text(re.compile(r"/dags/shapes\.py$"))
    lines = page.locator(".code-line")
    source = SHAPES.removesuffix("\n").split("\n")
    expect(lines).to_have_count(len(source))
    expect(
        lines.nth(
            source.index('    with TaskGroup("prepare", tooltip="Gets things ready") as prepare:')
        )
    ).to_have_text('    with TaskGroup("prepare", tooltip="Gets things ready") as prepare:')
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_contain_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == SHAPES  # the line numbers are not copied


def test_details_tab_shows_settings_and_params(
    page: Any, live_login: Login, live_server: LiveApi
) -> None:
    live_login(page, "viewer")
    open_tab(page, live_server, "/dags/shapes/details")
    details = page.locator("table.details").first

    def value(name: str) -> Any:
        return details.locator("tr", has=page.locator(f'th:text-is("{name}")')).locator("td")

    expect(value("Description")).to_have_text("Groups, labels and a mapped task")
    expect(value("Schedule")).to_contain_text("None")
    expect(value("Catchup")).to_have_text("No")
    expect(value("Owners")).to_have_text("gina")
    expect(value("Tags")).to_have_text("ui")
    expect(value("File")).to_have_text(re.compile(r"shapes\.py$"))
    expect(value("Version")).to_contain_text("1 (stored")
    size = page.locator('tr[data-param="size"] td')
    expect(size).to_have_text(["size", "3", "integer", "How many items to double"])
    expect(page.locator('tr[data-param="mode"] td').nth(2)).to_have_text('one of "fast", "slow"')
    expect(page.locator("table.default-args")).to_contain_text("owner")
    expect(page.locator("table.default-args")).to_contain_text('"gina"')
    expect(page.locator("pre.doc-md")).to_have_text("# Shapes\nDrawn by the graph tests.")


def test_gantt_of_a_finished_run(
    page: Any, live_login: Login, live_server: LiveApi, shapes_run: str
) -> None:
    live_login(page, "viewer")
    open_tab(page, live_server, f"/dags/shapes/graph?run_id={quote(shapes_run, safe='')}")
    wait_for_the_run_to_end(page)
    run = quote(shapes_run, safe="")
    open_tab(page, live_server, f"/dags/shapes/runs/{run}")
    gantt = page.locator(".gantt")
    rows = gantt.locator(".gantt-row")
    # One row per task instance (the mapped task's three), in the DAG's task order.
    expect(rows).to_have_count(len(SHAPES_TASKS) + 2)
    labels = [
        "start",
        "fetch",
        "schema",
        "rows",
        "double [0]",
        "double [1]",
        "double [2]",
        "publish",
        "broken",
        "cleanup",
    ]
    expect(rows.locator(".gantt-label")).to_have_text(labels)
    expect(gantt.locator(".gantt-bar")).to_have_count(10)
    expect(gantt.locator('.gantt-row[data-task-id="cleanup"]')).to_have_attribute(
        "data-state", "upstream_failed"
    )
    expect(gantt.locator('.gantt-row[data-task-id="broken"] .gantt-bar')).to_have_attribute(
        "data-state", "failed"
    )
    expect(gantt.locator(".gantt-tick").first).to_be_visible()

    publish = gantt.locator('.gantt-row[data-task-id="publish"]')
    start_box = gantt.locator('.gantt-row[data-task-id="start"] .gantt-bar').bounding_box()
    publish_box = publish.locator(".gantt-bar").bounding_box()
    assert start_box is not None and publish_box is not None
    assert publish_box["x"] > start_box["x"]  # publish started after start

    publish.locator(".gantt-bar").hover()
    tooltip = gantt.get_by_role("tooltip")
    expect(tooltip).to_contain_text("publish")
    expect(tooltip).to_contain_text("success")
    for word in ("Start", "End", "Duration"):
        expect(tooltip.locator("dt", has_text=word)).to_be_visible()
    expect(tooltip.locator("dd").nth(3)).to_have_text(re.compile(r"^\d+(\.\d+)? s$"))

    gantt.locator('.gantt-row[data-task-id="double"][data-map-index="1"] .gantt-bar').click()
    expect(page).to_have_url(f"{live_server.url}/dags/shapes/runs/{run}/tasks/double?map_index=1")


def test_gantt_bar_of_a_running_task_grows(
    page: Any, live_login: Login, live_server: LiveApi
) -> None:
    run_id = trigger(live_server, "slow")
    live_login(page, "viewer")
    open_tab(page, live_server, f"/dags/slow/runs/{quote(run_id, safe='')}")
    bar = page.locator('.gantt .gantt-row[data-task-id="nap"] .gantt-bar')
    expect(bar).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)
    first = bar.get_attribute("aria-label")
    # The page refreshes every 3 s: the bar's duration goes on counting without a reload.
    page.wait_for_function(
        """(first) => {
            const bar = document.querySelector('.gantt-row[data-task-id="nap"] .gantt-bar');
            const label = bar && bar.getAttribute("aria-label");
            return label && label !== first && label.startsWith("nap: running");
        }""",
        arg=first,
        timeout=10_000,
    )
    # Marked success, the bar turns green and stops (and the task is stopped at its next heartbeat).
    path = f"/api/v2/dags/slow/dagRuns/{quote(run_id, safe='')}/taskInstances/nap"
    marked = api(live_server, "PATCH", path, json={"new_state": "success"})
    assert marked.status_code == 200, marked.text
    expect(bar).to_have_attribute("data-state", "success")


def test_picking_another_run(
    page: Any, live_login: Login, live_server: LiveApi, shapes_run: str
) -> None:
    newer = trigger(live_server, "shapes")
    live_login(page, "op")
    open_tab(page, live_server, "/dags/shapes/graph")
    picker = page.locator(".run-picker select")
    expect(picker).to_have_value(newer)
    expect(picker.locator("option")).to_have_count(2)
    picker.select_option(shapes_run)
    older = quote(shapes_run, safe="")
    expect(page).to_have_url(f"{live_server.url}/dags/shapes/graph?run_id={older}")
    expect(page.locator(".run-state")).to_have_attribute("href", f"/dags/shapes/runs/{older}")
    expect(node(page, "broken")).to_have_attribute("data-state", "failed")
    node(page, "publish").click()
    expect(page).to_have_url(f"{live_server.url}/dags/shapes/runs/{older}/tasks/publish")
