// The DAG page's grid tab (being built: issue 6).
import type { Session } from "../../session";
import type { DagDetails } from "./dagTypes";

export function GridTab(_props: { session: Session; dag: DagDetails; query: URLSearchParams }) {
  return <p class="muted">Grid: coming soon.</p>;
}
