// Triggering a DAG: a run now (or at a chosen logical date), with a form built from the DAG's
// params (each field checked against its JSON schema before sending), an optional run id and
// note, and the whole conf as JSON under "Advanced". A DAG without params gets the JSON only.
// The server validates the conf again; its message shows in the dialog when it refuses.
import { useEffect, useState } from "preact/hooks";
import { get, isAbort, messageOf, request } from "../api";
import type { Dag, DagRun } from "../types";
import { DialogForm, DialogFrame } from "./Dialog";
import { ParamSections } from "./trigger/ParamSections";
import { isoFromLocal, type TriggerParams } from "./trigger/params";
import { RunOptions, type RunOptionValues } from "./trigger/RunOptions";
import { parseConf, useConfForm } from "./trigger/useConfForm";
import "./trigger/trigger.css";

interface Props {
  /** The DAG; its params are fetched when it has none (a DAG of the DAGs page). */
  dag: Dag;
  onClose: () => void;
  onTriggered: (run: DagRun) => void;
}

type WithParams = Dag & { params?: TriggerParams | null };

export function TriggerDialog({ dag, onClose, onTriggered }: Props) {
  const given = (dag as WithParams).params;
  const [params, setParams] = useState<TriggerParams | null | undefined>(given === undefined ? undefined : given ?? null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    if (params !== undefined) return;
    const controller = new AbortController();
    get<WithParams>(`/api/v2/dags/${encodeURIComponent(dag.dag_id)}/details`, undefined, controller.signal)
      .then((details) => setParams(details.params ?? null))
      .catch((failure) => {
        if (isAbort(failure)) return;
        setLoadError(`Could not read the DAG's params (${messageOf(failure)}): the conf can be typed as JSON.`);
        setParams(null);
      });
    return () => controller.abort();
  }, []);

  return (
    <DialogFrame title={`Trigger ${dag.dag_display_name}`} class="trigger-dialog" onClose={onClose}>
      {params === undefined ? (
        <DialogForm submitLabel="Trigger" submitDisabled onSubmit={async () => {}}>
          <p class="muted">Loading the DAG's params…</p>
        </DialogForm>
      ) : (
        <TriggerForm dagId={dag.dag_id} params={params ?? {}} notice={loadError} onTriggered={onTriggered} />
      )}
    </DialogFrame>
  );
}

interface FormProps {
  dagId: string;
  params: TriggerParams;
  notice: string | null;
  onTriggered: (run: DagRun) => void;
}

function TriggerForm({ dagId, params, notice, onTriggered }: FormProps) {
  const form = useConfForm(params);
  const hasParams = form.fields.length > 0;
  const [advanced, setAdvanced] = useState(false);
  const [options, setOptions] = useState<RunOptionValues>({ logicalDate: "", runId: "", note: "" });

  const problem = (): string | null => {
    if (!hasParams) {
      try {
        parseConf(form.jsonText);
      } catch (failure) {
        return messageOf(failure);
      }
    }
    if (form.jsonError) return form.jsonError;
    if (form.invalidFields > 0) {
      form.showAllErrors();
      const count = form.invalidFields;
      return `${count} param${count === 1 ? " needs" : "s need"} a valid value: see the field${count === 1 ? "" : "s"} marked below.`;
    }
    if (options.logicalDate && !isoFromLocal(options.logicalDate)) return "The logical date is not a valid date and time.";
    return null;
  };

  const submit = async () => {
    const found = problem();
    if (found) throw new Error(found);
    const run = await request<DagRun>("POST", `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns`, {
      body: {
        logical_date: options.logicalDate ? isoFromLocal(options.logicalDate) : null,
        conf: hasParams ? form.conf : parseConf(form.jsonText),
        dag_run_id: options.runId.trim() || undefined,
        note: options.note.trim() || undefined,
      },
    });
    onTriggered(run);
  };

  const jsonShown = !hasParams || advanced;
  return (
    <DialogForm submitLabel="Trigger" onSubmit={submit} noValidate>
      {notice && <p class="muted">{notice}</p>}
      {hasParams && <ParamSections fields={form.fields} onChange={form.setDraft} />}
      {hasParams && (
        <label class="param-check trigger-advanced">
          <input type="checkbox" checked={advanced} onChange={(event) => setAdvanced(event.currentTarget.checked)} />
          <span>Advanced: conf as JSON</span>
        </label>
      )}
      {jsonShown && (
        <>
          <label for="trigger-conf">Configuration (JSON)</label>
          <textarea
            id="trigger-conf"
            rows={8}
            spellcheck={false}
            value={form.jsonText}
            aria-invalid={hasParams && form.jsonError ? true : undefined}
            aria-describedby={hasParams && form.jsonError ? "trigger-conf-error" : undefined}
            onInput={(event) => form.setJson(event.currentTarget.value)}
          />
          {hasParams && form.jsonError && (
            <p class="param-error" id="trigger-conf-error">
              {form.jsonError}
            </p>
          )}
        </>
      )}
      <RunOptions values={options} onChange={setOptions} />
    </DialogForm>
  );
}
