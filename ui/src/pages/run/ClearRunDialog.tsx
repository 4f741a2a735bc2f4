// Clearing a run: a dry run lists the task instances that would run again (all, or only the
// failed ones), then the user confirms.
import { useState } from "preact/hooks";
import { ConfirmDialog } from "../../components/Dialog";
import { DryRunPreview, useDryRun } from "../../components/DryRunPreview";
import { clearRun, previewClear, type RunDetails } from "./runApi";

interface Props {
  run: RunDetails;
  onCleared: (run: RunDetails) => void;
  onClose: () => void;
}

export function ClearRunDialog({ run, onCleared, onClose }: Props) {
  const [onlyFailed, setOnlyFailed] = useState(false);
  const dryRun = useDryRun(async () => {
    const page = await previewClear(run.dag_id, run.dag_run_id, onlyFailed);
    return page.task_instances.map((ti) => ({
      taskId: ti.task_id,
      name: ti.task_display_name,
      mapIndex: ti.map_index,
      state: ti.state,
    }));
  }, onlyFailed);
  const count = dryRun.items?.length ?? 0;
  const confirm = async () => onCleared(await clearRun(run.dag_id, run.dag_run_id, onlyFailed));

  return (
    <ConfirmDialog
      title={`Clear run ${run.dag_run_id}`}
      confirmLabel={dryRun.items ? `Clear ${count} task instance${count === 1 ? "" : "s"}` : "Clear"}
      confirmDisabled={count === 0}
      onConfirm={confirm}
      onClose={onClose}
    >
      <p>The task instances below go back to no state and run again; the run is queued again.</p>
      <label class="check-label">
        <input type="checkbox" checked={onlyFailed} onChange={(event) => setOnlyFailed(event.currentTarget.checked)} />
        Only failed tasks
      </label>
      <DryRunPreview dryRun={dryRun} label="Task instances to clear" emptyText="Nothing to clear." />
    </ConfirmDialog>
  );
}
