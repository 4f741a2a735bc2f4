// A mapped task opened without a map index: its instances, each with its state, linking to it.
import { dateTime, duration } from "../../format";
import { taskInstancePath } from "../../paths";
import { Link } from "../../router";
import { StateBadge } from "./StateBadge";
import type { TaskInstanceCollection } from "./taskTypes";

interface Props {
  dagId: string;
  runId: string;
  taskId: string;
  listing: TaskInstanceCollection;
}

export function MappedInstances({ dagId, runId, taskId, listing }: Props) {
  const instances = listing.task_instances;
  const counts = new Map<string, number>();
  for (const ti of instances) counts.set(ti.state ?? "no state", (counts.get(ti.state ?? "no state") ?? 0) + 1);
  return (
    <section aria-labelledby="mapped-title">
      <h2 id="mapped-title">Mapped instances</h2>
      <p class="muted">
        {[...counts].map(([state, count]) => `${count} ${state}`).join(", ")}
        {listing.total_entries !== null && listing.total_entries > instances.length
          ? ` (the first ${instances.length} of ${listing.total_entries})`
          : ""}
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
    </section>
  );
}
