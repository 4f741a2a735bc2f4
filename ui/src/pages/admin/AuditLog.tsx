// The audit log page. (being built: issue 6)
import type { Session } from "../../session";

export function AuditLogPage(_props: { session: Session; query: URLSearchParams }) {
  return (
    <main class="page">
      <p class="muted">Audit log: coming soon.</p>
    </main>
  );
}
