// A DAG run's page (being built: issue 6).
import type { Session } from "../../session";
import { GanttChart } from "./GanttChart";

export function RunPage({ dagId, runId }: { session: Session; dagId: string; runId: string }) {
  return (
    <main class="page">
      <p class="muted">Run: coming soon.</p>
      <GanttChart dagId={dagId} runId={runId} />
    </main>
  );
}
