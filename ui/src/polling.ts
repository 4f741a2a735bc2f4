// Live views: a page's data is fetched again every REFRESH_MS while the tab is visible, and at
// once when it becomes visible again; a hidden tab makes no requests. (Server-sent events can
// replace this later without changing the pages: they call the same `load`.)
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, isAbort } from "./api";

export const REFRESH_MS = 3000;

/**
 * Calls `load` now, again whenever `key` changes (aborting the request under way), and every
 * `interval` ms while the page is visible. Returns a function that reloads at once.
 * `load` should handle its own errors; those it throws (but aborts) are logged.
 */
export function usePolling(
  load: (signal: AbortSignal) => Promise<void>,
  key: string,
  interval = REFRESH_MS,
): () => void {
  const latest = useRef(load);
  latest.current = load;
  const [reload, setReload] = useState<() => void>(() => () => {});

  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    let running = false;
    let again = false;

    const schedule = () => {
      window.clearTimeout(timer);
      if (!controller.signal.aborted) timer = window.setTimeout(tick, interval);
    };
    const tick = async () => {
      if (running) {
        again = true;
        return;
      }
      window.clearTimeout(timer);
      if (document.visibilityState === "hidden") return; // resumed by `visibilitychange`
      running = true;
      try {
        await latest.current(controller.signal);
      } catch (error) {
        // A 401 has ended the session already (see api.ts).
        const handled = isAbort(error) || (error instanceof ApiError && error.status === 401);
        if (!handled) console.error(error);
      } finally {
        running = false;
      }
      if (again) {
        again = false;
        void tick();
      } else schedule();
    };
    const onVisibility = () => {
      if (document.visibilityState === "visible") void tick();
    };

    document.addEventListener("visibilitychange", onVisibility);
    setReload(() => () => void tick());
    void tick();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [key, interval]);

  return reload;
}
