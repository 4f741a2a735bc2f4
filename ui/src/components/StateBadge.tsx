// A run's or task instance's state: its colour as a dot, and its name ("no state" before the
// scheduler gave it one). The one way pages show a state in text; `data-state` names it for CSS
// and tests ("none" for no state).

/** The state's colour alone, for places that say the state elsewhere (a title, a label). */
export function StateDot({ state }: { state: string | null }) {
  return <span class={`state-dot state-${state ?? "none"}`} aria-hidden="true" />;
}

export function StateBadge({ state }: { state: string | null }) {
  return (
    <span class="state-badge" data-state={state ?? "none"}>
      <StateDot state={state} />
      {state ?? "no state"}
    </span>
  );
}
