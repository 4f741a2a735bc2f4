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
  const { runs, error: runsError } = useRuns(dagId);
  const runId = query.get("run_id") ?? runs[0]?.dag_run_id ?? null;
  const { states, error: statesError } = useTaskStates(dagId, runId);

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
      {[runsError, statesError].map(
        (error) =>
          error && (
            <p key={error} class="banner banner-error" role="alert">
              {error}
            </p>
          ),
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

/** The DAG's newest runs, and why they could not be loaded (the last refresh's failure). */
function useRuns(dagId: string): { runs: DagRun[]; error: string | null } {
  const [found, setFound] = useState<{ dagId: string; runs: DagRun[]; error: string | null }>({ dagId, runs: [], error: null });
  usePolling(async (signal) => {
    const path = `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns`;
    try {
      const page = await get<DagRunCollection>(path, { order_by: "-run_after", limit: RUNS_SHOWN }, signal);
      setFound({ dagId, runs: page.dag_runs, error: null });
    } catch (failure) {
      if (isAbort(failure) || (failure instanceof ApiError && failure.status === 401)) throw failure;
      const error = `Could not load the DAG's runs: ${messageOf(failure)}`;
      setFound((previous) => ({ dagId, runs: previous.dagId === dagId ? previous.runs : [], error }));
    }
  }, dagId);
  return found.dagId === dagId ? found : { runs: [], error: null };
}

const NO_STATES: Map<string, TaskState> = new Map();

/** Each task's state in the run (none without a run, or for a run deleted meanwhile), and why
 * they could not be loaded (the last refresh's failure). */
function useTaskStates(dagId: string, runId: string | null): { states: Map<string, TaskState>; error: string | null } {
  const key = `${dagId}\u0000${runId ?? ""}`;
  const [found, setFound] = useState<{ key: string; states: Map<string, TaskState>; error: string | null }>({
    key,
    states: new Map(),
    error: null,
  });
  usePolling(async (signal) => {
    if (!runId) {
      setFound({ key, states: new Map(), error: null });
      return;
    }
    try {
      setFound({ key, states: statesByTask(await fetchRunTaskInstances(dagId, runId, signal)), error: null });
    } catch (failure) {
      if (isAbort(failure) || (failure instanceof ApiError && failure.status === 401)) throw failure;
      if (failure instanceof ApiError && failure.status === 404) setFound({ key, states: new Map(), error: null });
      else setFound((previous) => ({ ...previous, error: `Could not load the run's task states: ${messageOf(failure)}` }));
    }
  }, key);
  return found.key === key ? found : { states: NO_STATES, error: null };
}
