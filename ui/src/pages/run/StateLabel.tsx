// A run's or task instance's state as its colour and its name ("no state" before scheduling).

export function StateLabel({ state }: { state: string | null }) {
  const name = state ?? "none";
  return (
    <span class="state-label" data-state={name}>
      <span class={`state-dot state-${name}`} aria-hidden="true" />
      {state ?? "no state"}
    </span>
  );
}
