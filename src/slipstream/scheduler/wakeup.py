"""Waking the schedulers on this machine after a change they should act on at once.

A scheduler sleeps on its executor's event socket between ticks, so a try that ends wakes it,
but a run triggered from another process (`dags trigger`, the API) would wait for the idle
timeout. The writer calls `wake_schedulers` after its commit: each live scheduler on this host
registered its socket as `job.wake_address`, and a datagram there makes it tick now. It is only
a hint; the database stays the truth, and a scheduler that misses it still looks within
`scheduler_idle_sleep_time`.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slipstream.db.engine import Database

log = logging.getLogger("slipstream.scheduler")

ALIVE_GRACE_SEC = 60.0


def wake_schedulers(db: Database, *, grace: float = ALIVE_GRACE_SEC) -> int:
    """Send a wake-up to every scheduler on this host that heartbeated within `grace` seconds;
    returns how many were reached. Never raises: waking is best effort."""
    from slipstream.db.store import jobs
    from slipstream.executors.base import send_wake
    from slipstream.scheduler.health import JOB_TYPE

    try:
        with db.session() as session:
            live = jobs.alive(session, JOB_TYPE, grace)
    except Exception:
        log.debug("Could not look up schedulers to wake", exc_info=True)
        return 0
    host = socket.gethostname()
    addresses = {j.wake_address for j in live if j.wake_address and j.hostname == host}
    return sum(send_wake(address) for address in sorted(addresses))
