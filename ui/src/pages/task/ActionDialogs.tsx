// Clearing a task instance and marking it success or failed: options, then a dry run listing
// every task instance the action would change, then the action on confirmation.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { request } from "../../api";
import { ConfirmDialog } from "../../components/Dialog";
import { DryRunPreview, useDryRun } from "../../components/DryRunPreview";
import { notify } from "../../notices";
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
  const [chosen, setChosen] = useState(initial);
  const dryRun = useDryRun(async () => {
    const found = await run(chosen, true);
    return found.task_instances.map((item) => ({
      taskId: item.task_id,
      name: item.task_display_name,
      mapIndex: item.map_index,
      runId: item.dag_run_id,
      state: item.state,
    }));
  }, chosen);

  const confirm = async () => {
    const done = await run(chosen, false);
    notify(doneText(done.task_instances.length));
    onDone();
  };

  return (
    <ConfirmDialog
      title={title}
      confirmLabel={verb}
      confirmDisabled={!dryRun.items?.length}
      class="dialog-wide"
      onConfirm={confirm}
      onClose={onClose}
    >
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
      <DryRunPreview dryRun={dryRun} label="Task instances affected" emptyText="No task instance matches these options." />
    </ConfirmDialog>
  );
}
