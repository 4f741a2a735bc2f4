// The grid's rows as shown: the task tree flattened, without the children of collapsed groups,
// with one sub-row per map index under each expanded mapped task. Which groups are collapsed
// and which mapped tasks expanded is remembered per DAG in localStorage.
import { dateTime, duration } from "../../../format";
import type { GridCell, GridInstance, GridNode, GridRun } from "./gridTypes";

export interface GridRow {
  key: string;
  node: GridNode;
  depth: number;
  /** A map index's sub-row; null for a task's or group's own row. */
  mapIndex: number | null;
}

export interface Expansion {
  /** Groups whose rows are hidden (groups are open unless collapsed). */
  collapsed: string[];
  /** Mapped tasks showing a sub-row per map index. */
  expanded: string[];
}

const STORAGE_PREFIX = "slipstream.grid.";

export function loadExpansion(dagId: string): Expansion {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_PREFIX + dagId) ?? "{}") as Partial<Expansion>;
    return {
      collapsed: Array.isArray(stored.collapsed) ? stored.collapsed.filter((id) => typeof id === "string") : [],
      expanded: Array.isArray(stored.expanded) ? stored.expanded.filter((id) => typeof id === "string") : [],
    };
  } catch {
    return { collapsed: [], expanded: [] };
  }
}

export function saveExpansion(dagId: string, expansion: Expansion): void {
  try {
    localStorage.setItem(STORAGE_PREFIX + dagId, JSON.stringify(expansion));
  } catch {
    // storage full or disabled: the choice lasts until the page is left
  }
}

/** How many map indexes a mapped task has at most over the shown runs (known whether or not its
 * indexes were sent one by one). */
export function mapWidth(taskId: string, runs: GridRun[]): number {
  let widest = 0;
  for (const run of runs) {
    const cell = run.cells[taskId];
    widest = Math.max(widest, cell?.map_count ?? cell?.instances?.length ?? 0);
  }
  return widest;
}

export function visibleRows(nodes: GridNode[], runs: GridRun[], expansion: Expansion): GridRow[] {
  const collapsed = new Set(expansion.collapsed);
  const expanded = new Set(expansion.expanded);
  const rows: GridRow[] = [];
  const walk = (level: GridNode[], depth: number) => {
    for (const node of level) {
      rows.push({ key: node.id, node, depth, mapIndex: null });
      if (node.type === "group" && !collapsed.has(node.id)) walk(node.children ?? [], depth + 1);
      if (node.type === "task" && node.is_mapped && expanded.has(node.id)) {
        const width = mapWidth(node.id, runs);
        for (let index = 0; index < width; index++) {
          rows.push({ key: `${node.id}[${index}]`, node, depth: depth + 1, mapIndex: index });
        }
      }
    }
  };
  walk(nodes, 0);
  return rows;
}

/** What a row shows in one run: the task's or group's cell, or one map index of it (undefined
 * while the indexes of a task just expanded are on their way). */
export function cellOf(row: GridRow, run: GridRun): GridCell | GridInstance | undefined {
  const cell = run.cells[row.node.id];
  if (row.mapIndex === null || !cell?.instances) return row.mapIndex === null ? cell : undefined;
  const index = row.mapIndex;
  const atPosition = cell.instances[index]; // indexes are usually 0…n-1, in order
  if (atPosition?.map_index === index) return atPosition;
  return cell.instances.find((instance) => instance.map_index === index);
}

/** Seconds a run or task took, or has been taking while it runs. */
export function elapsed(item: { start_date?: string; end_date?: string; duration?: number }, now: number): number | null {
  if (item.duration !== undefined) return item.duration;
  if (!item.start_date) return null;
  const end = item.end_date ? new Date(item.end_date).getTime() : now;
  return Math.max(0, (end - new Date(item.start_date).getTime()) / 1000);
}

export function describeCell(row: GridRow, run: GridRun, cell: GridCell | GridInstance | undefined): string {
  const name = row.mapIndex === null ? row.node.id : `${row.node.id} [${row.mapIndex}]`;
  const lines = [`${row.node.type === "group" ? "Group" : "Task"}: ${name}`, `Run: ${run.run_id}`];
  if (!cell) return [...lines, "No task instance in this run"].join("\n");
  lines.push(`State: ${cell.state ?? "no state"}`);
  if ("state_counts" in cell && cell.state_counts) {
    const counts = Object.entries(cell.state_counts).map(([state, count]) => `${count} ${state}`);
    lines.push(`Instances: ${counts.join(", ")}`);
  }
  if (cell.try_number !== undefined) lines.push(`Try: ${cell.try_number}`);
  if (cell.start_date) lines.push(`Started: ${dateTime(cell.start_date)}`);
  const seconds = elapsed(cell, Date.now());
  if (seconds !== null) lines.push(`Duration: ${duration(seconds)}${cell.end_date ? "" : " so far"}`);
  return lines.join("\n");
}

export function describeRun(run: GridRun): string {
  const lines = [`Run: ${run.run_id}`, `State: ${run.state}`, `Type: ${run.run_type}`];
  lines.push(`Run after: ${dateTime(run.run_after)}`);
  if (run.start_date) lines.push(`Started: ${dateTime(run.start_date)}`);
  const seconds = elapsed(run, Date.now());
  if (seconds !== null) lines.push(`Duration: ${duration(seconds)}${run.end_date ? "" : " so far"}`);
  return lines.join("\n");
}
