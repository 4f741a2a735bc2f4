"""Slipstream's benchmark harness: honest timings of what users wait for.

Each scenario runs several times after a warm-up; we report median, min and max. Wall times of
commands are taken from outside the process, as a user experiences them. Results go to
`bench/results/latest.json` and a markdown table on stdout.

    python bench/run.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
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


SCENARIOS: dict[str, tuple[str, Callable[[], float]]] = {
    "import_sdk": ("s", scenario_import_sdk),
    "load_1000_tasks": ("s", scenario_load_1000_tasks),
    "dags_test_chain20": ("s", scenario_dags_test("bench_chain20")),
    "dags_test_fanout100": ("s", scenario_dags_test("bench_fanout100")),
}


def measure(fn: Callable[[], float], runs: int) -> list[float]:
    fn()  # warm-up: page cache, .pyc files
    return [fn() for _ in range(runs)]


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", nargs="*", help="scenario names to run")
    parser.add_argument("--out", default=str(BENCH / "results" / "latest.json"))
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    results = []
    for name, (unit, fn) in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        values = measure(fn, runs)
        results.append(
            {
                "name": name,
                "system": "slipstream",
                "unit": unit,
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
                "runs": len(values),
            }
        )
        print(f"{name}: median {statistics.median(values):.3f} {unit}", file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "scenarios": results}, indent=2))
    print("| scenario | system | median | min | max | runs |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['name']} | {r['system']} | {r['median']:.3f} {r['unit']} | "
            f"{r['min']:.3f} | {r['max']:.3f} | {r['runs']} |"
        )


if __name__ == "__main__":
    os.environ.setdefault("SLIPSTREAM_HOME", tempfile.mkdtemp(prefix="slipstream-bench-"))
    main()
