"""The wake-up hint: a datagram that asks a scheduler to look at the database now.

A scheduler sleeps on its executor's event socket between ticks; tries that end send events
there. Any process on the same machine that changed something the scheduler should act on at
once (a triggered or cleared run, an unpaused DAG, an asset event) may send `WAKE` to the
socket's path. It is only a hint: the database stays the truth, and a scheduler that misses it
still looks within `scheduler_idle_sleep_time`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

WAKE = b'{"wake":true}'
"""The datagram that asks a scheduler to look at the database now (not a try's end)."""


def send_wake(path: str) -> bool:
    """Ask the scheduler whose executor listens on `path` to look at the database now; False
    when nobody listens there."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        try:
            sock.sendto(WAKE, path)
        except OSError:
            return False
    return True


def send_wakes(paths: Iterable[str]) -> int:
    """Send the hint to each of `paths`; returns how many were reached."""
    return sum(send_wake(path) for path in paths)


def is_wake(data: bytes) -> bool:
    """Whether a datagram on the event socket is a wake-up (`send_wake`), not a try's end."""
    return data == WAKE
