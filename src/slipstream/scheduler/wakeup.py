"""Waking the schedulers on this machine after a change they should act on at once.

A scheduler sleeps on its executor's event socket between ticks, so a try that ends wakes it,
but a run triggered from another process (`dags trigger`, the API) would wait for the idle
timeout. The writer calls `wake_schedulers` after its commit: each live scheduler on this host
registered its socket as `job.wake_address`, and the hint there (`core.wake`) makes it tick
now. It is only a hint; the database stays the truth, and a scheduler that misses it still
looks within `scheduler_idle_sleep_time`.

The sending lives with the job table (`db.store.jobs.wake_schedulers`), so the API, which may
not import the scheduler, sends the same hint; this module names it for the scheduler's side.
"""

from __future__ import annotations

from slipstream.db.store.jobs import WAKE_GRACE_SEC as ALIVE_GRACE_SEC
from slipstream.db.store.jobs import wake_schedulers

__all__ = ["ALIVE_GRACE_SEC", "wake_schedulers"]
