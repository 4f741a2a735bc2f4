// The run's note: shown to everyone, edited in place by roles that may change DAGs.
import { useState } from "preact/hooks";
import { messageOf } from "../../api";
import { type RunDetails, setRunNote } from "./runApi";

interface Props {
  run: RunDetails;
  canEdit: boolean;
  onSaved: (run: RunDetails) => void;
}

export function RunNote({ run, canEdit, onSaved }: Props) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (event: Event) => {
    event.preventDefault();
    if (draft === null) return;
    setBusy(true);
    setError(null);
    try {
      onSaved(await setRunNote(run.dag_id, run.dag_run_id, draft.trim() ? draft : null));
      setDraft(null);
    } catch (failure) {
      setError(`Could not save the note: ${messageOf(failure)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card run-note" aria-labelledby="run-note-title">
      <div class="run-note-head">
        <h2 id="run-note-title" class="run-section-title">
          Note
        </h2>
        {canEdit && draft === null && (
          <button type="button" onClick={() => setDraft(run.note ?? "")}>
            {run.note ? "Edit note" : "Add a note"}
          </button>
        )}
      </div>
      {draft === null ? (
        run.note ? (
          <p class="run-note-text">{run.note}</p>
        ) : (
          <p class="muted">No note.</p>
        )
      ) : (
        <form onSubmit={save} class="run-note-form">
          <label for="run-note-input" class="visually-hidden">
            Note
          </label>
          <textarea
            id="run-note-input"
            rows={3}
            maxLength={1000}
            value={draft}
            onInput={(event) => setDraft(event.currentTarget.value)}
          />
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <div class="dialog-actions">
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={busy}>
              Save note
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
