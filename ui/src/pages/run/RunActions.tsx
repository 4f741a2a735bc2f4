// The run's actions for roles that may change DAGs: clear, mark success or failed, delete, each
// confirmed in a dialog.
import { useState } from "preact/hooks";
import { notify } from "../../notices";
import { dagPath } from "../../paths";
import { navigate } from "../../router";
import { ClearRunDialog } from "./ClearRunDialog";
import { ConfirmDialog } from "../../components/Dialog";
import { deleteRun, type MarkState, markRun, type RunDetails } from "./runApi";

type Action = "clear" | MarkState | "delete";

interface Props {
  run: RunDetails;
  onChanged: (run: RunDetails) => void;
}

const MARK_EFFECT: Record<MarkState, string> = {
  success: "Its task instances that have not finished are marked success too.",
  failed: "Its running task instances are marked failed, and those not started yet skipped.",
};

export function RunActions({ run, onChanged }: Props) {
  const [action, setAction] = useState<Action | null>(null);
  const close = () => setAction(null);
  const { dag_id: dagId, dag_run_id: runId } = run;

  const mark = (state: MarkState) => async () => {
    onChanged(await markRun(dagId, runId, state));
    notify(`Marked ${runId} ${state}`);
  };
  const remove = async () => {
    await deleteRun(dagId, runId);
    notify(`Deleted run ${runId}`);
    navigate(dagPath(dagId));
  };

  return (
    <div class="run-actions" role="group" aria-label="Run actions">
      <button type="button" onClick={() => setAction("clear")}>
        Clear
      </button>
      <button type="button" onClick={() => setAction("success")} disabled={run.state === "success"}>
        Mark success
      </button>
      <button type="button" onClick={() => setAction("failed")} disabled={run.state === "failed"}>
        Mark failed
      </button>
      <button type="button" class="danger" onClick={() => setAction("delete")}>
        Delete
      </button>
      {action === "clear" && (
        <ClearRunDialog
          run={run}
          onClose={close}
          onCleared={(cleared) => {
            onChanged(cleared);
            notify(`Cleared ${runId}`);
          }}
        />
      )}
      {(action === "success" || action === "failed") && (
        <ConfirmDialog
          title={`Mark run ${runId} ${action}`}
          confirmLabel={`Mark ${action}`}
          danger={action === "failed"}
          onConfirm={mark(action)}
          onClose={close}
        >
          <p>
            The run is now <strong>{run.state}</strong>. {MARK_EFFECT[action]}
          </p>
        </ConfirmDialog>
      )}
      {action === "delete" && (
        <ConfirmDialog title={`Delete run ${runId}`} confirmLabel="Delete run" danger onConfirm={remove} onClose={close}>
          <p>The run, its task instances and their XComs are deleted. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
