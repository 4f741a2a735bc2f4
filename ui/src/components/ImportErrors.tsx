// The banner naming the DAG files that failed to import, each expandable to its traceback.
import { useState } from "preact/hooks";
import { messageOf } from "../api";
import { listImportErrors } from "../data";
import { dateTime } from "../format";
import { usePolling } from "../polling";
import type { ImportError } from "../types";

/** The line of `filename` where the error surfaced: the last frame of that file. */
export function errorLine(error: ImportError): number | null {
  let line: number | null = null;
  for (const match of error.stack_trace.matchAll(/File "([^"]+)", line (\d+)/g)) {
    if (match[1] === error.filename || line === null) line = Number(match[2]);
  }
  return line;
}

export function ImportErrorsBanner() {
  const [errors, setErrors] = useState<ImportError[]>([]);
  const [total, setTotal] = useState(0);
  const [failure, setFailure] = useState<string | null>(null);
  usePolling(async (signal) => {
    try {
      const found = await listImportErrors(signal);
      setErrors(found.import_errors);
      setTotal(found.total_entries);
      setFailure(null);
    } catch (error) {
      setFailure(messageOf(error));
    }
  }, "import-errors");

  if (failure) return <div class="banner banner-error">Import errors could not be read: {failure}</div>;
  if (total === 0) return null;
  return (
    <details class="banner banner-error import-errors">
      <summary>
        {total === 1 ? "1 DAG file failed to import" : `${total} DAG files failed to import`}
      </summary>
      <ul>
        {errors.map((error) => {
          const line = errorLine(error);
          return (
            <li key={error.import_error_id}>
              <details>
                <summary>
                  <code>{line === null ? error.filename : `${error.filename}:${line}`}</code>
                  <span class="muted"> · {dateTime(error.timestamp)}</span>
                </summary>
                <pre class="traceback">{error.stack_trace}</pre>
              </details>
            </li>
          );
        })}
      </ul>
      {total > errors.length && <p class="muted">Showing the first {errors.length}.</p>}
    </details>
  );
}
