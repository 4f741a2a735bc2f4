// The DAG page's details tab (being built: issue 6).
import type { Session } from "../../session";
import type { DagDetails } from "./dagTypes";

export function DetailsTab(_props: { session: Session; dag: DagDetails; query: URLSearchParams }) {
  return <p class="muted">Details: coming soon.</p>;
}
