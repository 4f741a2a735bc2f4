"""The scheduler: creates runs, moves them forward with the shared rules, and queues their tasks.

`Scheduler(db, executor, clock, config).tick()` is one pass (see `scheduler.py`);
`run_forever(scheduler)` is the event-driven loop around it (see `loop.py`).
"""

from __future__ import annotations

from slipstream.scheduler.loop import run_forever
from slipstream.scheduler.scheduler import Scheduler, TickResult
from slipstream.scheduler.settings import SchedulerSettings

__all__ = ["Scheduler", "SchedulerSettings", "TickResult", "run_forever"]
