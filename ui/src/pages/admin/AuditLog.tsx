// The audit log: who changed what and when, newest first, from GET /api/v2/eventLogs. The
// filters (parts of the DAG, task and run ids, the event and the user; a time range) and the page
// live in the query string, so a filtered view can be reloaded and shared.
import { useEffect, useState } from "preact/hooks";
import { get } from "../../api";
import { PAGE_SIZES, Pager } from "../../components/Pager";
import { dateTime, fromNow } from "../../format";
import { dagPath, runPath } from "../../paths";
import { href, Link, navigate } from "../../router";
import type { Session } from "../../session";
import { Clipped, ErrorBanner, PageTitle, useListing } from "./AdminKit";
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
  const page = Number(query.get("page"));
  const size = Number(query.get("size"));
  return {
    values,
    page: Number.isInteger(page) && page > 0 ? page : 1,
    pageSize: PAGE_SIZES.includes(size) ? size : PAGE_SIZES[0],
  };
}

function filtersHref(filters: Filters): string {
  return href(PATH, {
    ...filters.values,
    page: filters.page > 1 ? String(filters.page) : undefined,
    size: filters.pageSize === PAGE_SIZES[0] ? undefined : String(filters.pageSize),
  });
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
  const data = listing.data;
  const filtered = Object.values(filters.values).some(Boolean);

  return (
    <main class="page">
      <PageTitle title="Audit log" count={data?.total_entries}>
        {filtered && (
          <button type="button" onClick={() => navigate(PATH)}>
            Clear filters
          </button>
        )}
      </PageTitle>
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
      <ErrorBanner error={listing.error} />
      {data && (
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
          {data.event_logs.length === 0 && <p class="empty muted">{filtered ? "No event matches these filters." : "No events yet."}</p>}
          <Pager
            page={filters.page}
            pageSize={filters.pageSize}
            total={data.total_entries}
            onPage={(page) => update({ page })}
            onPageSize={(pageSize) => update({ pageSize })}
          />
        </>
      )}
      {!data && !listing.error && <p class="muted">Loading…</p>}
    </main>
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
