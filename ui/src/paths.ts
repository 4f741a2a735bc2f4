// The UI's client-side paths, built and read in one place so that links and routes agree.
// Ids are URL-encoded: run ids hold characters such as `:` and `+`.

export type DagTab = "grid" | "graph" | "code" | "details";
export const DAG_TABS: readonly DagTab[] = ["grid", "graph", "code", "details"];

const enc = encodeURIComponent;

export function dagPath(dagId: string, tab: DagTab = "grid"): string {
  return tab === "grid" ? `/dags/${enc(dagId)}` : `/dags/${enc(dagId)}/${tab}`;
}

export function runPath(dagId: string, runId: string): string {
  return `/dags/${enc(dagId)}/runs/${enc(runId)}`;
}

/** A task instance's page; `mapIndex` -1 (or none) for an unmapped task, `tryNumber` a try's logs. */
export function taskInstancePath(dagId: string, runId: string, taskId: string, mapIndex = -1, tryNumber?: number): string {
  const query = new URLSearchParams();
  if (mapIndex >= 0) query.set("map_index", String(mapIndex));
  if (tryNumber !== undefined) query.set("try", String(tryNumber));
  const text = query.toString();
  return `${runPath(dagId, runId)}/tasks/${enc(taskId)}${text ? `?${text}` : ""}`;
}

export type AdminPage = "variables" | "connections" | "pools" | "users" | "events";

/** What a path names, or null for a path the UI has no page for. */
export type Route =
  | { page: "dags" }
  | { page: "dag"; dagId: string; tab: DagTab }
  | { page: "run"; dagId: string; runId: string }
  | { page: "task"; dagId: string; runId: string; taskId: string; mapIndex: number; tryNumber: number | null }
  | { page: AdminPage };

const ADMIN_PAGES: readonly string[] = ["variables", "connections", "pools", "users", "events"];

export function parseRoute(path: string, query: URLSearchParams): Route | null {
  if (path === "/" || path === "/dags") return { page: "dags" };
  const parts = path.split("/").slice(1);
  if (parts.at(-1) === "") parts.pop();
  let segments: string[];
  try {
    segments = parts.map(decodeURIComponent);
  } catch {
    return null;
  }
  if (segments.length === 1 && ADMIN_PAGES.includes(segments[0])) return { page: segments[0] as AdminPage };
  if (segments[0] !== "dags" || segments.length < 2) return null;
  const dagId = segments[1];
  if (segments.length === 2) return { page: "dag", dagId, tab: "grid" };
  if (segments.length === 3 && (DAG_TABS as readonly string[]).includes(segments[2])) {
    return { page: "dag", dagId, tab: segments[2] as DagTab };
  }
  if (segments[2] !== "runs" || segments.length < 4) return null;
  const runId = segments[3];
  if (segments.length === 4) return { page: "run", dagId, runId };
  if (segments.length === 6 && segments[4] === "tasks") {
    const mapIndex = Number(query.get("map_index") ?? -1);
    const tryText = query.get("try");
    const tryNumber = tryText === null ? null : Number(tryText);
    return {
      page: "task",
      dagId,
      runId,
      taskId: segments[5],
      mapIndex: Number.isInteger(mapIndex) ? mapIndex : -1,
      tryNumber: tryNumber !== null && Number.isInteger(tryNumber) && tryNumber > 0 ? tryNumber : null,
    };
  }
  return null;
}
