// Which run's task states the graph shows: the DAG's newest runs, newest first.
import { dateTime } from "../../../format";
import type { DagRun } from "../../../types";

interface Props {
  runs: DagRun[];
  selected: string | null;
  onSelect: (runId: string) => void;
}

export function RunPicker({ runs, selected, onSelect }: Props) {
  if (runs.length === 0) return <span class="muted">No runs yet: task states show once the DAG has run.</span>;
  const known = runs.some((run) => run.dag_run_id === selected);
  return (
    <label class="run-picker">
      Run{" "}
      <select value={selected ?? ""} onChange={(event) => onSelect(event.currentTarget.value)}>
        {!known && selected && <option value={selected}>{selected}</option>}
        {runs.map((run) => (
          <option key={run.dag_run_id} value={run.dag_run_id}>
            {`${run.dag_run_id} · ${run.state} · ${dateTime(run.run_after)}`}
          </option>
        ))}
      </select>
    </label>
  );
}
