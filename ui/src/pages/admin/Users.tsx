// The users page. (being built: issue 6)
import type { Session } from "../../session";

export function UsersPage(_props: { session: Session }) {
  return (
    <main class="page">
      <p class="muted">Users: coming soon.</p>
    </main>
  );
}
