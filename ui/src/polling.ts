// Live views: a page's data is fetched again every REFRESH_MS while the tab is visible, and at
// once when it becomes visible again; a hidden tab makes no requests. (Server-sent events can
// replace this later without changing the pages: they call the same `load`.)
//
// Only the newest request may land: a reload (or a change of `key`) aborts the request under way,
// so an answer read before a change can never overwrite what the change showed.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, isAbort } from "./api";

export const REFRESH_MS = 3000;

/**
 * Reloads at once, aborting the request under way (its answer is dropped). Given `change` (a
 * request that changes what `load` reads), no request is made until it settles: what was read
 * before it, or while it runs, never lands.
 */
export type Reload = (change?: Promise<unknown>) => void;

/**
 * Calls `load` now, again whenever `key` changes, and every `interval` ms while the page is
 * visible. `load` gets a signal aborted when its answer is no longer wanted; `api.ts` then
 * throws an abort error, which `load` must let through (it is how the answer is dropped).
 * `load` should handle its other errors; those it throws are logged.
 */
export function usePolling(load: (signal: AbortSignal) => Promise<void>, key: string, interval = REFRESH_MS): Reload {
  const latest = useRef(load);
  latest.current = load;
  const [reload, setReload] = useState<Reload>(() => () => {});

  useEffect(() => {
    let ended = false;
    let inFlight: AbortController | null = null;
    let timer: number | undefined;
    let pendingChanges = 0;

    const stopCurrent = () => {
      window.clearTimeout(timer);
      inFlight?.abort();
      inFlight = null;
    };
    const tick = async () => {
      stopCurrent();
      if (ended || pendingChanges > 0 || document.visibilityState === "hidden") return; // resumed later
      const controller = new AbortController();
      inFlight = controller;
      try {
        await latest.current(controller.signal);
      } catch (error) {
        // A 401 has ended the session already (see api.ts).
        const handled = isAbort(error) || (error instanceof ApiError && error.status === 401);
        if (!handled && !controller.signal.aborted) console.error(error);
      }
      if (inFlight !== controller) return; // a newer request took over, and schedules the next
      inFlight = null;
      timer = window.setTimeout(tick, interval);
    };
    const onVisibility = () => {
      if (document.visibilityState === "visible" && inFlight === null) void tick();
    };
    const reloadNow: Reload = (change) => {
      if (!change) return void tick();
      stopCurrent();
      pendingChanges += 1;
      const settled = () => {
        pendingChanges -= 1;
        void tick();
      };
      change.then(settled, settled);
    };

    document.addEventListener("visibilitychange", onVisibility);
    setReload(() => reloadNow);
    void tick();
    return () => {
      ended = true;
      stopCurrent();
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [key, interval]);

  return reload;
}
