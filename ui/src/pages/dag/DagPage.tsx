// A DAG's page: its name, pause switch and trigger button above tabs for the grid of runs and
// tasks, the graph, the code and the details. The tab lives in the path (/dags/ID/graph).
import { useState } from "preact/hooks";
import { get, isAbort, messageOf } from "../../api";
import { TriggerDialog } from "../../components/TriggerDialog";
import { setPaused } from "../../data";
import { notify } from "../../notices";
import { type DagTab, dagPath, runPath } from "../../paths";
import { may } from "../../permissions";
import { usePolling } from "../../polling";
import { Link, navigate } from "../../router";
import type { Session } from "../../session";
import type { DagRun } from "../../types";
import { CodeTab } from "./CodeTab";
import { type DagDetails, dagLoadError } from "./dagTypes";
import { DetailsTab } from "./DetailsTab";
import { GraphTab } from "./GraphTab";
import { GridTab } from "./GridTab";

const TABS: [DagTab, string][] = [
  ["grid", "Grid"],
  ["graph", "Graph"],
  ["code", "Code"],
  ["details", "Details"],
];

interface Props {
  session: Session;
  dagId: string;
  tab: DagTab;
  query: URLSearchParams;
}

export function DagPage({ session, dagId, tab, query }: Props) {
  const [dag, setDag] = useState<DagDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [triggering, setTriggering] = useState(false);
  const canChange = may(session.role, "change", "dag");

  const refresh = usePolling(async (signal) => {
    try {
      setDag(await get<DagDetails>(`/api/v2/dags/${encodeURIComponent(dagId)}/details`, undefined, signal));
      setError(null);
    } catch (failure) {
      if (isAbort(failure)) throw failure;
      setError(dagLoadError(dagId, failure));
    }
  }, dagId);

  const togglePause = async () => {
    if (!dag) return;
    const paused = !dag.is_paused;
    setDag({ ...dag, is_paused: paused });
    const change = setPaused(dagId, paused);
    refresh(change); // what was read before the change lands never
    try {
      await change;
    } catch (failure) {
      setDag({ ...dag, is_paused: !paused });
      notify(`Could not ${paused ? "pause" : "unpause"} ${dagId}: ${messageOf(failure)}`, "error");
    }
  };

  const triggered = (run: DagRun) => {
    setTriggering(false);
    notify(`Triggered ${run.dag_id}: ${run.dag_run_id}`);
    navigate(runPath(run.dag_id, run.dag_run_id));
  };

  if (!dag) {
    return (
      <main class="page">
        <nav class="crumbs" aria-label="Breadcrumbs">
          <Link href="/">DAGs</Link> / <span>{dagId}</span>
        </nav>
        {error ? (
          <p class="banner banner-error" role="alert">
            {error}
          </p>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </main>
    );
  }

  return (
    <main class="page dag-page" data-dag-id={dagId}>
      <nav class="crumbs" aria-label="Breadcrumbs">
        <Link href="/">DAGs</Link> / <span>{dag.dag_display_name}</span>
      </nav>
      <div class="page-title">
        <input
          type="checkbox"
          role="switch"
          class="switch"
          checked={!dag.is_paused}
          disabled={!canChange}
          onChange={togglePause}
          aria-label={`${dag.is_paused ? "Unpause" : "Pause"} ${dagId}`}
        />
        <h1 title={dag.description ?? undefined}>{dag.dag_display_name}</h1>
        {dag.dag_display_name !== dagId && <span class="dag-id">{dagId}</span>}
        <span class="muted schedule" title={dag.timetable_description ?? undefined}>
          <code>{dag.timetable_summary ?? "None"}</code>
        </span>
        <span class="spacer" />
        {canChange && (
          <button type="button" class="primary" onClick={() => setTriggering(true)} aria-label={`Trigger ${dagId}`}>
            ▶ Trigger
          </button>
        )}
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <nav class="tabs" aria-label="Views of the DAG">
        {TABS.map(([name, label]) => (
          <Link key={name} href={dagPath(dagId, name)} class="tab" aria-current={name === tab ? "page" : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      <section class="tab-panel">
        {tab === "grid" && <GridTab session={session} dag={dag} query={query} />}
        {tab === "graph" && <GraphTab session={session} dag={dag} query={query} />}
        {tab === "code" && <CodeTab session={session} dag={dag} query={query} />}
        {tab === "details" && <DetailsTab session={session} dag={dag} query={query} />}
      </section>
      {triggering && <TriggerDialog dag={dag} onClose={() => setTriggering(false)} onTriggered={triggered} />}
    </main>
  );
}
