// The DAG page's grid tab: the newest runs as columns and the tasks as rows, refreshed live with
// one request (GET /ui/grid/{dag_id}). How many runs, and how far back, live in the query string
// (?runs=50&offset=50), so a reload or a shared link shows the same page of runs. The request
// names the mapped tasks shown expanded (`expanded`): only their map indexes come one by one,
// the others' are counted per state. An answer is shown only for the page it was asked for.
import { useCallback, useMemo, useState } from "preact/hooks";
import { ApiError, get, isAbort, messageOf } from "../../api";
import { dagPath } from "../../paths";
import { usePolling } from "../../polling";
import { href, navigate } from "../../router";
import type { Session } from "../../session";
import type { DagDetails } from "./dagTypes";
import { GridMatrix } from "./grid/GridMatrix";
import { type Expansion, type GridRow, loadExpansion, saveExpansion, visibleRows } from "./grid/gridRows";
import type { GridData } from "./grid/gridTypes";

const RUN_COUNTS = [25, 50, 100];
const MAX_EXPANDED = 500; // MAX_EXPANDED of src/slipstream/api/routes/ui_grid.py

interface Props {
  session: Session;
  dag: DagDetails;
  query: URLSearchParams;
}

function readPaging(query: URLSearchParams): { limit: number; offset: number } {
  const limit = Number(query.get("runs"));
  const offset = Number(query.get("offset"));
  return {
    limit: RUN_COUNTS.includes(limit) ? limit : RUN_COUNTS[0],
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

export function GridTab({ dag, query }: Props) {
  const dagId = dag.dag_id;
  const { limit, offset } = readPaging(query);
  const key = JSON.stringify([dagId, limit, offset]);
  const [data, setData] = useState<{ key: string; grid: GridData } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [expansion, setExpansion] = useState<{ dagId: string; value: Expansion }>(() => ({
    dagId,
    value: loadExpansion(dagId),
  }));
  if (expansion.dagId !== dagId) setExpansion({ dagId, value: loadExpansion(dagId) });
  const current = expansion.value;
  // The server takes up to MAX_EXPANDED ids: the most recently expanded.
  const expandedIds = useMemo(() => [...new Set(current.expanded.slice(-MAX_EXPANDED))].sort(), [current]);

  usePolling(
    async (signal) => {
      try {
        const path = `/ui/grid/${encodeURIComponent(dagId)}`;
        const grid = await get<GridData>(path, { limit, offset, expanded: expandedIds }, signal);
        setData({ key, grid });
        setError(null);
      } catch (failure) {
        if (isAbort(failure)) throw failure;
        setError(failure instanceof ApiError && failure.status === 404 ? `No DAG ${dagId}` : messageOf(failure));
      }
    },
    // Expanding a mapped task asks again at once (its indexes); the shown page stays meanwhile.
    `${key}\u0000${expandedIds.join("\u0000")}`,
  );

  const onToggle = useCallback(
    (row: GridRow) => {
      const id = row.node.id;
      const field = row.node.type === "group" ? "collapsed" : "expanded";
      const list = current[field];
      const next = { ...current, [field]: list.includes(id) ? list.filter((x) => x !== id) : [...list, id] };
      saveExpansion(dagId, next);
      setExpansion({ dagId, value: next });
    },
    [dagId, current],
  );

  const grid = data?.key === key ? data.grid : null;
  const runs = useMemo(() => (grid ? [...grid.runs].reverse() : []), [grid]);
  const rows = useMemo(() => (grid ? visibleRows(grid.nodes, runs, current) : []), [grid, runs, current]);
  const collapsed = useMemo(() => new Set(current.collapsed), [current]);
  const expanded = useMemo(() => new Set(current.expanded), [current]);

  const page = (changes: { limit?: number; offset?: number }) => {
    const next = { limit, offset, ...changes };
    navigate(
      href(dagPath(dagId), {
        runs: next.limit === RUN_COUNTS[0] ? undefined : String(next.limit),
        offset: next.offset > 0 ? String(next.offset) : undefined,
      }),
    );
  };

  return (
    <div class="grid-tab">
      <div class="grid-toolbar">
        <label>
          Runs{" "}
          <select
            aria-label="Runs shown"
            value={String(limit)}
            onChange={(event) => page({ limit: Number((event.target as HTMLSelectElement).value), offset: 0 })}
          >
            {RUN_COUNTS.map((count) => (
              <option key={count} value={String(count)}>
                {count}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!grid || offset + limit >= grid.total_entries}
          onClick={() => page({ offset: offset + limit })}
        >
          ◀ Older runs
        </button>
        <button type="button" disabled={offset === 0} onClick={() => page({ offset: Math.max(0, offset - limit) })}>
          Newer runs ▶
        </button>
        {grid && (
          <span class="muted" aria-live="polite">
            {grid.runs.length === 0
              ? `No runs of ${grid.total_entries.toLocaleString()}`
              : `Runs ${(offset + 1).toLocaleString()}–${(offset + grid.runs.length).toLocaleString()} of ${grid.total_entries.toLocaleString()}, newest on the right`}
          </span>
        )}
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {grid ? (
        <GridMatrix dagId={dagId} runs={runs} rows={rows} collapsed={collapsed} expanded={expanded} onToggle={onToggle} />
      ) : (
        !error && <p class="muted">Loading…</p>
      )}
    </div>
  );
}
