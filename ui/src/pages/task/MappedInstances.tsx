// A mapped task opened without a map index: its instances a page at a time (the API lists at
// most 100 per request), each with its state, linking to it.
import { PAGE_SIZES, Pager } from "../../components/Pager";
import { StateBadge } from "../../components/StateBadge";
import { dateTime, duration } from "../../format";
import { taskInstancePath } from "../../paths";
import { Link } from "../../router";
import type { TaskInstanceCollection } from "./taskTypes";

interface Props {
  dagId: string;
  runId: string;
  taskId: string;
  listing: TaskInstanceCollection;
  page: number;
  pageSize: number;
  onPage: (page: number) => void;
  onPageSize: (size: number) => void;
}

export function MappedInstances({ dagId, runId, taskId, listing, page, pageSize, onPage, onPageSize }: Props) {
  const instances = listing.task_instances;
  const total = listing.total_entries ?? instances.length;
  const counts = new Map<string, number>();
  for (const ti of instances) counts.set(ti.state ?? "no state", (counts.get(ti.state ?? "no state") ?? 0) + 1);
  return (
    <section aria-labelledby="mapped-title">
      <h2 id="mapped-title">Mapped instances</h2>
      <p class="muted">
        {[...counts].map(([state, count]) => `${count} ${state}`).join(", ")}
        {total > instances.length ? " on this page" : ""}
      </p>
      <table class="ti-mapped">
        <thead>
          <tr>
            <th>Map index</th>
            <th>State</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Tries</th>
          </tr>
        </thead>
        <tbody>
          {instances.map((ti) => (
            <tr key={ti.map_index}>
              <td>
                <Link href={taskInstancePath(dagId, runId, taskId, ti.map_index)}>
                  {ti.rendered_map_index ?? ti.map_index}
                </Link>
              </td>
              <td>
                <StateBadge state={ti.state} />
              </td>
              <td>{dateTime(ti.start_date)}</td>
              <td>{duration(ti.duration)}</td>
              <td>{ti.try_number}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > PAGE_SIZES[0] && (
        <Pager page={page} pageSize={pageSize} total={total} onPage={onPage} onPageSize={onPageSize} />
      )}
    </section>
  );
}
