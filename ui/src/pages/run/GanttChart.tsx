// The Gantt chart of a DAG run's task instances (being built: issue 6).
export function GanttChart(_props: { dagId: string; runId: string }) {
  return <p class="muted">Gantt: coming soon.</p>;
}
