"""Standalone's DAG processor: a thread of the scheduler's process instead of a process.

The processor's own work (listing files, storing what the children parsed) is light; the
parsing happens in children, which the local executor's warm worker forks for it
(`dag_processing.forkers.RemoteForker`), since a process running threads must not fork. The
stack saves a whole interpreter with its imports (~65 MB) this way. It is registered as a
`DagProcessorJob` with a heartbeat, as `slipstream dag-processor` is, so health checks see it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.db.engine import Database

log = logging.getLogger("slipstream.dag_processing")

STOP_TIMEOUT = 10.0


class HostedDagProcessor:
    """Runs a `DagProcessor` in a thread until `stop`; `on_exit(reason)` is called if it ends
    on its own (an error, or its job row ended elsewhere)."""

    def __init__(
        self,
        db: Database,
        config: Config,
        parse_socket: str,
        *,
        on_exit: Callable[[str], None],
    ) -> None:
        from slipstream.dag_processing import DagProcessor
        from slipstream.dag_processing.forkers import RemoteForker

        self.processor = DagProcessor(db, config, forker=RemoteForker(parse_socket))
        self._db = db
        self._interval = config.getfloat("scheduler", "scheduler_heartbeat_sec", fallback=5.0)
        self._on_exit = on_exit
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dag-processor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the processor (its running parses are killed) and wait for the thread."""
        self._stopping.set()
        self.processor.stop()
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT)
        self.processor.close()

    def _run(self) -> None:
        from slipstream.cli.dag_processor_cmd import _registered

        reason = "it stopped (its job was ended elsewhere)"
        try:
            with _registered(self._db, self._interval) as heartbeat:
                self.processor.run_forever(heartbeat=heartbeat)
        except Exception as err:
            log.exception("The DAG processor failed")
            reason = f"it failed: {type(err).__name__}: {err}"
        if not self._stopping.is_set():
            self._on_exit(reason)
