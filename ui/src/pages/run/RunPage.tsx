// A DAG run's page (/dags/ID/runs/RUN_ID): what the run is, its note, its task instances and
// their Gantt chart, all live, and the run actions for roles that may change DAGs.
import { useState } from "preact/hooks";
import { ApiError, isAbort, messageOf } from "../../api";
import { PAGE_SIZES, Pager } from "../../components/Pager";
import { StateBadge } from "../../components/StateBadge";
import { dagPath } from "../../paths";
import { may } from "../../permissions";
import { usePolling } from "../../polling";
import { Link } from "../../router";
import type { Session } from "../../session";
import { GanttChart } from "./GanttChart";
import { RunActions } from "./RunActions";
import { getRun, listTaskInstances, type RunDetails, type TaskInstancePage } from "./runApi";
import { RunNote } from "./RunNote";
import { RunSummary } from "./RunSummary";
import { TaskInstanceTable } from "./TaskInstanceTable";
import "./run.css";

interface Props {
  session: Session;
  dagId: string;
  runId: string;
}

export function RunPage({ session, dagId, runId }: Props) {
  const [run, setRun] = useState<RunDetails | null>(null);
  const [tis, setTis] = useState<TaskInstancePage | null>(null);
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(PAGE_SIZES.at(-1) ?? 100);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const canChange = may(session.role, "change", "dag");

  const refresh = usePolling(
    async (signal) => {
      try {
        const [found, instances] = await Promise.all([
          getRun(dagId, runId, signal),
          listTaskInstances(dagId, runId, page, pageSize, signal),
        ]);
        setRun(found);
        setTis(instances);
        setError(null);
        setMissing(false);
      } catch (failure) {
        if (isAbort(failure)) throw failure;
        if (failure instanceof ApiError && failure.status === 404) setMissing(true);
        else setError(messageOf(failure));
      }
    },
    `${dagId}/${runId}/${page}/${pageSize}`,
  );

  const changed = (next: RunDetails) => {
    setRun(next);
    refresh();
  };

  const crumbs = (
    <nav class="crumbs" aria-label="Breadcrumbs">
      <Link href="/">DAGs</Link> / <Link href={dagPath(dagId)}>{run?.dag_display_name ?? dagId}</Link> /{" "}
      <span>{runId}</span>
    </nav>
  );

  if (missing || !run) {
    return (
      <main class="page run-page">
        {crumbs}
        {missing ? (
          <p class="banner banner-error" role="alert">
            DAG {dagId} has no run {runId}: it may have been deleted.{" "}
            <Link href={dagPath(dagId)}>See the DAG's runs</Link>
          </p>
        ) : error ? (
          <p class="banner banner-error" role="alert">
            {error}
          </p>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </main>
    );
  }

  const total = tis?.total_entries ?? 0;
  return (
    <main class="page run-page" data-run-id={runId} data-state={run.state}>
      {crumbs}
      <div class="page-title">
        <h1>Run {runId}</h1>
        <StateBadge state={run.state} />
        <span class="spacer" />
        {canChange && <RunActions run={run} onChanged={changed} />}
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <div class="run-columns">
        <RunSummary run={run} />
        <RunNote run={run} canEdit={canChange} onSaved={changed} />
      </div>
      <section class="run-section" aria-labelledby="run-tis-title">
        <h2 id="run-tis-title" class="run-section-title">
          Task instances {tis && <span class="muted">({total})</span>}
        </h2>
        {tis ? (
          <TaskInstanceTable dagId={dagId} runId={runId} taskInstances={tis.task_instances} />
        ) : (
          <p class="muted">Loading…</p>
        )}
        {total > PAGE_SIZES[0] && (
          <Pager
            page={page}
            pageSize={pageSize}
            total={total}
            onPage={setPage}
            onPageSize={(size) => {
              setPageSize(size);
              setPage(1);
            }}
          />
        )}
      </section>
      <div class="run-section">
        <GanttChart dagId={dagId} runId={runId} />
      </div>
    </main>
  );
}
