// The REST API v2 answers the task instance page reads, and the paths it asks them at.
import type { TaskInstanceState } from "../../types";

export interface TaskInstance {
  id: string;
  task_id: string;
  dag_id: string;
  dag_run_id: string;
  map_index: number;
  logical_date: string | null;
  run_after: string;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  state: TaskInstanceState;
  try_number: number;
  max_tries: number;
  task_display_name: string;
  dag_display_name: string;
  hostname: string | null;
  unixname: string | null;
  pool: string;
  pool_slots: number;
  queue: string | null;
  priority_weight: number | null;
  operator: string | null;
  operator_name: string | null;
  queued_when: string | null;
  scheduled_when: string | null;
  pid: number | null;
  executor: string | null;
  executor_config: string;
  note: string | null;
  rendered_map_index: string | null;
  rendered_fields: Record<string, unknown>;
  dag_version: { version_number: number } | null;
}

export interface TaskInstanceCollection {
  task_instances: TaskInstance[];
  total_entries: number | null;
}

/** One try (GET .../tries). */
export interface TaskTry {
  try_number: number;
  state: TaskInstanceState;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  hostname: string | null;
}

export interface TaskTryCollection {
  task_instances: TaskTry[];
  total_entries: number;
}

export interface Dependency {
  name: string;
  reason: string;
}

export interface DependencyCollection {
  dependencies: Dependency[];
}

export interface LogMessage {
  event: string;
  timestamp?: string | null;
  level?: string;
  sources?: string[];
}

export interface LogAnswer {
  content: LogMessage[];
  continuation_token: string | null;
}

export interface XComEntry {
  key: string;
  map_index: number;
  timestamp: string;
}

export interface XComCollection {
  xcom_entries: XComEntry[];
  total_entries: number;
}

export interface XComEntryWithValue extends XComEntry {
  value: unknown;
}

/** States in which a task instance waits for something before it runs. */
export const WAITING_STATES: readonly TaskInstanceState[] = [
  null,
  "scheduled",
  "queued",
  "up_for_retry",
  "up_for_reschedule",
  "deferred",
];

/** States in which the current try has not ended: its log may still grow (as logs.py says). */
export const WRITING_STATES: readonly TaskInstanceState[] = [
  "scheduled",
  "queued",
  "running",
  "deferred",
  "up_for_reschedule",
  "restarting",
];

/** Where a task instance is: its DAG, run, task and map index (-1: unmapped). */
export interface TaskInstanceKey {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
}

const enc = encodeURIComponent;

/** `/api/v2/dags/D/dagRuns/R/taskInstances/T` and what follows. */
export function tiApiPath(key: TaskInstanceKey, rest = ""): string {
  return `/api/v2/dags/${enc(key.dagId)}/dagRuns/${enc(key.runId)}/taskInstances/${enc(key.taskId)}${rest}`;
}

/** The task instance itself: the map index is a path segment for a mapped one. */
export function tiPath(key: TaskInstanceKey): string {
  return tiApiPath(key, key.mapIndex >= 0 ? `/${key.mapIndex}` : "");
}

export function logPath(key: TaskInstanceKey, tryNumber: number): string {
  return tiApiPath(key, `/logs/${tryNumber}`);
}
