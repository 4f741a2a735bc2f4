// The Gantt chart of a DAG run: one bar per task instance, rows in the DAG's task order, from
// when it was queued (lighter) and started to when it ended, coloured by its state. Hovering or
// focusing a bar shows its times; clicking opens the task instance. Running bars grow live.
// All the run's task instances come in one request (GET /ui/runs/{dag_id}/{run_id}).
import { useEffect, useState } from "preact/hooks";
import { ApiError, isAbort, messageOf } from "../../api";
import { dateTime, duration } from "../../format";
import { taskInstancePath } from "../../paths";
import { usePolling } from "../../polling";
import { Link } from "../../router";
import { fetchRunTaskInstances, type RunTaskInstance } from "../dag/graph/runTaskInstances";
import { fetchStructure } from "../dag/graph/structure";
import { type GanttRow, ticks, timeline } from "./gantt/timeline";
import "./gantt/gantt.css";

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const fineClock = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  fractionalSecondDigits: 1,
});

export function GanttChart({ dagId, runId }: { dagId: string; runId: string }) {
  const taskOrder = useTaskOrder(dagId);
  const [instances, setInstances] = useState<RunTaskInstance[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now);

  usePolling(
    async (signal) => {
      try {
        setInstances((await fetchRunTaskInstances(dagId, runId, signal)).task_instances);
        setError(null);
      } catch (failure) {
        if (isAbort(failure) || (failure instanceof ApiError && failure.status === 401)) throw failure;
        setError(`Could not load the task instances: ${messageOf(failure)}`);
      }
      setNow(Date.now());
    },
    `${dagId}\u0000${runId}`,
  );

  const shown = instances ? timeline(instances, taskOrder, now) : null;
  return (
    <section class="gantt" aria-label="Gantt chart">
      <h2>Gantt</h2>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {!shown && !error && <p class="muted">Loading…</p>}
      {shown && shown.rows.length === 0 && <p class="empty">This run has no task instances yet.</p>}
      {shown && shown.rows.length > 0 && (
        <div class="gantt-chart">
          <div class="gantt-axis" aria-hidden="true">
            <span class="gantt-label" />
            <div class="gantt-track">
              <Axis from={shown.from} to={shown.to} />
            </div>
          </div>
          {shown.rows.map((row) => (
            <Row key={`${row.ti.task_id}:${row.ti.map_index}`} row={row} from={shown.from} to={shown.to} dagId={dagId} runId={runId} />
          ))}
        </div>
      )}
    </section>
  );
}

function Axis({ from, to }: { from: number; to: number }) {
  const { moments, step } = ticks(from, to);
  const format = step < 1000 ? fineClock : clock;
  return (
    <>
      {moments.map((at) => (
        <span key={at} class="gantt-tick" style={{ left: percent(at - from, to - from) }}>
          {format.format(at)}
        </span>
      ))}
    </>
  );
}

/** The DAG's task ids in DAG order (from its newest structure); empty until known. */
function useTaskOrder(dagId: string): string[] {
  const [order, setOrder] = useState<string[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    fetchStructure(dagId, controller.signal).then(
      (structure) => setOrder(structure.nodes.map((node) => node.id)),
      (failure) => {
        if (!isAbort(failure) && !(failure instanceof ApiError && failure.status === 404)) console.error(failure);
      },
    );
    return () => controller.abort();
  }, [dagId]);
  return order;
}

interface RowProps {
  row: GanttRow;
  from: number;
  to: number;
  dagId: string;
  runId: string;
}

function Row({ row, from, to, dagId, runId }: RowProps) {
  const [hovered, setHovered] = useState(false);
  const { ti } = row;
  const state = ti.state ?? "none";
  const span = to - from;
  const queuedEnd = row.startedAt ?? row.endedAt;
  const link = taskInstancePath(dagId, runId, ti.task_id, ti.map_index);
  const show = () => setHovered(true);
  const hide = () => setHovered(false);
  return (
    <div class="gantt-row" data-task-id={ti.task_id} data-map-index={ti.map_index} data-state={state}>
      <Link href={link} class="gantt-label" title={ti.task_id}>
        {row.label}
      </Link>
      <div class="gantt-track">
        {row.queuedAt !== null && queuedEnd !== null && (
          <span
            class={`gantt-queued state-${state}`}
            style={{ left: percent(row.queuedAt - from, span), width: percent(queuedEnd - row.queuedAt, span) }}
          />
        )}
        {row.startedAt !== null && row.endedAt !== null && (
          <Link
            href={link}
            class={`gantt-bar state-${state}${row.running ? " growing" : ""}`}
            data-state={state}
            style={{ left: percent(row.startedAt - from, span), width: percent(row.endedAt - row.startedAt, span) }}
            aria-label={`${row.label}: ${state}, ${duration((row.endedAt - row.startedAt) / 1000)}`}
            onMouseEnter={show}
            onMouseLeave={hide}
            onFocus={show}
            onBlur={hide}
          >
            <span class="visually-hidden">{row.label}</span>
          </Link>
        )}
        {hovered && <Tooltip row={row} place={tooltipPlace(row, from, span)} />}
      </div>
    </div>
  );
}

/** Beside the bar, on the side with room: from its start in the left half, to its end past it. */
function tooltipPlace(row: GanttRow, from: number, span: number): { left?: string; right?: string } {
  const start = (row.startedAt ?? row.queuedAt ?? from) - from;
  if (start / span < 0.5) return { left: percent(start, span) };
  return { right: percent(span - ((row.endedAt ?? from + span) - from), span) };
}

function Tooltip({ row, place }: { row: GanttRow; place: { left?: string; right?: string } }) {
  const { ti } = row;
  const ran = row.startedAt !== null && row.endedAt !== null ? (row.endedAt - row.startedAt) / 1000 : null;
  return (
    <div class="gantt-tooltip" role="tooltip" style={place}>
      <strong>{row.label}</strong> <span class={`gantt-state state-${ti.state ?? "none"}`}>{ti.state ?? "no state"}</span>
      <dl>
        {ti.queued_when && (
          <>
            <dt>Queued</dt>
            <dd>{dateTime(ti.queued_when)}</dd>
          </>
        )}
        <dt>Start</dt>
        <dd>{dateTime(ti.start_date) || "not yet"}</dd>
        <dt>End</dt>
        <dd>{ti.end_date ? dateTime(ti.end_date) : row.running ? "running" : "not yet"}</dd>
        <dt>Duration</dt>
        <dd>{ran === null ? "" : duration(ran)}</dd>
        <dt>Try</dt>
        <dd>{ti.try_number}</dd>
      </dl>
    </div>
  );
}

function percent(part: number, whole: number): string {
  return `${Math.max(0, Math.min(100, (part / whole) * 100)).toFixed(3)}%`;
}
