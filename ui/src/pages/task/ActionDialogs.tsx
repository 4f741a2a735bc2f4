// Clearing a task instance and marking it success or failed: options, then a dry run listing
// every task instance the action would change, then the action on confirmation.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { messageOf, request } from "../../api";
import { notify } from "../../notices";
import { StateBadge } from "./StateBadge";
import { type TaskInstance, type TaskInstanceCollection, tiPath } from "./taskTypes";

interface Option {
  name: string;
  label: string;
}

interface ActionProps {
  ti: TaskInstance;
  onClose: () => void;
  onDone: () => void;
}

const CLEAR_OPTIONS: Option[] = [
  { name: "include_downstream", label: "Downstream" },
  { name: "include_upstream", label: "Upstream" },
  { name: "only_failed", label: "Only failed" },
];

const MARK_OPTIONS: Option[] = [
  { name: "include_downstream", label: "Downstream" },
  { name: "include_upstream", label: "Upstream" },
];

export function ClearDialog({ ti, onClose, onDone }: ActionProps) {
  const run = (options: Record<string, boolean>, dryRun: boolean) =>
    request<TaskInstanceCollection>("POST", `/api/v2/dags/${encodeURIComponent(ti.dag_id)}/clearTaskInstances`, {
      body: {
        dry_run: dryRun,
        dag_run_id: ti.dag_run_id,
        task_ids: [ti.map_index >= 0 ? [ti.task_id, ti.map_index] : ti.task_id],
        include_upstream: options.include_upstream,
        include_downstream: options.include_downstream,
        only_failed: options.only_failed,
        reset_dag_runs: true,
      },
    });
  return (
    <ActionDialog
      title={`Clear ${label(ti)}`}
      verb="Clear"
      doneText={(count) => `Cleared ${count} task instance${count === 1 ? "" : "s"}`}
      options={CLEAR_OPTIONS}
      initial={{ include_downstream: true, include_upstream: false, only_failed: false }}
      run={run}
      onClose={onClose}
      onDone={onDone}
    >
      The task instances below lose their state and run again.
    </ActionDialog>
  );
}

export function MarkDialog({ ti, newState, onClose, onDone }: ActionProps & { newState: "success" | "failed" }) {
  const run = (options: Record<string, boolean>, dryRun: boolean) =>
    request<TaskInstanceCollection>("PATCH", tiPath({ dagId: ti.dag_id, runId: ti.dag_run_id, taskId: ti.task_id, mapIndex: ti.map_index }) + (dryRun ? "/dry_run" : ""), {
      body: { new_state: newState, ...options },
    });
  return (
    <ActionDialog
      title={`Mark ${label(ti)} as ${newState}`}
      verb={`Mark ${newState}`}
      doneText={(count) => `Marked ${count} task instance${count === 1 ? "" : "s"} ${newState}`}
      options={MARK_OPTIONS}
      initial={{ include_downstream: false, include_upstream: false }}
      run={run}
      onClose={onClose}
      onDone={onDone}
    >
      The task instances below are set to <strong>{newState}</strong>.
    </ActionDialog>
  );
}

function label(ti: TaskInstance): string {
  return ti.map_index >= 0 ? `${ti.task_id} [${ti.map_index}]` : ti.task_id;
}

interface DialogProps {
  title: string;
  verb: string;
  doneText: (count: number) => string;
  options: Option[];
  initial: Record<string, boolean>;
  run: (options: Record<string, boolean>, dryRun: boolean) => Promise<TaskInstanceCollection>;
  onClose: () => void;
  onDone: () => void;
  children: ComponentChildren;
}

function ActionDialog({ title, verb, doneText, options, initial, run, onClose, onDone, children }: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [chosen, setChosen] = useState(initial);
  const [preview, setPreview] = useState<TaskInstance[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => dialog.current?.showModal(), []);

  useEffect(() => {
    let current = true;
    setPreview(null);
    setError(null);
    run(chosen, true).then(
      (found) => current && setPreview(found.task_instances),
      (failure) => current && setError(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [JSON.stringify(chosen)]);

  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const done = await run(chosen, false);
      notify(doneText(done.task_instances.length));
      onDone();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="dialog ti-dialog" onClose={onClose} aria-labelledby="ti-action-title">
      <form onSubmit={confirm}>
        <h2 id="ti-action-title">{title}</h2>
        <fieldset class="ti-options">
          <legend>Include</legend>
          {options.map((option) => (
            <label key={option.name}>
              <input
                type="checkbox"
                checked={chosen[option.name]}
                onChange={(event) => setChosen({ ...chosen, [option.name]: event.currentTarget.checked })}
              />{" "}
              {option.label}
            </label>
          ))}
        </fieldset>
        <p>{children}</p>
        <div class="ti-preview" aria-live="polite">
          {preview === null && !error && <p class="muted">Finding the task instances…</p>}
          {preview !== null && preview.length === 0 && <p class="muted">No task instance matches these options.</p>}
          {preview !== null && preview.length > 0 && (
            <ul aria-label="Task instances affected">
              {preview.map((item) => (
                <li key={item.id}>
                  <code>{label(item)}</code> <span class="muted">{item.dag_run_id}</span> <StateBadge state={item.state} />
                </li>
              ))}
            </ul>
          )}
        </div>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !preview || preview.length === 0}>
            {verb}
          </button>
        </div>
      </form>
    </dialog>
  );
}
