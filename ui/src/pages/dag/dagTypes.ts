// GET /api/v2/dags/{dag_id}/details: the fields the DAG page reads.
import { ApiError, messageOf } from "../../api";
import type { Dag } from "../../types";

/** What to say when reading the DAG `dagId` (or anything of it) failed: a 404 means no such DAG. */
export function dagLoadError(dagId: string, failure: unknown): string {
  return failure instanceof ApiError && failure.status === 404 ? `No DAG ${dagId}` : messageOf(failure);
}

export interface DagDetails extends Dag {
  file_token: string;
  doc_md: string | null;
  params: Record<string, ParamSpec> | null;
  start_date: string | null;
  end_date: string | null;
  catchup: boolean;
  max_active_runs: number | null;
  max_active_tasks: number;
  dag_run_timeout: string | null;
  default_args: Record<string, unknown> | null;
  is_paused_upon_creation: boolean | null;
  render_template_as_native_obj: boolean;
  timezone: string | null;
  last_parsed_time: string | null;
  latest_dag_version: { version_number: number; created_at: string } | null;
}

/** A DAG param as the API serializes it: its default value, description and JSON schema. */
export interface ParamSpec {
  value: unknown;
  description: string | null;
  schema: Record<string, unknown>;
}
