// The pools page. (being built: issue 6)
import type { Session } from "../../session";

export function PoolsPage(_props: { session: Session }) {
  return (
    <main class="page">
      <p class="muted">Pools: coming soon.</p>
    </main>
  );
}
