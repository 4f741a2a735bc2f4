// The requests of a DAG run's page: the run, a page of its task instances, and the run actions
// (mark, note, clear, delete) of the REST API v2.
import { get, request } from "../../api";
import type { DagRun, TaskInstanceState } from "../../types";

export interface RunDetails extends DagRun {
  dag_display_name: string;
  queued_at: string | null;
  data_interval_start: string | null;
  data_interval_end: string | null;
  triggering_user_name: string | null;
  conf: Record<string, unknown> | null;
  note: string | null;
  dag_versions: { version_number: number }[];
}

export interface RunTaskInstance {
  task_id: string;
  task_display_name: string;
  map_index: number;
  rendered_map_index: string | null;
  state: TaskInstanceState;
  try_number: number;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  operator_name: string | null;
}

export interface TaskInstancePage {
  task_instances: RunTaskInstance[];
  total_entries: number | null;
}

const runUrl = (dagId: string, runId: string) =>
  `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns/${encodeURIComponent(runId)}`;

export function getRun(dagId: string, runId: string, signal?: AbortSignal): Promise<RunDetails> {
  return get<RunDetails>(runUrl(dagId, runId), undefined, signal);
}

/** Page `page` (from 1) of the run's task instances, in the order they were created. */
export function listTaskInstances(dagId: string, runId: string, page: number, size: number, signal?: AbortSignal) {
  return get<TaskInstancePage>(
    `${runUrl(dagId, runId)}/taskInstances`,
    { limit: size, offset: (page - 1) * size, order_by: "id" },
    signal,
  );
}

export type MarkState = "success" | "failed";

export function markRun(dagId: string, runId: string, state: MarkState): Promise<RunDetails> {
  return request<RunDetails>("PATCH", runUrl(dagId, runId), { query: { update_mask: "state" }, body: { state } });
}

export function setRunNote(dagId: string, runId: string, note: string | null): Promise<RunDetails> {
  return request<RunDetails>("PATCH", runUrl(dagId, runId), { query: { update_mask: "note" }, body: { note } });
}

/** The task instances a clear would reset: nothing changes. */
export function previewClear(dagId: string, runId: string, onlyFailed: boolean): Promise<TaskInstancePage> {
  return request<TaskInstancePage>("POST", `${runUrl(dagId, runId)}/clear`, {
    body: { dry_run: true, only_failed: onlyFailed },
  });
}

export function clearRun(dagId: string, runId: string, onlyFailed: boolean): Promise<RunDetails> {
  return request<RunDetails>("POST", `${runUrl(dagId, runId)}/clear`, {
    body: { dry_run: false, only_failed: onlyFailed },
  });
}

export function deleteRun(dagId: string, runId: string): Promise<void> {
  return request<void>("DELETE", runUrl(dagId, runId));
}
