// What the Gantt chart draws, worked out from a run's task instances: one row per task instance
// in the DAG's task order, each with its queued and running spans, on a shared time scale.
import type { RunTaskInstance } from "../../dag/graph/runTaskInstances";

export interface GanttRow {
  ti: RunTaskInstance;
  label: string;
  /** Milliseconds since the epoch; null where the task instance has not got that far. */
  queuedAt: number | null;
  startedAt: number | null;
  /** The end, or now for a task instance still running (its bar grows). */
  endedAt: number | null;
  running: boolean;
}

export interface Timeline {
  rows: GanttRow[];
  from: number;
  to: number;
}

const time = (iso: string | null) => (iso ? new Date(iso).getTime() : null);

/** The rows in `taskOrder` (tasks it does not know go last, by id), each task's map indexes in order. */
export function timeline(instances: RunTaskInstance[], taskOrder: string[], now: number): Timeline {
  const rank = new Map(taskOrder.map((taskId, index) => [taskId, index]));
  const sorted = [...instances].sort(
    (a, b) =>
      (rank.get(a.task_id) ?? Infinity) - (rank.get(b.task_id) ?? Infinity) ||
      a.task_id.localeCompare(b.task_id) ||
      a.map_index - b.map_index,
  );
  const rows = sorted.map((ti) => {
    const running = ti.state === "running" || ti.state === "restarting";
    const startedAt = time(ti.start_date);
    const queuedAt = time(ti.queued_when);
    const ended = time(ti.end_date);
    return {
      ti,
      label: ti.map_index >= 0 ? `${ti.task_display_name} [${ti.rendered_map_index ?? ti.map_index}]` : ti.task_display_name,
      queuedAt: queuedAt !== null && (startedAt === null || queuedAt <= startedAt) ? queuedAt : null,
      startedAt,
      endedAt: ended ?? (running || (startedAt === null && ti.state === "queued") ? now : null),
      running,
    };
  });
  const moments = rows.flatMap((row) => [row.queuedAt, row.startedAt, row.endedAt]).filter((t): t is number => t !== null);
  const from = moments.length ? Math.min(...moments) : now;
  const to = moments.length ? Math.max(...moments) : now;
  return { rows, from, to: Math.max(to, from + 1000) };
}

const STEPS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** Round moments for the time axis, about `count` of them between `from` and `to`, and the
 * step between them in milliseconds. */
export function ticks(from: number, to: number, count = 6): { moments: number[]; step: number } {
  const span = (to - from) / 1000;
  const step = (STEPS_S.find((candidate) => span / candidate <= count) ?? Math.ceil(span / count / 86400) * 86400) * 1000;
  const moments: number[] = [];
  for (let at = Math.ceil(from / step) * step; at <= to; at += step) moments.push(at);
  return { moments, step };
}
