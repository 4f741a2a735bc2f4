// The task instances of one DAG run, all of them in one request (GET /ui/runs/{dag_id}/{run_id}),
// and the state that stands for several (a mapped task's indexes, a collapsed group's tasks).
// The graph, the Gantt chart and the run page's table share them. Which state stands for several
// is the server's order (`state_priority` of the answer, the grid's STATE_PRIORITY in
// src/slipstream/api/schemas/ui_grid.py): the UI keeps no copy of it.
import { get } from "../../../api";
import type { TaskInstanceState } from "../../../types";

/** One task instance (or map index) of the run. */
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

export interface RunTaskInstances {
  dag_id: string;
  run_id: string;
  /** The run's state. */
  state: string;
  total_entries: number;
  /** States from the most to the least telling (null: no state yet). */
  state_priority: TaskInstanceState[];
  /** In the order they were created; a mapped task's indexes in index order. */
  task_instances: RunTaskInstance[];
}

/** Every task instance of the run, in one request whatever its size. */
export function fetchRunTaskInstances(dagId: string, runId: string, signal?: AbortSignal): Promise<RunTaskInstances> {
  return get<RunTaskInstances>(`/ui/runs/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}`, undefined, signal);
}

/** A task's state in the run: several indexes' combined, and its place in the server's order
 * (lower: more telling), so that groups can combine the states of their tasks. */
export interface TaskState {
  state: TaskInstanceState;
  /** How many task instances it stands for (a mapped task's indexes). */
  count: number;
  rank: number;
}

function rankOf(priority: readonly TaskInstanceState[]): (state: TaskInstanceState) => number {
  const ranks = new Map(priority.map((state, index) => [state, index]));
  return (state) => ranks.get(state) ?? priority.length; // unknown states rank after all known
}

/** The most telling of these task states; undefined when there are none. */
export function combinedState(states: TaskState[]): TaskState | undefined {
  let best: TaskState | undefined;
  for (const state of states) if (!best || state.rank < best.rank) best = state;
  return best;
}

/** Each task's state in the run (a mapped task's indexes combined by the server's order). */
export function statesByTask(run: RunTaskInstances): Map<string, TaskState> {
  const rank = rankOf(run.state_priority);
  const out = new Map<string, TaskState>();
  for (const ti of run.task_instances) {
    const found = out.get(ti.task_id);
    const mine = rank(ti.state);
    if (!found) out.set(ti.task_id, { state: ti.state, count: 1, rank: mine });
    else {
      found.count += 1;
      if (mine < found.rank) {
        found.state = ti.state;
        found.rank = mine;
      }
    }
  }
  return out;
}
