// "Why isn't it running?": shown while a task instance waits. What its state means, then each
// condition the scheduler finds unmet (GET .../dependencies) with a plain explanation.
import { fromNow } from "../../format";
import type { Dependency, TaskInstance } from "./taskTypes";

const STATE_EXPLANATIONS: Record<string, string> = {
  none: "The scheduler has not scheduled this task yet.",
  scheduled: "The scheduler has scheduled this task; it is queued as soon as a slot is free.",
  queued: "The task is queued: it starts as soon as the executor has a free slot for it.",
  up_for_retry: "The last try failed and the task has retries left: it runs again once its retry delay has passed.",
  up_for_reschedule: "The sensor will poke again at its next reschedule time.",
  deferred: "The task is deferred: it waits for its trigger to fire.",
};

const DEPENDENCY_EXPLANATIONS: Record<string, string> = {
  "Trigger Rule": "Waiting for upstream tasks: the task's trigger rule is not met yet.",
  "Pool Slots Available": "The pool is full: the task waits for a slot to be freed.",
  "Dag Not Paused": "The DAG is paused: unpause it to let its tasks run.",
  "Dagrun Running": "The run is not running, so its tasks are not scheduled.",
  "Previous Dagrun State": "The task depends on its previous run's instance, which has not succeeded.",
  "Task Concurrency": "The task's concurrency limit is reached: other instances of this task are running.",
  "Task Instance Slots Available": "The DAG's concurrency limit is reached: too many of its tasks are running in this run.",
  "Not In Retry Period": "The task waits for its retry delay to pass before its next try.",
  "Ready To Reschedule": "The sensor waits for its next poke time.",
};

export function WhyNotRunning({ ti, dependencies }: { ti: TaskInstance; dependencies: Dependency[] }) {
  const state = ti.state ?? "none";
  return (
    <section class="card why-not-running" aria-labelledby="why-title">
      <h2 id="why-title">Why isn't it running?</h2>
      <p>
        {STATE_EXPLANATIONS[state]}
        {ti.state === "up_for_retry" && ti.end_date && (
          <span class="muted"> The failed try ended {fromNow(ti.end_date)}.</span>
        )}
      </p>
      {dependencies.length > 0 && (
        <ul class="dependencies">
          {dependencies.map((dependency) => (
            <li key={dependency.name}>
              <strong>{DEPENDENCY_EXPLANATIONS[dependency.name] ?? dependency.name}</strong>
              <div class="muted">
                {dependency.name}: {dependency.reason}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
