// Triggering a DAG: a run now, with a conf typed as JSON (a form built from the DAG's params
// comes with the DAG page).
import { useEffect, useRef, useState } from "preact/hooks";
import { messageOf } from "../api";
import { triggerRun } from "../data";
import type { Dag, DagRun } from "../types";

interface Props {
  dag: Dag;
  onClose: () => void;
  onTriggered: (run: DagRun) => void;
}

function parseConf(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The configuration is not valid JSON: ${messageOf(error)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("The configuration must be a JSON object, like {\"key\": \"value\"}");
  }
  return value as Record<string, unknown>;
}

export function TriggerDialog({ dag, onClose, onTriggered }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [conf, setConf] = useState("{}");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => dialog.current?.showModal(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onTriggered(await triggerRun(dag.dag_id, parseConf(conf)));
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="dialog" onClose={onClose} aria-labelledby="trigger-title">
      <form onSubmit={submit}>
        <h2 id="trigger-title">Trigger {dag.dag_display_name}</h2>
        <label for="trigger-conf">Configuration (JSON)</label>
        <textarea
          id="trigger-conf"
          rows={8}
          spellcheck={false}
          value={conf}
          onInput={(event) => setConf(event.currentTarget.value)}
        />
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Trigger
          </button>
        </div>
      </form>
    </dialog>
  );
}
