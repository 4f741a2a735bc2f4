// The requests of the DAGs page. Runs for the squares come in one batched request for the whole
// page of DAGs (POST /dags/~/dagRuns/list), never one request per DAG.
import { get, request } from "./api";
import type { Dag, DagCollection, DagRun, DagRunCollection, ImportErrorCollection, TagCollection } from "./types";

/** How many recent runs each DAG shows. */
export const RUNS_SHOWN = 10;
/** Runs asked for per request: the API's default largest page (`[api] maximum_page_limit`). */
const RUNS_BATCH = 100;
/** Batched requests at most per refresh: more only when a few DAGs hold most recent runs. */
const MAX_RUN_REQUESTS = 3;

export type PausedFilter = "all" | "active" | "paused";

export interface DagFilters {
  search: string;
  tags: string[];
  status: PausedFilter;
  page: number; // from 1
  pageSize: number;
}

export function listDags(filters: DagFilters, signal?: AbortSignal): Promise<DagCollection> {
  return get<DagCollection>(
    "/api/v2/dags",
    {
      limit: filters.pageSize,
      offset: (filters.page - 1) * filters.pageSize,
      order_by: "dag_display_name",
      dag_display_name_pattern: filters.search.trim(),
      tags: filters.tags,
      paused: filters.status === "all" ? undefined : filters.status === "paused",
    },
    signal,
  );
}

/**
 * The newest `RUNS_SHOWN` runs of each DAG, oldest first, from as few batched requests as
 * possible: newest runs of all the DAGs first; if some DAGs still have fewer runs than shown and
 * older runs exist, the next request asks for those DAGs' runs older than the oldest seen.
 */
export async function recentRuns(dagIds: string[], signal?: AbortSignal): Promise<Map<string, DagRun[]>> {
  const found = new Map<string, DagRun[]>(dagIds.map((id) => [id, []]));
  const seen = new Set<string>();
  let wanted = dagIds;
  let before: string | undefined;
  for (let round = 0; round < MAX_RUN_REQUESTS && wanted.length > 0; round++) {
    const page = await request<DagRunCollection>("POST", "/api/v2/dags/~/dagRuns/list", {
      body: { dag_ids: wanted, order_by: "-run_after", page_limit: RUNS_BATCH, run_after_lte: before },
      signal,
    });
    for (const run of page.dag_runs) {
      const key = `${run.dag_id}\u0000${run.dag_run_id}`;
      const list = found.get(run.dag_id);
      if (!list || seen.has(key) || list.length >= RUNS_SHOWN) continue;
      seen.add(key);
      list.push(run);
    }
    const last = page.dag_runs.at(-1);
    if (!last || page.dag_runs.length >= (page.total_entries ?? 0)) break; // nothing older
    before = last.run_after;
    wanted = wanted.filter((id) => (found.get(id)?.length ?? 0) < RUNS_SHOWN);
  }
  for (const list of found.values()) list.reverse();
  return found;
}

export function setPaused(dagId: string, paused: boolean): Promise<Dag> {
  return request<Dag>("PATCH", `/api/v2/dags/${encodeURIComponent(dagId)}`, { body: { is_paused: paused } });
}

export function listImportErrors(signal?: AbortSignal): Promise<ImportErrorCollection> {
  return get<ImportErrorCollection>("/api/v2/importErrors", { limit: 100, order_by: "filename" }, signal);
}

export function listTags(signal?: AbortSignal): Promise<TagCollection> {
  return get<TagCollection>("/api/v2/dagTags", { limit: 100 }, signal);
}
