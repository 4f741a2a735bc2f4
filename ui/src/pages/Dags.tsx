// The DAGs page: every DAG with its schedule, recent runs, next run, pause switch and trigger
// button; search, tag and active/paused filters and pages live in the URL's query string.
import { useEffect, useState } from "preact/hooks";
import { isAbort, messageOf } from "../api";
import { ImportErrorsBanner } from "../components/ImportErrors";
import { PAGE_SIZES, Pager } from "../components/Pager";
import { RunSquares } from "../components/RunSquares";
import { TriggerDialog } from "../components/TriggerDialog";
import { type DagFilters, listDags, listTags, type PausedFilter, recentRuns, setPaused } from "../data";
import { dateTime, fromNow } from "../format";
import { notify } from "../notices";
import { may } from "../permissions";
import { usePolling } from "../polling";
import { dagPath } from "../paths";
import { href, Link, navigate } from "../router";
import type { Session } from "../session";
import type { Dag, DagRun } from "../types";

interface Listing {
  key: string;
  dags: Dag[];
  total: number;
  runs: Map<string, DagRun[]>;
}

const STATUSES: [PausedFilter, string][] = [
  ["all", "All"],
  ["active", "Active"],
  ["paused", "Paused"],
];

export function readFilters(query: URLSearchParams): DagFilters {
  const status = query.get("status");
  const page = Number(query.get("page"));
  const size = Number(query.get("size"));
  return {
    search: query.get("q") ?? "",
    tags: query.getAll("tag"),
    status: status === "active" || status === "paused" ? status : "all",
    page: Number.isInteger(page) && page > 0 ? page : 1,
    pageSize: PAGE_SIZES.includes(size) ? size : PAGE_SIZES[0],
  };
}

function filtersHref(f: DagFilters): string {
  return href("/", {
    q: f.search,
    tag: f.tags,
    status: f.status === "all" ? undefined : f.status,
    page: f.page > 1 ? String(f.page) : undefined,
    size: f.pageSize === PAGE_SIZES[0] ? undefined : String(f.pageSize),
  });
}

/** Changes some filters of the current URL (back to page 1 unless the page is given). */
function update(changes: Partial<DagFilters>, replace = false): void {
  const now = readFilters(new URLSearchParams(window.location.search));
  navigate(filtersHref({ ...now, page: 1, ...changes }), { replace });
}

export function DagsPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const filters = readFilters(query);
  const key = filtersHref(filters);
  const canChange = may(session.role, "change", "dag");
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [triggering, setTriggering] = useState<Dag | null>(null);

  const refresh = usePolling(async (signal) => {
    try {
      const page = await listDags(filters, signal);
      const runs = await recentRuns(
        page.dags.map((dag) => dag.dag_id),
        signal,
      );
      setListing({ key, dags: page.dags, total: page.total_entries, runs });
      setError(null);
    } catch (failure) {
      if (isAbort(failure)) throw failure;
      setError(messageOf(failure));
    }
  }, key);

  const togglePause = async (dag: Dag) => {
    const paused = !dag.is_paused;
    const mark = (value: boolean) =>
      setListing((shown) => shown && { ...shown, dags: shown.dags.map((d) => (d.dag_id === dag.dag_id ? { ...d, is_paused: value } : d)) });
    mark(paused);
    const change = setPaused(dag.dag_id, paused);
    refresh(change); // what was read before the change lands never
    try {
      await change;
    } catch (failure) {
      mark(!paused);
      notify(`Could not ${paused ? "pause" : "unpause"} ${dag.dag_id}: ${messageOf(failure)}`, "error");
    }
  };

  const triggered = (run: DagRun) => {
    setTriggering(null);
    notify(`Triggered ${run.dag_id}: ${run.dag_run_id}`);
    refresh();
  };

  return (
    <main class="page">
      <ImportErrorsBanner />
      <div class="page-title">
        <h1>DAGs</h1>
        {listing && <span class="muted count">{listing.total.toLocaleString()}</span>}
      </div>
      <Toolbar filters={filters} />
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {listing === null ? (
        !error && <p class="muted">Loading…</p>
      ) : (
        <>
          <table class={`dags ${listing.key === key ? "" : "stale"}`}>
            <thead>
              <tr>
                <th class="col-switch">Active</th>
                <th>DAG</th>
                <th>Owner</th>
                <th>Schedule</th>
                <th>Recent runs</th>
                <th>Next run</th>
                <th class="col-actions">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {listing.dags.map((dag) => (
                <DagRow
                  key={dag.dag_id}
                  dag={dag}
                  runs={listing.runs.get(dag.dag_id)}
                  canChange={canChange}
                  onPause={() => togglePause(dag)}
                  onTrigger={() => setTriggering(dag)}
                  onTag={(tag) => filters.tags.includes(tag) || update({ tags: [...filters.tags, tag] })}
                />
              ))}
            </tbody>
          </table>
          {listing.dags.length === 0 && <p class="empty muted">{emptyText(filters, listing.total)}</p>}
          <Pager
            page={filters.page}
            pageSize={filters.pageSize}
            total={listing.total}
            onPage={(page) => update({ page })}
            onPageSize={(pageSize) => update({ pageSize })}
          />
        </>
      )}
      {triggering && <TriggerDialog dag={triggering} onClose={() => setTriggering(null)} onTriggered={triggered} />}
    </main>
  );
}

function emptyText(filters: DagFilters, total: number): string {
  if (total > 0) return "This page is past the last DAG.";
  const filtered = filters.search || filters.tags.length > 0 || filters.status !== "all";
  return filtered ? "No DAG matches these filters." : "No DAGs yet: DAG files put in the DAGs folder appear here.";
}

interface RowProps {
  dag: Dag;
  runs: DagRun[] | undefined;
  canChange: boolean;
  onPause: () => void;
  onTrigger: () => void;
  onTag: (tag: string) => void;
}

function DagRow({ dag, runs, canChange, onPause, onTrigger, onTag }: RowProps) {
  const next = dag.next_dagrun_run_after;
  return (
    <tr data-dag-id={dag.dag_id} class={dag.is_paused ? "paused" : undefined}>
      <td class="col-switch">
        <input
          type="checkbox"
          role="switch"
          class="switch"
          checked={!dag.is_paused}
          disabled={!canChange}
          onChange={onPause}
          aria-label={`${dag.is_paused ? "Unpause" : "Pause"} ${dag.dag_id}`}
          title={canChange ? (dag.is_paused ? "Paused: click to unpause" : "Active: click to pause") : `${dag.is_paused ? "Paused" : "Active"} (your role cannot change it)`}
        />
      </td>
      <td class="dag-name">
        <Link class="name" href={dagPath(dag.dag_id)} title={dag.description ?? undefined}>
          {dag.dag_display_name}
        </Link>
        {dag.dag_display_name !== dag.dag_id && <span class="dag-id">{dag.dag_id}</span>}
        {dag.has_import_errors && (
          <span class="badge badge-error" title="Its DAG file has import errors: see the banner above">
            import error
          </span>
        )}
        {dag.tags.length > 0 && (
          <span class="tags">
            {dag.tags.map((tag) => (
              <button type="button" class="tag" key={tag.name} onClick={() => onTag(tag.name)} title={`Show DAGs tagged ${tag.name}`}>
                {tag.name}
              </button>
            ))}
          </span>
        )}
      </td>
      <td class="owners">{dag.owners.join(", ")}</td>
      <td class="schedule" title={dag.timetable_description ?? undefined}>
        <code>{dag.timetable_summary ?? "None"}</code>
      </td>
      <td>
        <RunSquares runs={runs} />
      </td>
      <td class="next-run">{next ? <time dateTime={next} title={dateTime(next)}>{fromNow(next)}</time> : <span class="muted">—</span>}</td>
      <td class="col-actions">
        {canChange && (
          <button type="button" onClick={onTrigger} aria-label={`Trigger ${dag.dag_id}`} title="Trigger a run now">
            ▶ Trigger
          </button>
        )}
      </td>
    </tr>
  );
}

function Toolbar({ filters }: { filters: DagFilters }) {
  const [tags, setTags] = useState<string[]>([]);
  usePolling(async (signal) => setTags((await listTags(signal)).tags), "tags", 30000);
  return (
    <div class="toolbar">
      <SearchBox value={filters.search} />
      <div class="segmented" role="group" aria-label="Active or paused">
        {STATUSES.map(([status, label]) => (
          <button type="button" key={status} aria-pressed={filters.status === status} onClick={() => update({ status })}>
            {label}
          </button>
        ))}
      </div>
      <select
        aria-label="Filter by tag"
        value=""
        onChange={(event) => {
          const tag = event.currentTarget.value;
          if (tag) update({ tags: [...filters.tags, tag] });
        }}
      >
        <option value="">Filter by tag…</option>
        {tags
          .filter((tag) => !filters.tags.includes(tag))
          .map((tag) => (
            <option key={tag} value={tag}>
              {tag}
            </option>
          ))}
      </select>
      {filters.tags.map((tag) => (
        <button
          type="button"
          class="tag tag-selected"
          key={tag}
          aria-label={`Remove tag filter ${tag}`}
          onClick={() => update({ tags: filters.tags.filter((t) => t !== tag) })}
        >
          {tag} ×
        </button>
      ))}
    </div>
  );
}

/** The search field; the URL follows what is typed, a moment after typing stops. */
function SearchBox({ value }: { value: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = window.setTimeout(() => update({ search: text }, true), 250);
    return () => window.clearTimeout(timer);
  }, [text]);
  return (
    <input
      type="search"
      class="search"
      placeholder="Search DAGs"
      aria-label="Search DAGs"
      value={text}
      onInput={(event) => setText(event.currentTarget.value)}
    />
  );
}
