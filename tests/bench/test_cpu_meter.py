"""The benchmark's CPU meter counts work once, also when a process and its parent end together
(a retiring supervisor slot reaps its task forker, and the warm worker reaps the slot)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))

from stack import CpuMeter, process_tree

BURN_S = 0.4

TREE = """
import os, sys, time
flag = sys.argv[1]
child = os.fork()
if child == 0:
    grandchild = os.fork()
    if grandchild == 0:
        started = time.process_time()
        while time.process_time() - started < float(sys.argv[2]):
            pass
        open(flag + ".burnt", "w").close()
        while not os.path.exists(flag):
            time.sleep(0.01)
        os._exit(0)
    os.waitpid(grandchild, 0)
    os._exit(0)
os.waitpid(child, 0)
open(flag + ".reaped", "w").close()
time.sleep(60)
"""


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    flag = tmp_path / "go"
    process = subprocess.Popen([sys.executable, "-c", TREE, str(flag), str(BURN_S)])
    yield process.pid, flag
    process.kill()
    process.wait()


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def test_work_done_before_metering_is_not_counted_when_a_chain_of_processes_ends(
    tree: tuple[int, Path],
) -> None:
    root, flag = tree
    _wait_for(flag.with_name("go.burnt"))
    assert len(process_tree(root)) == 3
    meter = CpuMeter(lambda: [root])
    flag.touch()  # the grandchild exits, its parent reaps it and exits, the root reaps that
    _wait_for(flag.with_name("go.reaped"))
    assert len(process_tree(root)) == 1
    assert meter.sample() < BURN_S / 2


def test_work_done_while_metering_is_counted(tree: tuple[int, Path]) -> None:
    root, flag = tree
    meter = CpuMeter(lambda: [root])
    _wait_for(flag.with_name("go.burnt"))
    flag.touch()
    _wait_for(flag.with_name("go.reaped"))
    assert meter.sample() >= BURN_S * 0.9
