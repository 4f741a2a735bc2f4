"""Step 3 of a tick: queue scheduled task instances by priority within every limit.

Candidates come highest priority weight first (then oldest run). Each is queued only while the
executor has open slots (`core.parallelism`), its pool has room for its `pool_slots` (slots
minus what queued and running TIs take; a pool that does not exist queues nothing, except
`default_pool` which falls back to `core.default_pool_task_slot_count`), its run is below the
DAG's `max_active_tasks` (per run, as in Airflow 3) and its task below `max_active_tis_per_dag`
and `max_active_tis_per_dagrun`. A candidate that does not fit is passed over, so a lower
priority one that fits still goes. On PostgreSQL the step holds a lock that other schedulers'
queueing waits for, so limits hold across schedulers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from slipstream.db.store import runs as run_store
from slipstream.db.store import ti_queueing
from slipstream.db.store.dags import serialized_dag_by_id
from slipstream.db.store.ti_queueing import Candidate
from slipstream.serialization import SerializedDAG

log = logging.getLogger("slipstream.scheduler")
DEFAULT_POOL = "default_pool"
UNLIMITED = -1


@dataclass
class Occupancy:
    """What is taken now: pool slots, and queued + running TIs per run/task and DAG/task."""

    pools: Counter[str] = field(default_factory=Counter)
    run_tasks: Counter[tuple[int, str]] = field(default_factory=Counter)
    dag_tasks: Counter[tuple[str, str]] = field(default_factory=Counter)
    runs: Counter[int] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for (run_id, _task), count in self.run_tasks.items():
            self.runs[run_id] += count

    def take(self, ti: Candidate) -> None:
        self.pools[ti.pool] += ti.pool_slots
        self.run_tasks[(ti.dag_run_id, ti.task_id)] += 1
        self.dag_tasks[(ti.dag_id, ti.task_id)] += 1
        self.runs[ti.dag_run_id] += 1


def pick(
    candidates: list[Candidate],
    *,
    open_slots: int,
    pool_sizes: Mapping[str, int],
    default_pool_slots: int,
    taken: Occupancy,
    dags: Mapping[int | None, SerializedDAG | None],
) -> list[Candidate]:
    """The candidates to queue now, in order (see the module docs); updates `taken`."""
    chosen: list[Candidate] = []
    for ti in candidates:
        if len(chosen) >= open_slots:
            break
        if _fits(ti, pool_sizes, default_pool_slots, taken, dags.get(ti.serialized_dag_id)):
            taken.take(ti)
            chosen.append(ti)
    return chosen


def _fits(
    ti: Candidate,
    pool_sizes: Mapping[str, int],
    default_pool_slots: int,
    taken: Occupancy,
    dag: SerializedDAG | None,
) -> bool:
    size = pool_sizes.get(ti.pool)
    if size is None and ti.pool == DEFAULT_POOL:
        size = default_pool_slots
    if size is None:
        log.warning("Task %s.%s uses pool %r, which does not exist", ti.dag_id, ti.task_id, ti.pool)
        return False
    if size != UNLIMITED and taken.pools[ti.pool] + ti.pool_slots > size:
        return False
    if dag is None:
        return True
    if taken.runs[ti.dag_run_id] >= dag.max_active_tasks:
        return False
    task = dag.task_dict.get(ti.task_id)
    if task is None:
        return True
    per_run = task.max_active_tis_per_dagrun
    if per_run is not None and taken.run_tasks[(ti.dag_run_id, ti.task_id)] >= per_run:
        return False
    per_dag = task.max_active_tis_per_dag
    return per_dag is None or taken.dag_tasks[(ti.dag_id, ti.task_id)] < per_dag


def queue_scheduled(
    session: Session,
    *,
    now: dt.datetime,
    open_slots: int,
    token: str,
    max_tis: int,
    default_pool_slots: int,
) -> list[Candidate]:
    """Queue what fits under `token`; returns the TIs this call queued (for the executor)."""
    if open_slots <= 0:
        return []
    run_store.lock_step(session, "queue")
    # Most ticks fill a slot or two: the first candidates usually do. Only when limits pass
    # too many of them over does the step look at up to `max_tis`.
    first = min(max_tis, max(FIRST_CANDIDATES, 4 * open_slots))
    candidates, chosen = _choose(session, first, open_slots, default_pool_slots)
    if len(chosen) < open_slots and len(candidates) == first < max_tis:
        candidates, chosen = _choose(session, max_tis, open_slots, default_pool_slots)
    if not chosen:
        return []
    queued = ti_queueing.queue(session, [c.id for c in chosen], token, now=now)
    return [c for c in chosen if c.id in queued]


FIRST_CANDIDATES = 16


def _choose(
    session: Session, limit: int, open_slots: int, default_pool_slots: int
) -> tuple[list[Candidate], list[Candidate]]:
    """The first `limit` candidates, and those of them to queue."""
    candidates = ti_queueing.scheduled_candidates(session, limit=limit)
    if not candidates:
        return [], []
    dags = {
        sid: serialized_dag_by_id(session, sid) if sid is not None else None
        for sid in {c.serialized_dag_id for c in candidates}
    }
    chosen = pick(
        candidates,
        open_slots=open_slots,
        pool_sizes=ti_queueing.pool_slots(session),
        default_pool_slots=default_pool_slots,
        taken=_occupancy(session, candidates, dags),
        dags=dags,
    )
    return candidates, chosen


def _occupancy(
    session: Session, candidates: list[Candidate], dags: Mapping[int | None, SerializedDAG | None]
) -> Occupancy:
    limited = set()
    for c in candidates:
        dag = dags.get(c.serialized_dag_id)
        task = dag.task_dict.get(c.task_id) if dag is not None else None
        if task is not None and task.max_active_tis_per_dag is not None:
            limited.add((c.dag_id, c.task_id))
    return Occupancy(
        pools=Counter(ti_queueing.occupied_pool_slots(session)),
        run_tasks=Counter(
            ti_queueing.active_by_run_task(session, {c.dag_run_id for c in candidates})
        ),
        dag_tasks=Counter(ti_queueing.active_by_dag_task(session, limited)),
    )
