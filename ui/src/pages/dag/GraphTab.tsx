// The DAG page's graph tab (being built: issue 6).
import type { Session } from "../../session";
import type { DagDetails } from "./dagTypes";

export function GraphTab(_props: { session: Session; dag: DagDetails; query: URLSearchParams }) {
  return <p class="muted">Graph: coming soon.</p>;
}
