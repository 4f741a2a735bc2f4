// Short messages after an action ("Triggered …", or what went wrong), shown for a few seconds.
import { useEffect, useState } from "preact/hooks";

export interface Notice {
  id: number;
  kind: "info" | "error";
  text: string;
}

let notices: Notice[] = [];
let nextId = 1;
const listeners = new Set<(all: Notice[]) => void>();

function publish(next: Notice[]): void {
  notices = next;
  listeners.forEach((listener) => listener(notices));
}

export function notify(text: string, kind: Notice["kind"] = "info"): void {
  const notice = { id: nextId++, kind, text };
  publish([...notices, notice]);
  window.setTimeout(() => dismiss(notice.id), kind === "error" ? 10000 : 5000);
}

export function dismiss(id: number): void {
  publish(notices.filter((notice) => notice.id !== id));
}

export function Notices() {
  const [shown, setShown] = useState(notices);
  useEffect(() => {
    listeners.add(setShown);
    return () => void listeners.delete(setShown);
  }, []);
  return (
    <div class="notices" aria-live="polite">
      {shown.map((notice) => (
        <div key={notice.id} class={`notice notice-${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"}>
          <span>{notice.text}</span>
          <button type="button" class="link" aria-label="Dismiss" onClick={() => dismiss(notice.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
