// A task instance's page. (being built: issue 6)
import type { Session } from "../../session";

export function TaskInstancePage(_props: { session: Session; dagId: string; runId: string; taskId: string; mapIndex: number; tryNumber: number | null }) {
  return (
    <main class="page">
      <p class="muted">Task instance: coming soon.</p>
    </main>
  );
}
