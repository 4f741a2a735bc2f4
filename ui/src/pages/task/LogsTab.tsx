// The Logs tab: a button per try (coloured by the try's state; the URL's `try` picks one, the
// latest otherwise) and the selected try's log, tailed live while the try may still write.
import { StateBadge, StateDot } from "../../components/StateBadge";
import { LogView } from "./LogView";
import { type TaskInstance, type TaskInstanceKey, type TaskTry, WRITING_STATES } from "./taskTypes";

interface Props {
  ti: TaskInstance;
  tiKey: TaskInstanceKey;
  tries: TaskTry[];
  selectedTry: number;
  onSelect: (tryNumber: number) => void;
}

export function LogsTab({ ti, tiKey, tries, selectedTry, onSelect }: Props) {
  if (ti.try_number === 0) {
    return <p class="muted empty">This task instance has not run yet: there is no log.</p>;
  }
  if (selectedTry > ti.try_number) {
    return (
      <p class="banner banner-error" role="alert">
        There is no try {selectedTry}: the latest try is {ti.try_number}.
      </p>
    );
  }
  const stateOf = new Map(tries.map((found) => [found.try_number, found.state]));
  const numbers = Array.from({ length: ti.try_number }, (_, index) => index + 1);
  const live = selectedTry === ti.try_number && WRITING_STATES.includes(ti.state);
  return (
    <div class="ti-logs">
      {numbers.length > 1 && (
        <div class="try-picker" role="group" aria-label="Tries">
          {numbers.map((number) => {
            const state = number === ti.try_number ? ti.state : (stateOf.get(number) ?? null);
            return (
              <button
                key={number}
                type="button"
                aria-pressed={number === selectedTry}
                title={`Try ${number}: ${state ?? "no state"}`}
                onClick={() => onSelect(number)}
              >
                <StateDot state={state} /> Try {number}
              </button>
            );
          })}
        </div>
      )}
      {numbers.length === 1 && (
        <p class="muted try-single">
          Try 1 <StateBadge state={ti.state} />
        </p>
      )}
      <LogView key={selectedTry} ti={tiKey} tryNumber={selectedTry} live={live} />
    </div>
  );
}
