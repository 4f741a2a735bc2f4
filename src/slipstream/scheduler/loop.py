"""The scheduler's main loop: tick, then sleep on the executor's events.

A task try that ends wakes the loop at once (the executor's `wait` returns on its event), so the
downstream tasks are scheduled within milliseconds; with nothing happening the loop sleeps until
the next retry or scheduled run is due, at most `scheduler_idle_sleep_time`, which keeps an idle
scheduler's CPU use near zero.
"""

from __future__ import annotations

import logging
import threading

from slipstream.scheduler.scheduler import Scheduler

log = logging.getLogger("slipstream.scheduler")


def run_forever(
    scheduler: Scheduler,
    *,
    num_runs: int | None = None,
    stop: threading.Event | None = None,
    manage_executor: bool = True,
) -> int:
    """Tick until `stop` is set or `num_runs` ticks ran (default: `scheduler.num_runs`; -1 is
    forever); returns the number of ticks.

    With `manage_executor` the executor is started first and ended (letting running tries
    finish) when the loop stops, whatever the reason. The scheduler is stopped either way.
    """
    stop = stop or threading.Event()
    limit = scheduler.settings.num_runs if num_runs is None else num_runs
    executor = scheduler.executor
    if manage_executor:
        executor.start()
    ticks = 0
    try:
        scheduler.start()
        while not stop.is_set() and (limit < 0 or ticks < limit):
            result = scheduler.tick()
            ticks += 1
            timeout = scheduler.idle_timeout(result)
            if timeout > 0 and not stop.is_set():
                executor.wait(timeout)
    finally:
        try:
            scheduler.stop()
        finally:
            if manage_executor:
                executor.end()
    log.info("Scheduler stopped after %d tick(s)", ticks)
    return ticks
