// The variables page. (being built: issue 6)
import type { Session } from "../../session";

export function VariablesPage(_props: { session: Session }) {
  return (
    <main class="page">
      <p class="muted">Variables: coming soon.</p>
    </main>
  );
}
