// The connections page. (being built: issue 6)
import type { Session } from "../../session";

export function ConnectionsPage(_props: { session: Session }) {
  return (
    <main class="page">
      <p class="muted">Connections: coming soon.</p>
    </main>
  );
}
