// A DAG's recent runs as coloured squares, oldest on the left; the tooltip tells the run.
import { dateTime, duration } from "../format";
import type { DagRun } from "../types";

function describe(run: DagRun): string {
  const lines = [run.dag_run_id, `state: ${run.state}`, `run after: ${dateTime(run.run_after)}`];
  if (run.start_date) lines.push(`started: ${dateTime(run.start_date)}`);
  if (run.end_date) lines.push(`ended: ${dateTime(run.end_date)}`);
  if (run.duration !== null) lines.push(`duration: ${duration(run.duration)}`);
  return lines.join("\n");
}

export function RunSquares({ runs }: { runs: DagRun[] | undefined }) {
  if (!runs) return <span class="muted">…</span>;
  if (runs.length === 0) return <span class="muted">no runs</span>;
  return (
    <ol class="runs" aria-label="Recent runs, oldest first">
      {runs.map((run) => (
        <li
          key={run.dag_run_id}
          class={`run state-${run.state}`}
          data-state={run.state}
          data-run-id={run.dag_run_id}
          title={describe(run)}
          aria-label={`${run.dag_run_id}: ${run.state}`}
        />
      ))}
    </ol>
  );
}
