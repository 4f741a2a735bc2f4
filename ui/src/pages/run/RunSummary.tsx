// What a run is: its state, type, who triggered it, its dates and duration, its DAG version and
// its conf.
import type { ComponentChildren } from "preact";
import { StateBadge } from "../../components/StateBadge";
import { dateTime, duration, fromNow } from "../../format";
import type { RunDetails } from "./runApi";

function When({ iso }: { iso: string | null }) {
  if (!iso) return <span class="muted">—</span>;
  return <time datetime={iso} title={fromNow(iso)}>{dateTime(iso)}</time>;
}

/** The run's duration; for a run still going, the time since it started. */
function runDuration(run: RunDetails, now: number): string {
  if (run.duration !== null) return duration(run.duration);
  if (run.start_date && !run.end_date) return `${duration((now - new Date(run.start_date).getTime()) / 1000)} so far`;
  return "—";
}

export function RunSummary({ run }: { run: RunDetails }) {
  const triggeredBy = [run.triggered_by, run.triggering_user_name].filter(Boolean).join(" · ");
  const version = run.dag_versions.at(-1);
  const rows: [string, ComponentChildren][] = [
    ["State", <StateBadge state={run.state} />],
    ["Run type", run.run_type],
    ["Triggered by", triggeredBy || <span class="muted">—</span>],
    ["Logical date", <When iso={run.logical_date} />],
    ["Run after", <When iso={run.run_after} />],
    ["Queued", <When iso={run.queued_at} />],
    ["Started", <When iso={run.start_date} />],
    ["Ended", <When iso={run.end_date} />],
    ["Duration", runDuration(run, Date.now())],
  ];
  if (run.data_interval_start && run.data_interval_end) {
    rows.push([
      "Data interval",
      <>
        <When iso={run.data_interval_start} /> – <When iso={run.data_interval_end} />
      </>,
    ]);
  }
  if (version) rows.push(["DAG version", `v${version.version_number}`]);
  return (
    <section class="card run-summary" aria-label="Run details">
      <dl class="run-facts">
        {rows.map(([name, value]) => (
          <div key={name} class="run-fact" data-fact={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <h2 class="run-section-title">Conf</h2>
      {run.conf && Object.keys(run.conf).length > 0 ? (
        <pre class="run-conf" aria-label="Conf">
          {JSON.stringify(run.conf, null, 2)}
        </pre>
      ) : (
        <p class="muted">Empty: the run uses the DAG's defaults.</p>
      )}
    </section>
  );
}
