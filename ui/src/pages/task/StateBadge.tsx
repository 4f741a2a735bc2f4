// A task instance state as a coloured dot and its name ("no state" when there is none).
import type { TaskInstanceState } from "../../types";

export function StateBadge({ state }: { state: TaskInstanceState }) {
  return (
    <span class="ti-state" data-state={state ?? "none"}>
      <span class={`ti-state-dot state-${state ?? "none"}`} aria-hidden="true" />
      {state ?? "no state"}
    </span>
  );
}
