// A DAG run's page. (being built: issue 6)
import type { Session } from "../../session";

export function RunPage(_props: { session: Session; dagId: string; runId: string }) {
  return (
    <main class="page">
      <p class="muted">Run: coming soon.</p>
    </main>
  );
}
