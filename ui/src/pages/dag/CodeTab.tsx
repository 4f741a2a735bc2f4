// The DAG page's code tab: the DAG file's text as the API server reads it now
// (GET /api/v2/dagSources/{dag_id}), with line numbers, the file's path and a copy button.
import { useEffect, useState } from "preact/hooks";
import { get, isAbort, messageOf } from "../../api";
import { dateTime } from "../../format";
import { notify } from "../../notices";
import type { Session } from "../../session";
import type { DagDetails } from "./dagTypes";
import "./code/code.css";

interface DagSource {
  content: string | null;
  version_number: number | null;
}

export function CodeTab({ dag }: { session: Session; dag: DagDetails; query: URLSearchParams }) {
  const version = dag.latest_dag_version?.version_number ?? null;
  const [source, setSource] = useState<DagSource | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    get<DagSource>(`/api/v2/dagSources/${encodeURIComponent(dag.dag_id)}`, undefined, controller.signal).then(
      (found) => {
        setSource(found);
        setError(null);
      },
      (failure) => {
        if (!isAbort(failure)) setError(`Could not load the DAG's code: ${messageOf(failure)}`);
      },
    );
    return () => controller.abort();
  }, [dag.dag_id, version]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(source?.content ?? "");
      notify("Copied the DAG's code");
    } catch (failure) {
      notify(`Could not copy: ${messageOf(failure)}`, "error");
    }
  };

  return (
    <div class="code-tab">
      <div class="toolbar code-toolbar">
        <code class="code-path" title="The DAG file">
          {dag.fileloc}
        </code>
        {dag.last_parsed_time && <span class="muted">parsed {dateTime(dag.last_parsed_time)}</span>}
        <span class="spacer" />
        <button type="button" onClick={copy} disabled={!source?.content}>
          Copy
        </button>
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {!source && !error && <p class="muted">Loading…</p>}
      {source && source.content === null && <p class="empty">The file of this DAG version cannot be read any more.</p>}
      {source?.content != null && <SourceLines text={source.content} />}
    </div>
  );
}

function SourceLines({ text }: { text: string }) {
  const lines = text.replace(/\n$/, "").split("\n");
  return (
    <pre class="code-lines" aria-label="DAG source">
      <code>
        {lines.map((line, index) => (
          <span key={index} class="code-line">
            {line}
            {"\n"}
          </span>
        ))}
      </code>
    </pre>
  );
}
