// The Details tab: every field of the task instance, dates with their exact time.
import type { ComponentChild } from "preact";
import { StateBadge } from "../../components/StateBadge";
import { dateTime, duration, fromNow } from "../../format";
import type { TaskInstance } from "./taskTypes";

function When({ iso }: { iso: string | null }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {dateTime(iso)} <span class="muted">({fromNow(iso)})</span>
    </time>
  );
}

function Text({ value }: { value: string | number | null | undefined }) {
  return value === null || value === undefined || value === "" ? <span class="muted">—</span> : <>{String(value)}</>;
}

export function DetailsTab({ ti }: { ti: TaskInstance }) {
  const rows: [string, ComponentChild][] = [
    ["State", <StateBadge state={ti.state} />],
    ["Task id", <code>{ti.task_id}</code>],
    ["Task display name", <Text value={ti.task_display_name} />],
    ["DAG id", <code>{ti.dag_id}</code>],
    ["Run id", <code>{ti.dag_run_id}</code>],
    ["Map index", <Text value={ti.map_index} />],
    ["Rendered map index", <Text value={ti.rendered_map_index} />],
    ["Operator", <Text value={ti.operator_name ?? ti.operator} />],
    ["Try number", <Text value={ti.try_number} />],
    ["Max tries", <Text value={ti.max_tries} />],
    ["Pool", <Text value={`${ti.pool} (${ti.pool_slots} slot${ti.pool_slots === 1 ? "" : "s"})`} />],
    ["Queue", <Text value={ti.queue} />],
    ["Priority weight", <Text value={ti.priority_weight} />],
    ["Executor", <Text value={ti.executor} />],
    ["Hostname", <Text value={ti.hostname} />],
    ["PID", <Text value={ti.pid} />],
    ["Logical date", <When iso={ti.logical_date} />],
    ["Run after", <When iso={ti.run_after} />],
    ["Scheduled", <When iso={ti.scheduled_when} />],
    ["Queued", <When iso={ti.queued_when} />],
    ["Started", <When iso={ti.start_date} />],
    ["Ended", <When iso={ti.end_date} />],
    ["Duration", <Text value={duration(ti.duration)} />],
    ["Queued for", <Text value={waited(ti.queued_when, ti.start_date)} />],
    ["DAG version", <Text value={ti.dag_version?.version_number} />],
    ["Note", <Text value={ti.note} />],
    ["Id", <code>{ti.id}</code>],
  ];
  return (
    <table class="ti-details">
      <tbody>
        {rows.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** How long the instance waited between being queued and starting. */
function waited(queued: string | null, started: string | null): string {
  if (!queued || !started) return "";
  const seconds = (new Date(started).getTime() - new Date(queued).getTime()) / 1000;
  return seconds >= 0 ? duration(seconds) : "";
}
