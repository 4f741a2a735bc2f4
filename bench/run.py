"""Slipstream's benchmark harness: honest timings of what users wait for.

Each scenario runs several times after a warm-up; we report median, min and max. Wall times of
commands are taken from outside the process, as a user experiences them. Results go to
`bench/results/latest.json` and a markdown table on stdout.

    python bench/run.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stack import Stack

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
SLIPSTREAM = str(Path(PYTHON).with_name("slipstream"))


def timed_command(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of one command, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}):\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def reported_value(cmd: list[str]) -> float:
    """A figure a helper process measured itself and printed as its last line."""
    out = subprocess.run(cmd, capture_output=True, check=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def scenario_import_sdk() -> float:
    return timed_command(
        [PYTHON, "-c", "import slipstream.sdk; from slipstream.sdk import DAG, task"]
    )


LOAD_SNIPPET = """
import time, sys
import slipstream.sdk, slipstream.dagfiles.bag as b
from slipstream.sdk import DAG, task
from slipstream.sdk.operators.empty import EmptyOperator
t = time.perf_counter()
bag = b.DagBag(sys.argv[1])
elapsed = time.perf_counter() - t
assert len(bag.dags) == 2 and not bag.import_errors, bag.import_errors
print(elapsed)
"""


def scenario_load_1000_tasks() -> float:
    return reported_value([PYTHON, "-c", LOAD_SNIPPET, str(BENCH / "big_dags")])


def scenario_dags_test(dag_id: str) -> Callable[[], float]:
    def run() -> float:
        return timed_command(
            [SLIPSTREAM, "dags", "test", dag_id, "--dags-folder", str(BENCH / "dags"), "-o", "json"]
        )

    return run


SIMPLE: dict[str, tuple[str, Callable[[], float]]] = {
    "import_sdk": ("s", scenario_import_sdk),
    "load_1000_tasks": ("s", scenario_load_1000_tasks),
    "dags_test_chain20": ("s", scenario_dags_test("bench_chain20")),
    "dags_test_fanout100": ("s", scenario_dags_test("bench_fanout100")),
}


def measure(fn: Callable[[], float], runs: int) -> list[float]:
    fn()  # warm-up: page cache, .pyc files
    return [fn() for _ in range(runs)]


# --- the engine: scheduler, local executor, standalone ------------------------------------------

BENCH_DAGS = ["bench_chain20", "bench_fanout100", "bench_fanout1000"]
IDLE_SETTLE_S = 5.0
IDLE_SLICE_S = 15.0

ENGINE_UNITS = {
    "ready": "s",
    "sched_chain20": "s",
    "sched_gap": "s",
    "sched_gap_p95": "s",
    "sched_fanout100": "s",
    "sched_fanout1000": "s",
    "sched_tis_per_s": "TI/s",
    "idle_cpu": "%",
    "idle_rss": "MB",
}


def new_stack() -> Stack:
    return Stack(SLIPSTREAM, BENCH / "dags", BENCH_DAGS)


def engine_ready(runs: int) -> dict[str, list[float]]:
    """Fresh home to ready, once per run (plus a warm-up), each in a new home."""
    values = []
    for i in range(runs + 1):
        with new_stack() as stack:
            ready = stack.start()
        if i:  # the first was the warm-up (page cache, .pyc files)
            values.append(ready)
    return {"ready": values}


def chain_gaps(stack: Stack, dag_id: str, run_id: str) -> list[float]:
    """End → start gaps between consecutive tasks of a chain (task ids sort in chain order)."""
    tis = stack.task_instances(dag_id, run_id)
    gaps = []
    for before, after in itertools.pairwise(tis):
        assert before.end_date is not None and after.start_date is not None
        gaps.append((after.start_date - before.end_date).total_seconds())
    return gaps


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def engine_scheduler(runs: int, quick: bool, wanted: set[str]) -> dict[str, list[float]]:
    """One stack: the chain, the fan-outs, then the idle stack, each after a warm-up run."""
    out: dict[str, list[float]] = {}
    with new_stack() as stack:
        stack.start()
        if wanted & {"sched_chain20", "sched_gap", "sched_gap_p95"}:
            stack.run("bench_chain20")  # warm-up
            for _ in range(runs):
                done = stack.run("bench_chain20")
                gaps = chain_gaps(stack, "bench_chain20", done.run_id)
                out.setdefault("sched_chain20", []).append(done.duration)
                out.setdefault("sched_gap", []).append(statistics.median(gaps))
                out.setdefault("sched_gap_p95", []).append(percentile(gaps, 0.95))
                print(f"  chain20 run: {done.duration:.3f} s", file=sys.stderr)
        if "sched_fanout100" in wanted:
            stack.run("bench_fanout100")  # warm-up
            for _ in range(runs):
                done = stack.run("bench_fanout100")
                out.setdefault("sched_fanout100", []).append(done.duration)
                print(f"  fanout100 run: {done.duration:.3f} s", file=sys.stderr)
        if wanted & {"sched_fanout1000", "sched_tis_per_s"}:
            if not quick:
                stack.run("bench_fanout1000")  # warm-up
            for _ in range(2 if quick else 3):
                done = stack.run("bench_fanout1000")
                count = len(stack.task_instances("bench_fanout1000", done.run_id))
                out.setdefault("sched_fanout1000", []).append(done.duration)
                out.setdefault("sched_tis_per_s", []).append(count / done.duration)
                print(f"  fanout1000 run: {done.duration:.3f} s", file=sys.stderr)
        if wanted & {"idle_cpu", "idle_rss"}:
            if not out:
                stack.run("bench_chain20")  # an idle stack is one that has worked
            out.update(idle(stack, slices=1 if quick else 4))
    return out


def idle(stack: Stack, slices: int) -> dict[str, list[float]]:
    """CPU (% of one core) and total RSS (MB) of the idle tree, per slice of IDLE_SLICE_S."""
    time.sleep(IDLE_SETTLE_S)
    cpu, rss = [], []
    for _ in range(slices):
        start_cpu, start = stack.cpu_seconds(), time.monotonic()
        samples = []
        while time.monotonic() - start < IDLE_SLICE_S:
            time.sleep(1.0)
            samples.append(stack.rss_bytes() / 2**20)
        elapsed = time.monotonic() - start
        cpu.append(100.0 * (stack.cpu_seconds() - start_cpu) / elapsed)
        rss.append(statistics.median(samples))
        print(f"  idle slice: {cpu[-1]:.2f} % CPU, {rss[-1]:.0f} MB", file=sys.stderr)
    return {"idle_cpu": cpu, "idle_rss": rss}


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def summary(name: str, unit: str, values: list[float]) -> dict[str, object]:
    return {
        "name": name,
        "system": "slipstream",
        "unit": unit,
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", nargs="*", help="scenario names to run")
    parser.add_argument("--out", default=str(BENCH / "results" / "latest.json"))
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    every = [*SIMPLE, *ENGINE_UNITS]
    unknown = set(args.only or ()) - set(every)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    wanted = set(args.only or every)
    results = []

    def report(name: str, unit: str, values: list[float]) -> None:
        results.append(summary(name, unit, values))
        print(f"{name}: median {statistics.median(values):.4g} {unit}", file=sys.stderr)

    for name, (unit, fn) in SIMPLE.items():
        if name in wanted:
            report(name, unit, measure(fn, runs))
    engine: dict[str, list[float]] = {}
    if "ready" in wanted:
        engine.update(engine_ready(runs))
    if wanted & (set(ENGINE_UNITS) - {"ready"}):
        engine.update(engine_scheduler(3 if args.quick else 5, args.quick, wanted))
    for name, unit in ENGINE_UNITS.items():
        if name in wanted and name in engine:
            report(name, unit, engine[name])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "scenarios": results}, indent=2))
    print("| scenario | system | median | min | max | runs |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['name']} | {r['system']} | {r['median']:.4g} {r['unit']} | "
            f"{r['min']:.4g} | {r['max']:.4g} | {r['runs']} |"
        )


if __name__ == "__main__":
    os.environ.setdefault("SLIPSTREAM_HOME", tempfile.mkdtemp(prefix="slipstream-bench-"))
    main()
