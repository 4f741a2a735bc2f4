// The XCom tab: the task instance's entries, key and value (JSON indented when it is JSON).
// The listing has no values: each entry's value is asked for once per timestamp it is seen with.
import { useRef, useState } from "preact/hooks";
import { get, isAbort, messageOf } from "../../api";
import { dateTime } from "../../format";
import { usePolling } from "../../polling";
import { showValue } from "./RenderedTab";
import { type TaskInstanceKey, tiApiPath, type XComCollection, type XComEntry, type XComEntryWithValue } from "./taskTypes";

export function XComTab({ tiKey }: { tiKey: TaskInstanceKey }) {
  const [entries, setEntries] = useState<XComEntryWithValue[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const values = useRef(new Map<string, XComEntryWithValue>());
  const mapIndex = Math.max(tiKey.mapIndex, -1);

  usePolling(async (signal) => {
    try {
      const listing = await get<XComCollection>(tiApiPath(tiKey, "/xcomEntries"), { map_index: mapIndex, limit: 100 }, signal);
      const withValues = await Promise.all(listing.xcom_entries.map((entry) => valueOf(entry, signal)));
      setEntries(withValues);
      setTotal(listing.total_entries);
      setError(null);
    } catch (failure) {
      if (isAbort(failure)) throw failure;
      setError(messageOf(failure));
    }
  }, JSON.stringify(tiKey));

  const valueOf = async (entry: XComEntry, signal: AbortSignal): Promise<XComEntryWithValue> => {
    const cacheKey = `${entry.key}\0${entry.timestamp}`;
    const known = values.current.get(cacheKey);
    if (known) return known;
    const path = tiApiPath(tiKey, `/xcomEntries/${encodeURIComponent(entry.key)}`);
    const found = await get<XComEntryWithValue>(path, { map_index: mapIndex, deserialize: true }, signal);
    values.current.set(cacheKey, found);
    return found;
  };

  if (error) {
    return (
      <p class="banner banner-error" role="alert">
        {error}
      </p>
    );
  }
  if (entries === null) return <p class="muted">Loading…</p>;
  if (entries.length === 0) return <p class="muted empty">This task instance has pushed no XCom.</p>;
  return (
    <>
      <table class="ti-xcom">
        <thead>
          <tr>
            <th>Key</th>
            <th>Value</th>
            <th>Pushed</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.key}>
              <td>
                <code>{entry.key}</code>
              </td>
              <td>
                <pre class="code-block">{showValue(readable(entry.value))}</pre>
              </td>
              <td class="muted">{dateTime(entry.timestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > entries.length && (
        <p class="muted">
          The first {entries.length} of {total} entries.
        </p>
      )}
    </>
  );
}

/** A value that is JSON text shown as the JSON it holds. */
function readable(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return value;
  try {
    return JSON.parse(text);
  } catch {
    return value;
  }
}
