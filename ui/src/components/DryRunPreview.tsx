// What an action on task instances would change, listed before the user confirms it: the
// clear and mark dialogs ask the API for a dry run whenever their options change, and show its
// answer here (or why it failed).
import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../api";
import { StateBadge } from "./StateBadge";

/** One task instance a dry run found. */
export interface AffectedTaskInstance {
  taskId: string;
  /** What to call the task (its display name). */
  name: string;
  mapIndex: number;
  /** Shown when the action may reach other runs. */
  runId?: string;
  state: string | null;
}

export interface DryRun {
  /** The task instances found for the current options; null while they are asked for. */
  items: AffectedTaskInstance[] | null;
  error: string | null;
}

/** Asks `find` again whenever `options` (as JSON) change; only the latest answer is kept. */
export function useDryRun(find: () => Promise<AffectedTaskInstance[]>, options: unknown): DryRun {
  const key = JSON.stringify(options);
  const [answer, setAnswer] = useState<DryRun & { key: string | null }>({ key: null, items: null, error: null });
  useEffect(() => {
    let current = true;
    find().then(
      (items) => current && setAnswer({ key, items, error: null }),
      (failure) => current && setAnswer({ key, items: null, error: messageOf(failure) }),
    );
    return () => {
      current = false;
    };
  }, [key]);
  return answer.key === key ? answer : { items: null, error: null };
}

interface Props {
  dryRun: DryRun;
  /** The list's accessible name, e.g. "Task instances to clear". */
  label: string;
  /** Said when nothing matches the options. */
  emptyText: string;
}

export function DryRunPreview({ dryRun: { items, error }, label, emptyText }: Props) {
  return (
    <div class="dry-run" aria-live="polite">
      {error ? (
        <p class="form-error" role="alert">
          Could not list the task instances: {error}
        </p>
      ) : items === null ? (
        <p class="muted">Listing the task instances…</p>
      ) : items.length === 0 ? (
        <p class="muted">{emptyText}</p>
      ) : (
        <ul class="affected-list" aria-label={label}>
          {items.map((ti) => (
            <li key={`${ti.runId ?? ""}/${ti.taskId}/${ti.mapIndex}`} data-task-id={ti.taskId}>
              <span>
                {ti.name}
                {ti.mapIndex >= 0 && <span class="muted"> [{ti.mapIndex}]</span>}
                {ti.runId && <span class="muted"> · {ti.runId}</span>}
              </span>
              <StateBadge state={ti.state} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
