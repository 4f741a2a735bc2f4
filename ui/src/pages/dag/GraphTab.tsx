// The DAG page's graph tab: the DAG's tasks laid out left to right by dagre, task groups as frames
// that collapse into one box, edge labels, and each task coloured by its state in a chosen run
// (the newest by default; `?run_id=` picks another), refreshed live. The layout is computed when
// the structure or the collapsed groups change, never on a state refresh.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, isAbort, messageOf } from "../../api";
import { dagPath, runPath, taskInstancePath } from "../../paths";
import { usePolling } from "../../polling";
import { href, Link, navigate } from "../../router";
import type { Session } from "../../session";
import type { DagRun, DagRunCollection } from "../../types";
import type { DagDetails } from "./dagTypes";
import type { Layout } from "./graph/layout";
import { GraphView, type TaskState } from "./graph/GraphView";
import { RunPicker } from "./graph/RunPicker";
import { fetchRunTaskInstances, statesByTask } from "./graph/runTaskInstances";
import { fetchStructure, type Structure, visibleGraph } from "./graph/structure";
import "./graph/graph.css";

const RUNS_SHOWN = 25;

export function GraphTab({ dag, query }: { session: Session; dag: DagDetails; query: URLSearchParams }) {
  const dagId = dag.dag_id;
  const structure = useStructure(dagId, dag.latest_dag_version?.version_number ?? null);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const layout = useLayout(structure.value, collapsed);
  const runs = useRuns(dagId);
  const runId = query.get("run_id") ?? runs[0]?.dag_run_id ?? null;
  const states = useTaskStates(dagId, runId);

  const toggle = (groupId: string) => {
    const next = new Set(collapsed);
    if (!next.delete(groupId)) next.add(groupId);
    setCollapsed(next);
  };
  const groups = structure.value?.groups ?? [];
  const selectRun = (id: string) => navigate(href(dagPath(dagId, "graph"), { run_id: id }), { replace: true });
  const run = runs.find((candidate) => candidate.dag_run_id === runId);

  return (
    <div class="graph-tab">
      <div class="toolbar graph-toolbar">
        <RunPicker runs={runs} selected={runId} onSelect={selectRun} />
        {run && (
          <Link href={runPath(dagId, run.dag_run_id)} class={`run-state state-${run.state}`}>
            {run.state}
          </Link>
        )}
        <span class="spacer" />
        {groups.length > 0 && (
          <>
            <button type="button" onClick={() => setCollapsed(new Set())} disabled={collapsed.size === 0}>
              Expand all
            </button>
            <button type="button" onClick={() => setCollapsed(new Set(groups.map((group) => group.id)))}>
              Collapse all
            </button>
          </>
        )}
      </div>
      {structure.error && (
        <p class="banner banner-error" role="alert">
          {structure.error}
        </p>
      )}
      {!layout && !structure.error && <p class="muted">Loading…</p>}
      {layout && layout.nodes.length === 0 && <p class="empty">This DAG has no tasks.</p>}
      {layout && layout.nodes.length > 0 && (
        <GraphView
          layout={layout}
          states={states}
          taskLink={(taskId) => (runId ? taskInstancePath(dagId, runId, taskId) : null)}
          onToggleGroup={toggle}
        />
      )}
    </div>
  );
}

/** The DAG's structure, fetched again only when its newest version changes. */
function useStructure(dagId: string, version: number | null): { value: Structure | null; error: string | null } {
  const [found, setFound] = useState<{ value: Structure | null; error: string | null }>({ value: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    fetchStructure(dagId, controller.signal).then(
      (value) => setFound({ value, error: null }),
      (failure) => {
        if (isAbort(failure)) return;
        const missing = failure instanceof ApiError && failure.status === 404;
        setFound((previous) => ({ value: previous.value, error: missing ? messageOf(failure) : `Could not load the graph: ${messageOf(failure)}` }));
      },
    );
    return () => controller.abort();
  }, [dagId, version]);
  return found;
}

/** The layout of the structure with these groups collapsed (dagre is loaded on first use). */
function useLayout(structure: Structure | null, collapsed: ReadonlySet<string>): Layout | null {
  const [layout, setLayout] = useState<Layout | null>(null);
  useEffect(() => {
    if (!structure) return;
    let current = true;
    import("./graph/layout").then(
      ({ layoutGraph }) => {
        if (current) setLayout(layoutGraph(visibleGraph(structure, collapsed)));
      },
      (failure) => console.error(failure),
    );
    return () => {
      current = false;
    };
  }, [structure, collapsed]);
  return layout;
}

function useRuns(dagId: string): DagRun[] {
  const [runs, setRuns] = useState<DagRun[]>([]);
  usePolling(async (signal) => {
    const path = `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns`;
    const page = await get<DagRunCollection>(path, { order_by: "-run_after", limit: RUNS_SHOWN }, signal);
    setRuns(page.dag_runs);
  }, dagId);
  return runs;
}

function useTaskStates(dagId: string, runId: string | null): Map<string, TaskState> {
  const [states, setStates] = useState<Map<string, TaskState>>(new Map());
  useEffect(() => setStates(new Map()), [dagId, runId]);
  usePolling(
    async (signal) => {
      if (!runId) {
        setStates(new Map());
        return;
      }
      try {
        setStates(statesByTask(await fetchRunTaskInstances(dagId, runId, signal)));
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 404) setStates(new Map());
        else throw failure;
      }
    },
    `${dagId}\u0000${runId ?? ""}`,
  );
  return states;
}
