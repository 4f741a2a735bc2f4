// The task instances of one DAG run, every page of them, and the state that stands for several
// (a mapped task's indexes, a collapsed group's tasks). The graph and the Gantt chart share them.

import { get } from "../../../api";
import type { TaskInstanceState } from "../../../types";

/** GET .../taskInstances: the fields the graph and the Gantt chart read. */
export interface RunTaskInstance {
  task_id: string;
  task_display_name: string;
  map_index: number;
  rendered_map_index: string | null;
  state: TaskInstanceState;
  try_number: number;
  queued_when: string | null;
  scheduled_when: string | null;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  operator_name: string | null;
}

interface Page {
  task_instances: RunTaskInstance[];
  total_entries: number | null;
}

const PAGE_SIZE = 100; // the API's largest page ([api] maximum_page_limit)

/** Every task instance of the run: one request per 100 of them. */
export async function fetchRunTaskInstances(dagId: string, runId: string, signal?: AbortSignal): Promise<RunTaskInstance[]> {
  const path = `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns/${encodeURIComponent(runId)}/taskInstances`;
  const found: RunTaskInstance[] = [];
  for (;;) {
    const page = await get<Page>(path, { limit: PAGE_SIZE, offset: found.length, order_by: "map_index" }, signal);
    found.push(...page.task_instances);
    const total = page.total_entries ?? 0;
    if (page.task_instances.length < PAGE_SIZE || found.length >= total) return found;
  }
}

// Which state shows when several are summed up: the one needing attention first (Airflow's order).
const PRIORITY: TaskInstanceState[] = [
  "failed",
  "upstream_failed",
  "up_for_retry",
  "up_for_reschedule",
  "queued",
  "scheduled",
  "deferred",
  "running",
  "restarting",
  null,
  "success",
  "skipped",
  "removed",
];

/** The state standing for all of `states`; undefined when there are none. */
export function combinedState(states: TaskInstanceState[]): TaskInstanceState | undefined {
  if (states.length === 0) return undefined;
  return states.reduce((best, state) => (PRIORITY.indexOf(state) < PRIORITY.indexOf(best) ? state : best));
}

/** Each task's state in the run (a mapped task's indexes combined) and its number of indexes. */
export function statesByTask(instances: RunTaskInstance[]): Map<string, { state: TaskInstanceState; count: number }> {
  const states = new Map<string, TaskInstanceState[]>();
  for (const ti of instances) {
    const list = states.get(ti.task_id);
    if (list) list.push(ti.state);
    else states.set(ti.task_id, [ti.state]);
  }
  const out = new Map<string, { state: TaskInstanceState; count: number }>();
  for (const [taskId, list] of states) out.set(taskId, { state: combinedState(list) ?? null, count: list.length });
  return out;
}
