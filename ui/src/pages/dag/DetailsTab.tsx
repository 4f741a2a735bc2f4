// The DAG page's details tab: the DAG's settings as its newest version stores them (schedule,
// dates, limits, owners, params with their defaults, default_args, its docs, its file).
import type { ComponentChildren } from "preact";
import { dateTime, duration } from "../../format";
import type { Session } from "../../session";
import type { DagDetails, ParamSpec } from "./dagTypes";
import "./details/details.css";

export function DetailsTab({ dag }: { session: Session; dag: DagDetails; query: URLSearchParams }) {
  const version = dag.latest_dag_version;
  const rows: [string, ComponentChildren][] = [
    ["Description", dag.description ?? <None />],
    ["Schedule", <Schedule dag={dag} />],
    ["Start date", dag.start_date ? dateTime(dag.start_date) : <None />],
    ["End date", dag.end_date ? dateTime(dag.end_date) : <None />],
    ["Time zone", dag.timezone ?? <None />],
    ["Catchup", dag.catchup ? "Yes" : "No"],
    ["Max active runs", dag.max_active_runs ?? <None />],
    ["Max active tasks", dag.max_active_tasks],
    ["Run timeout", dag.dag_run_timeout ? runTimeout(dag.dag_run_timeout) : <None />],
    ["Tags", dag.tags.length ? dag.tags.map((tag) => <span class="tag" key={tag.name}>{tag.name}</span>) : <None />],
    ["Owners", dag.owners.length ? dag.owners.join(", ") : <None />],
    ["File", <code>{dag.fileloc}</code>],
    ["Last parsed", dag.last_parsed_time ? dateTime(dag.last_parsed_time) : <None />],
    ["Version", version ? `${version.version_number} (stored ${dateTime(version.created_at)})` : <None />],
  ];
  return (
    <div class="details-tab">
      <table class="details">
        <tbody>
          {rows.map(([name, value]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Params params={dag.params ?? {}} />
      <DefaultArgs args={dag.default_args ?? {}} />
      {dag.doc_md && (
        <section aria-label="Documentation">
          <h2>Documentation</h2>
          <pre class="doc-md">{dag.doc_md}</pre>
        </section>
      )}
    </div>
  );
}

function None() {
  return <span class="muted">None</span>;
}

function Schedule({ dag }: { dag: DagDetails }) {
  return (
    <>
      <code>{dag.timetable_summary ?? "None"}</code>
      {dag.timetable_description && <span class="muted"> · {dag.timetable_description}</span>}
    </>
  );
}

function Params({ params }: { params: Record<string, ParamSpec> }) {
  const entries = Object.entries(params);
  return (
    <section aria-label="Params">
      <h2>Params</h2>
      {entries.length === 0 ? (
        <p class="muted">This DAG has no params.</p>
      ) : (
        <table class="details params">
          <thead>
            <tr>
              <th>Name</th>
              <th>Default</th>
              <th>Type</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {entries.map(([name, param]) => (
              <tr key={name} data-param={name}>
                <td>
                  <code>{name}</code>
                </td>
                <td>
                  <code>{json(param.value)}</code>
                </td>
                <td>{schemaType(param.schema)}</td>
                <td>{param.description ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DefaultArgs({ args }: { args: Record<string, unknown> }) {
  const entries = Object.entries(args);
  if (entries.length === 0) return null;
  return (
    <section aria-label="Default arguments">
      <h2>Default arguments</h2>
      <table class="details default-args">
        <tbody>
          {entries.map(([name, value]) => (
            <tr key={name}>
              <th scope="row">
                <code>{name}</code>
              </th>
              <td>
                <code>{json(value)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function json(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value);
}

/** A JSON schema's type (and format or allowed values), as people read it. */
function schemaType(schema: Record<string, unknown>): string {
  const type = schema.type;
  const base = Array.isArray(type) ? type.join(" | ") : typeof type === "string" ? type : "";
  if (Array.isArray(schema.enum)) {
    const choices = `one of ${schema.enum.map((item) => JSON.stringify(item)).join(", ")}`;
    return base ? `${base}: ${choices}` : choices;
  }
  if (typeof schema.format === "string") return `${base || "string"} (${schema.format})`;
  return base || "any";
}

/** An ISO 8601 duration ("PT1H", "P1DT30M") as people read it; as sent when not one. */
function runTimeout(iso: string): string {
  const match = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!match) return iso;
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  return duration(((days * 24 + hours) * 60 + minutes) * 60 + seconds);
}
