// The trigger form's run options: a logical date (none by default: the run has none, as Airflow
// 3's UI triggers), a run id (generated when empty) and a note.

export interface RunOptionValues {
  /** A `datetime-local` value (the browser's time zone), or empty for none. */
  logicalDate: string;
  runId: string;
  note: string;
}

interface Props {
  values: RunOptionValues;
  onChange: (values: RunOptionValues) => void;
}

export function RunOptions({ values, onChange }: Props) {
  const set = (name: keyof RunOptionValues) => (event: { currentTarget: { value: string } }) =>
    onChange({ ...values, [name]: event.currentTarget.value });
  return (
    <fieldset class="param-section run-options">
      <legend>Run</legend>
      <div class="param-grid">
        <div class="param-field">
          <label for="trigger-logical-date">Logical date</label>
          <input
            id="trigger-logical-date"
            type="datetime-local"
            step={1}
            value={values.logicalDate}
            onInput={set("logicalDate")}
            aria-describedby="trigger-logical-date-help"
          />
          <p class="param-help" id="trigger-logical-date-help">
            Optional, in your time zone. Without one the run has no logical date.
          </p>
        </div>
        <div class="param-field">
          <label for="trigger-run-id">Run id</label>
          <input
            id="trigger-run-id"
            type="text"
            maxLength={250}
            spellcheck={false}
            placeholder="manual__… (generated)"
            value={values.runId}
            onInput={set("runId")}
            aria-describedby="trigger-run-id-help"
          />
          <p class="param-help" id="trigger-run-id-help">
            Optional: letters, digits and <code>_ . ~ : + -</code> (the server's{" "}
            <code>allowed_run_id_pattern</code> decides).
          </p>
        </div>
        <div class="param-field param-wide">
          <label for="trigger-note">Note</label>
          <textarea id="trigger-note" rows={2} maxLength={1000} value={values.note} onInput={set("note")} />
        </div>
      </div>
    </fieldset>
  );
}
