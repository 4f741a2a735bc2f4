// The audit log: who changed what and when, newest first, from GET /api/v2/eventLogs. The
// filters (parts of the DAG, task and run ids, the event and the user; a time range) and the page
// live in the query string, so a filtered view can be reloaded and shared.
import { useEffect, useState } from "preact/hooks";
import { get } from "../../api";
import { dateTime, fromNow } from "../../format";
import { dagPath, runPath } from "../../paths";
import { href, Link, navigate } from "../../router";
import type { Session } from "../../session";
import { AdminListPage, Clipped, ListTail, pageParams, readListFilters, useListing } from "./AdminKit";
import type { EventLog, EventLogCollection } from "./adminTypes";

const PATH = "/events";
const TEXT_FILTERS = [
  ["event", "Event"],
  ["owner", "User"],
  ["dag_id", "DAG id"],
  ["task_id", "Task id"],
  ["run_id", "Run id"],
] as const;
type TextFilter = (typeof TEXT_FILTERS)[number][0];
const DATE_FILTERS = [
  ["after", "After"],
  ["before", "Before"],
] as const;
type DateFilter = (typeof DATE_FILTERS)[number][0];
type FilterName = TextFilter | DateFilter;

interface Filters {
  values: Record<FilterName, string>;
  page: number;
  pageSize: number;
}

function readFilters(query: URLSearchParams): Filters {
  const values = {} as Record<FilterName, string>;
  for (const [name] of [...TEXT_FILTERS, ...DATE_FILTERS]) values[name] = query.get(name) ?? "";
  const { page, pageSize } = readListFilters(query);
  return { values, page, pageSize };
}

function filtersHref(filters: Filters): string {
  return href(PATH, { ...filters.values, ...pageParams(filters) });
}

function update(changes: { values?: Partial<Filters["values"]>; page?: number; pageSize?: number }, replace = false) {
  const now = readFilters(new URLSearchParams(window.location.search));
  navigate(filtersHref({ ...now, page: 1, ...changes, values: { ...now.values, ...changes.values } }), { replace });
}

/** A `datetime-local` value (local time) as an ISO instant; undefined when empty or invalid. */
function instant(local: string): string | undefined {
  const time = new Date(local);
  return local && !Number.isNaN(time.getTime()) ? time.toISOString() : undefined;
}

export function AuditLogPage({ query }: { session: Session; query: URLSearchParams }) {
  const filters = readFilters(query);
  const key = filtersHref(filters);
  const listing = useListing((signal) => {
    const { values } = filters;
    return get<EventLogCollection>(
      "/api/v2/eventLogs",
      {
        order_by: "-when",
        limit: filters.pageSize,
        offset: (filters.page - 1) * filters.pageSize,
        event_pattern: values.event,
        owner_pattern: values.owner,
        dag_id_pattern: values.dag_id,
        task_id_pattern: values.task_id,
        run_id_pattern: values.run_id,
        after: instant(values.after),
        before: instant(values.before),
      },
      signal,
    );
  }, key);
  const filtered = Object.values(filters.values).some(Boolean);

  return (
    <AdminListPage
      title="Audit log"
      listing={listing}
      actions={
        filtered && (
          <button type="button" onClick={() => navigate(PATH)}>
            Clear filters
          </button>
        )
      }
      toolbar={
        <div class="event-filters" role="search" aria-label="Filter events">
          {TEXT_FILTERS.map(([name, label]) => (
            <TextFilterField key={name} label={label} value={filters.values[name]} onChange={(value) => update({ values: { [name]: value } }, true)} />
          ))}
          {DATE_FILTERS.map(([name, label]) => (
            <label key={name} class="field">
              <span class="field-label">{label}</span>
              <input
                type="datetime-local"
                value={filters.values[name]}
                onChange={(event) => update({ values: { [name]: event.currentTarget.value } })}
              />
            </label>
          ))}
        </div>
      }
    >
      {(data) => (
        <>
          <table class="admin-table" aria-label="Audit events">
            <thead>
              <tr>
                <th>When</th>
                <th>User</th>
                <th>Event</th>
                <th>DAG</th>
                <th>Task</th>
                <th>Run</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {data.event_logs.map((entry) => (
                <EventRow key={entry.event_log_id} entry={entry} />
              ))}
            </tbody>
          </table>
          <ListTail
            shown={data.event_logs.length}
            total={data.total_entries}
            emptyText={filtered ? "No event matches these filters." : "No events yet."}
            page={filters.page}
            pageSize={filters.pageSize}
            onPage={(page) => update({ page })}
            onPageSize={(pageSize) => update({ pageSize })}
          />
        </>
      )}
    </AdminListPage>
  );
}

function EventRow({ entry }: { entry: EventLog }) {
  const mapIndex = entry.map_index !== null && entry.map_index >= 0 ? `[${entry.map_index}]` : "";
  return (
    <tr data-event-id={entry.event_log_id}>
      <td>
        <time dateTime={entry.when} title={dateTime(entry.when)}>
          {fromNow(entry.when)}
        </time>
      </td>
      <td data-col="owner">{entry.owner}</td>
      <td data-col="event">
        <code>{entry.event}</code>
      </td>
      <td>{entry.dag_id && <Link href={dagPath(entry.dag_id)}>{entry.dag_id}</Link>}</td>
      <td>
        {entry.task_id}
        {mapIndex}
        {entry.try_number !== null && <span class="muted"> try {entry.try_number}</span>}
      </td>
      <td>{entry.dag_id && entry.run_id ? <Link href={runPath(entry.dag_id, entry.run_id)}>{entry.run_id}</Link> : entry.run_id}</td>
      <td class="event-extra">
        <code class="value">
          <Clipped text={entry.extra ?? ""} max={160} />
        </code>
      </td>
    </tr>
  );
}

/** A filter field that applies what is typed a moment after typing stops. */
function TextFilterField({ label, value, onChange }: { label: string; value: string; onChange: (value: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = window.setTimeout(() => onChange(text), 300);
    return () => window.clearTimeout(timer);
  }, [text]);
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      <input type="search" value={text} placeholder="contains…" onInput={(event) => setText(event.currentTarget.value)} />
    </label>
  );
}
