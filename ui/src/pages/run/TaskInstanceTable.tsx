// The run's task instances: task, map index (when some task is mapped), state, try, start and
// duration, each linking to the task instance's page.
import { StateBadge } from "../../components/StateBadge";
import { dateTime, duration } from "../../format";
import { taskInstancePath } from "../../paths";
import { Link } from "../../router";
import type { RunTaskInstance } from "./runApi";

interface Props {
  dagId: string;
  runId: string;
  taskInstances: RunTaskInstance[];
}

function tiDuration(ti: RunTaskInstance, now: number): string {
  if (ti.duration !== null) return duration(ti.duration);
  if (ti.start_date && ti.state === "running") return duration((now - new Date(ti.start_date).getTime()) / 1000);
  return "";
}

export function TaskInstanceTable({ dagId, runId, taskInstances }: Props) {
  if (taskInstances.length === 0) return <p class="muted empty">This run has no task instances.</p>;
  const now = Date.now();
  const mapped = taskInstances.some((ti) => ti.map_index >= 0);
  return (
    <table class="run-tis" aria-label="Task instances">
      <thead>
        <tr>
          <th>Task</th>
          {mapped && <th>Map index</th>}
          <th>State</th>
          <th>Try</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Operator</th>
        </tr>
      </thead>
      <tbody>
        {taskInstances.map((ti) => (
          <tr
            key={`${ti.task_id}/${ti.map_index}`}
            data-task-id={ti.task_id}
            data-map-index={ti.map_index}
            data-state={ti.state ?? "none"}
          >
            <td>
              <Link href={taskInstancePath(dagId, runId, ti.task_id, ti.map_index)}>{ti.task_display_name}</Link>
              {ti.task_display_name !== ti.task_id && <span class="dag-id">{ti.task_id}</span>}
            </td>
            {mapped && <td class="map-index">{ti.map_index < 0 ? "" : (ti.rendered_map_index ?? ti.map_index)}</td>}
            <td class="ti-state">
              <StateBadge state={ti.state} />
            </td>
            <td class="ti-try">{ti.try_number}</td>
            <td class="ti-start">{ti.start_date ? <time datetime={ti.start_date}>{dateTime(ti.start_date)}</time> : ""}</td>
            <td class="ti-duration">{tiDuration(ti, now)}</td>
            <td class="muted">{ti.operator_name ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
