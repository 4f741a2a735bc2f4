// The requests of a DAG run's page: the run, its task instances (all of them in one request to
// GET /ui/runs/{dag_id}/{run_id}, then shown a page at a time), and the run actions (mark, note,
// clear, delete) of the REST API v2.
import { get, request } from "../../api";
import type { DagRun } from "../../types";
import { fetchRunTaskInstances, type RunTaskInstance } from "../dag/graph/runTaskInstances";

export type { RunTaskInstance };

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

export interface TaskInstancePage {
  task_instances: RunTaskInstance[];
  total_entries: number | null;
}

const runUrl = (dagId: string, runId: string) =>
  `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns/${encodeURIComponent(runId)}`;

export function getRun(dagId: string, runId: string, signal?: AbortSignal): Promise<RunDetails> {
  return get<RunDetails>(runUrl(dagId, runId), undefined, signal);
}

/** Page `page` (from 1) of the run's task instances, in the order they were created: the run's
 * task instances are read in one request whatever their number, and cut into pages here. */
export async function listTaskInstances(
  dagId: string,
  runId: string,
  page: number,
  size: number,
  signal?: AbortSignal,
): Promise<TaskInstancePage> {
  const all = (await fetchRunTaskInstances(dagId, runId, signal)).task_instances;
  const from = (Math.max(1, page) - 1) * size;
  return { task_instances: all.slice(from, from + size), total_entries: all.length };
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
