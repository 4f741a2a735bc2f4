// Clearing a run: a dry run lists the task instances that would run again (all, or only the
// failed ones), then the user confirms.
import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api";
import { ConfirmDialog } from "./ConfirmDialog";
import { clearRun, previewClear, type RunDetails, type RunTaskInstance } from "./runApi";
import { StateLabel } from "./StateLabel";

interface Props {
  run: RunDetails;
  onCleared: (run: RunDetails) => void;
  onClose: () => void;
}

type Preview = { onlyFailed: boolean; tis: RunTaskInstance[] } | { onlyFailed: boolean; error: string };

export function ClearRunDialog({ run, onCleared, onClose }: Props) {
  const [onlyFailed, setOnlyFailed] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);

  useEffect(() => {
    let current = true;
    previewClear(run.dag_id, run.dag_run_id, onlyFailed)
      .then((page) => current && setPreview({ onlyFailed, tis: page.task_instances }))
      .catch((failure) => current && setPreview({ onlyFailed, error: messageOf(failure) }));
    return () => {
      current = false;
    };
  }, [onlyFailed]);

  const ready = preview !== null && preview.onlyFailed === onlyFailed && "tis" in preview ? preview.tis : null;
  const count = ready?.length ?? 0;
  const confirm = async () => onCleared(await clearRun(run.dag_id, run.dag_run_id, onlyFailed));

  return (
    <ConfirmDialog
      title={`Clear run ${run.dag_run_id}`}
      confirmLabel={ready ? `Clear ${count} task instance${count === 1 ? "" : "s"}` : "Clear"}
      confirmDisabled={!ready || count === 0}
      onConfirm={confirm}
      onClose={onClose}
    >
      <p>The task instances below go back to no state and run again; the run is queued again.</p>
      <label class="check-label">
        <input type="checkbox" checked={onlyFailed} onChange={(event) => setOnlyFailed(event.currentTarget.checked)} />
        Only failed tasks
      </label>
      {preview && "error" in preview ? (
        <p class="form-error" role="alert">
          Could not list what would be cleared: {preview.error}
        </p>
      ) : !ready ? (
        <p class="muted">Listing the task instances…</p>
      ) : count === 0 ? (
        <p class="muted">Nothing to clear.</p>
      ) : (
        <ul class="clear-list" aria-label="Task instances to clear">
          {ready.map((ti) => (
            <li key={`${ti.task_id}/${ti.map_index}`} data-task-id={ti.task_id}>
              <span>
                {ti.task_display_name}
                {ti.map_index >= 0 && <span class="muted"> [{ti.map_index}]</span>}
              </span>
              <StateLabel state={ti.state} />
            </li>
          ))}
        </ul>
      )}
    </ConfirmDialog>
  );
}
