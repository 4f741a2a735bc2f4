// GET /ui/grid/{dag_id}: a page of runs (newest first), the task tree, and each run's cells.
// Fields without a value are left out of the answer, hence the optional ones.
import type { DagRunState, TaskInstanceState } from "../../../types";

export interface GridNode {
  id: string;
  label: string;
  type: "task" | "group";
  operator?: string;
  is_mapped: boolean;
  children?: GridNode[];
}

/** One map index of a mapped task in one run. */
export interface GridInstance {
  map_index: number;
  state?: TaskInstanceState;
  try_number: number;
  start_date?: string;
  end_date?: string;
  duration?: number;
}

/** A task's or group's square in one run (a group's and mapped task's state: the most telling). */
export interface GridCell {
  state?: TaskInstanceState;
  try_number?: number;
  start_date?: string;
  end_date?: string;
  duration?: number;
  state_counts?: Record<string, number>;
  /** Mapped tasks: how many map indexes it has in this run (0 before it expands). */
  map_count?: number;
  /** A mapped task's map indexes, in order: only for the tasks the request named as expanded. */
  instances?: GridInstance[];
}

export interface GridRun {
  run_id: string;
  state: DagRunState;
  run_type: string;
  run_after: string;
  logical_date?: string;
  queued_at?: string;
  start_date?: string;
  end_date?: string;
  duration?: number;
  cells: Record<string, GridCell>;
}

export interface GridData {
  dag_id: string;
  runs: GridRun[];
  total_entries: number;
  nodes: GridNode[];
}
