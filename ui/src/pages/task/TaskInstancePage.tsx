// A task instance's page: where it is (breadcrumbs), its state and try, why it waits when it
// does, actions for roles that may change DAGs, and tabs for its logs per try, details, rendered
// templates and XCom. A mapped task opened without a map index lists its mapped instances.
import { useState } from "preact/hooks";
import { ApiError, get, isAbort, messageOf } from "../../api";
import { PAGE_SIZES } from "../../components/Pager";
import { StateBadge } from "../../components/StateBadge";
import { dagPath, runPath, taskInstancePath } from "../../paths";
import { may } from "../../permissions";
import { usePolling } from "../../polling";
import { Link, navigate } from "../../router";
import type { Session } from "../../session";
import { ClearDialog, MarkDialog } from "./ActionDialogs";
import { DetailsTab } from "./DetailsTab";
import { LogsTab } from "./LogsTab";
import { MappedInstances } from "./MappedInstances";
import { RenderedTab } from "./RenderedTab";
import "./task.css";
import {
  type Dependency,
  type DependencyCollection,
  type TaskInstance,
  type TaskInstanceCollection,
  type TaskInstanceKey,
  type TaskTry,
  type TaskTryCollection,
  tiApiPath,
  tiPath,
  WAITING_STATES,
} from "./taskTypes";
import { WhyNotRunning } from "./WhyNotRunning";
import { XComTab } from "./XComTab";

interface Props {
  session: Session;
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number | null;
}

type Tab = "logs" | "details" | "rendered" | "xcom";
const TABS: [Tab, string][] = [
  ["logs", "Logs"],
  ["details", "Details"],
  ["rendered", "Rendered templates"],
  ["xcom", "XCom"],
];

/** Which page of a mapped task's instances to list. */
interface MappedPage {
  page: number;
  size: number;
}

interface Loaded {
  key: string;
  ti: TaskInstance | null;
  /** The mapped instances, when the page names a mapped task without a map index. */
  mapped: TaskInstanceCollection | null;
  tries: TaskTry[];
  dependencies: Dependency[] | null;
}

export function TaskInstancePage({ session, dagId, runId, taskId, mapIndex, tryNumber }: Props) {
  const key: TaskInstanceKey = { dagId, runId, taskId, mapIndex };
  const [mappedPage, setMappedPage] = useState<MappedPage>({ page: 1, size: PAGE_SIZES.at(-1) ?? 100 });
  const keyText = JSON.stringify(key);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("logs");
  const [dialog, setDialog] = useState<"clear" | "success" | "failed" | null>(null);
  const canChange = may(session.role, "change", "dag");

  const refresh = usePolling(async (signal) => {
    try {
      setLoaded(await loadTaskInstance(key, keyText, mappedPage, signal));
      setError(null);
    } catch (failure) {
      if (isAbort(failure)) throw failure;
      setError(messageOf(failure));
    }
  }, `${keyText}|${mappedPage.page}|${mappedPage.size}`);

  const shown = loaded?.key === keyText ? loaded : null;
  const ti = shown?.ti ?? null;
  const latestTry = ti?.try_number ?? 0;
  const selectedTry = tryNumber ?? latestTry;

  return (
    <main class="page ti-page">
      <nav class="crumbs" aria-label="Breadcrumbs">
        <Link href="/">DAGs</Link> / <Link href={dagPath(dagId)}>{ti?.dag_display_name ?? dagId}</Link> /{" "}
        <Link href={runPath(dagId, runId)}>{runId}</Link> /{" "}
        {mapIndex >= 0 ? <Link href={taskInstancePath(dagId, runId, taskId)}>{taskId}</Link> : <span>{taskId}</span>}
        {mapIndex >= 0 && <span> [{ti?.rendered_map_index ?? mapIndex}]</span>}
      </nav>
      <div class="page-title">
        <h1>
          {ti?.task_display_name ?? taskId}
          {mapIndex >= 0 && <span class="ti-map-index"> [{ti?.rendered_map_index ?? mapIndex}]</span>}
        </h1>
        {ti && <StateBadge state={ti.state} />}
        {ti && ti.try_number > 0 && (
          <span class="muted">
            try {ti.try_number} of {ti.max_tries + 1}
          </span>
        )}
        <span class="spacer" />
        {ti && canChange && (
          <div class="ti-actions">
            <button type="button" onClick={() => setDialog("clear")}>
              ↻ Clear
            </button>
            <button type="button" onClick={() => setDialog("success")} disabled={ti.state === "success"}>
              ✓ Mark success
            </button>
            <button type="button" onClick={() => setDialog("failed")} disabled={ti.state === "failed"}>
              ✗ Mark failed
            </button>
          </div>
        )}
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {shown === null && !error && <p class="muted">Loading…</p>}
      {shown?.mapped && (
        <MappedInstances
          dagId={dagId}
          runId={runId}
          taskId={taskId}
          listing={shown.mapped}
          page={mappedPage.page}
          pageSize={mappedPage.size}
          onPage={(page) => setMappedPage({ ...mappedPage, page })}
          onPageSize={(size) => setMappedPage({ page: 1, size })}
        />
      )}
      {ti && WAITING_STATES.includes(ti.state) && <WhyNotRunning ti={ti} dependencies={shown?.dependencies ?? []} />}
      {ti && (
        <>
          <div class="tabs" role="tablist" aria-label="Views of the task instance">
            {TABS.map(([name, label]) => (
              <button
                key={name}
                type="button"
                role="tab"
                class="tab"
                aria-selected={name === tab}
                aria-current={name === tab ? "page" : undefined}
                onClick={() => setTab(name)}
              >
                {label}
              </button>
            ))}
          </div>
          <section class="tab-panel" role="tabpanel" aria-label={TABS.find(([name]) => name === tab)?.[1]}>
            {tab === "logs" && (
              <LogsTab
                ti={ti}
                tiKey={key}
                tries={shown?.tries ?? []}
                selectedTry={selectedTry}
                onSelect={(number) =>
                  navigate(taskInstancePath(dagId, runId, taskId, mapIndex, number === latestTry ? undefined : number))
                }
              />
            )}
            {tab === "details" && <DetailsTab ti={ti} />}
            {tab === "rendered" && <RenderedTab ti={ti} />}
            {tab === "xcom" && <XComTab tiKey={key} />}
          </section>
        </>
      )}
      {ti && dialog === "clear" && (
        <ClearDialog
          ti={ti}
          onClose={() => setDialog(null)}
          onDone={() => {
            setDialog(null);
            if (tryNumber !== null) navigate(taskInstancePath(dagId, runId, taskId, mapIndex));
            refresh();
          }}
        />
      )}
      {ti && (dialog === "success" || dialog === "failed") && (
        <MarkDialog
          ti={ti}
          newState={dialog}
          onClose={() => setDialog(null)}
          onDone={() => {
            setDialog(null);
            refresh();
          }}
        />
      )}
    </main>
  );
}

/** The task instance (or a mapped task's instances), its tries, and why it waits if it does. */
async function loadTaskInstance(
  key: TaskInstanceKey,
  keyText: string,
  mappedPage: MappedPage,
  signal: AbortSignal,
): Promise<Loaded> {
  const mapIndexQuery = { map_index: key.mapIndex >= 0 ? key.mapIndex : undefined };
  let ti: TaskInstance;
  try {
    ti = await get<TaskInstance>(tiPath(key), undefined, signal);
  } catch (failure) {
    if (key.mapIndex >= 0 || !(failure instanceof ApiError && failure.status === 404)) throw failure;
    const listed = await mappedInstances(key, mappedPage, signal);
    if (listed === null) throw failure;
    return { key: keyText, ti: null, mapped: listed, tries: [], dependencies: null };
  }
  const waiting = WAITING_STATES.includes(ti.state);
  const [tries, dependencies] = await Promise.all([
    get<TaskTryCollection>(tiApiPath(key, "/tries"), mapIndexQuery, signal),
    waiting ? get<DependencyCollection>(tiApiPath(key, "/dependencies"), mapIndexQuery, signal) : null,
  ]);
  return {
    key: keyText,
    ti,
    mapped: null,
    tries: tries.task_instances,
    dependencies: dependencies?.dependencies ?? null,
  };
}

/** A page of a mapped task's instances, or null when the task is not mapped (its 404 stands). */
async function mappedInstances(
  key: TaskInstanceKey,
  { page, size }: MappedPage,
  signal: AbortSignal,
): Promise<TaskInstanceCollection | null> {
  const query = { limit: size, offset: (page - 1) * size, order_by: "map_index" };
  try {
    return await get<TaskInstanceCollection>(tiApiPath(key, "/listMapped"), query, signal);
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 404) return null;
    throw failure;
  }
}
