// The DAG page's code tab (being built: issue 6).
import type { Session } from "../../session";
import type { DagDetails } from "./dagTypes";

export function CodeTab(_props: { session: Session; dag: DagDetails; query: URLSearchParams }) {
  return <p class="muted">Code: coming soon.</p>;
}
