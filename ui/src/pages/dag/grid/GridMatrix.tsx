// The grid itself: a bar per run on top (oldest on the left, height by duration), then a row per
// task or group with a square per run, coloured by state. Built to stay fast at 100 runs × 100
// tasks: one element per square, no listener on any of them (clicks and hovers are read on the
// grid, which finds the row and column of the square), one tooltip element moved around.
import { useMemo, useRef } from "preact/hooks";
import { duration as formatDuration } from "../../../format";
import { runPath, taskInstancePath } from "../../../paths";
import { Link, navigate } from "../../../router";
import { cellOf, describeCell, describeRun, elapsed, type GridRow, mapWidth } from "./gridRows";
import type { GridRun } from "./gridTypes";
import "./grid.css";

interface Props {
  dagId: string;
  /** Oldest first. */
  runs: GridRun[];
  rows: GridRow[];
  collapsed: Set<string>;
  expanded: Set<string>;
  onToggle: (row: GridRow) => void;
}

const BAR_HEIGHT = 64;

interface Hit {
  element: Element;
  row: GridRow;
  run: GridRun;
}

export function GridMatrix({ dagId, runs, rows, collapsed, expanded, onToggle }: Props) {
  const tip = useRef<HTMLDivElement>(null);

  const locate = (target: EventTarget | null): Hit | null => {
    const element = target instanceof Element ? target.closest(".gc") : null;
    const rowElement = element?.closest<HTMLElement>(".grid-row");
    if (!element || !rowElement?.dataset.r) return null;
    const row = rows[Number(rowElement.dataset.r)];
    const run = runs[Array.prototype.indexOf.call(element.parentElement?.children ?? [], element)];
    return row && run ? { element, row, run } : null;
  };

  const onClick = (event: MouseEvent) => {
    const hit = locate(event.target);
    if (!hit || !cellOf(hit.row, hit.run)) return;
    const { row, run } = hit;
    if (row.node.type === "group") navigate(runPath(dagId, run.run_id));
    else navigate(taskInstancePath(dagId, run.run_id, row.node.id, row.mapIndex ?? -1));
  };

  const onMouseOver = (event: MouseEvent) => {
    const box = tip.current;
    if (!box) return;
    const hit = locate(event.target);
    if (!hit) {
      box.hidden = true;
      return;
    }
    box.textContent = describeCell(hit.row, hit.run, cellOf(hit.row, hit.run));
    box.hidden = false;
    const place = hit.element.getBoundingClientRect();
    const left = Math.min(place.right + 8, window.innerWidth - box.offsetWidth - 8);
    const top = Math.min(place.bottom + 4, window.innerHeight - box.offsetHeight - 8);
    box.style.left = `${Math.max(0, left)}px`;
    box.style.top = `${Math.max(0, top)}px`;
  };

  const hideTip = () => {
    if (tip.current) tip.current.hidden = true;
  };

  const body = useMemo(
    () => rows.map((row, index) => <GridRowView key={row.key} index={index} row={row} runs={runs}
      open={row.node.type === "group" ? !collapsed.has(row.node.id) : expanded.has(row.node.id)}
      onToggle={onToggle} />), // prettier-ignore
    [rows, runs, collapsed, expanded, onToggle],
  );

  return (
    <div class="grid" onClick={onClick} onMouseOver={onMouseOver} onMouseLeave={hideTip} data-runs={runs.length}>
      <RunBars dagId={dagId} runs={runs} />
      <div role="rowgroup" aria-label="Tasks">
        {body}
      </div>
      <div class="grid-tip" role="tooltip" ref={tip} hidden />
    </div>
  );
}

function RunBars({ dagId, runs }: { dagId: string; runs: GridRun[] }) {
  const now = Date.now();
  const seconds = runs.map((run) => elapsed(run, now) ?? 0);
  const longest = Math.max(1, ...seconds);
  return (
    <div class="grid-row grid-head">
      <div class="grid-label muted">{runs.length === 0 ? "No runs yet" : "Task"}</div>
      <div class="grid-cells" aria-label="Runs, oldest first">
        {runs.map((run, index) => (
          <Link
            key={run.run_id}
            href={runPath(dagId, run.run_id)}
            class={`grid-bar state-${run.state}`}
            style={{ height: `${Math.max(3, Math.round((BAR_HEIGHT * seconds[index]) / longest))}px` }}
            title={describeRun(run)}
            aria-label={`Run ${run.run_id}: ${run.state}, ${formatDuration(seconds[index])}`}
            data-run-id={run.run_id}
          >
            {""}
          </Link>
        ))}
      </div>
    </div>
  );
}

interface RowProps {
  index: number;
  row: GridRow;
  runs: GridRun[];
  open: boolean;
  onToggle: (row: GridRow) => void;
}

function GridRowView({ index, row, runs, open, onToggle }: RowProps) {
  const { node, mapIndex } = row;
  return (
    <div
      class={`grid-row${node.type === "group" ? " grid-group" : ""}`}
      data-r={index}
      data-row-id={node.id}
      data-map-index={mapIndex ?? undefined}
    >
      <div class="grid-label" style={{ paddingLeft: `${6 + row.depth * 14}px` }} title={node.id}>
        <RowLabel row={row} runs={runs} open={open} onToggle={onToggle} />
      </div>
      <div class="grid-cells" dangerouslySetInnerHTML={{ __html: squaresHtml(row, runs) }} />
    </div>
  );
}

const STATE_NAME = /^[a-z_]+$/;

/** A row's squares as markup: the browser parses one string per row much faster than it builds
 * 100 elements one by one, and an unchanged string is not touched again on the next refresh.
 * State names are checked, so nothing from the server can become markup. */
function squaresHtml(row: GridRow, runs: GridRun[]): string {
  let html = "";
  for (const run of runs) {
    const cell = cellOf(row, run);
    if (!cell) html += '<span class="gc"></span>'; // no task instance in this run
    else {
      // A task instance without a state yet (the server leaves `state` out) is a square too.
      const state = cell.state;
      html += `<span class="gc state-${typeof state === "string" && STATE_NAME.test(state) ? state : "none"}"></span>`;
    }
  }
  return html;
}

function RowLabel({ row, runs, open, onToggle }: Omit<RowProps, "index">) {
  const { node, mapIndex } = row;
  if (mapIndex !== null) return <span class="grid-index">[{mapIndex}]</span>;
  const toggles = node.type === "group" || node.is_mapped;
  const what = node.type === "group" ? `group ${node.id}` : `map indexes of ${node.id}`;
  return (
    <>
      {toggles ? (
        <button
          type="button"
          class="grid-toggle"
          aria-expanded={open}
          aria-label={`${open ? "Hide" : "Show"} ${what}`}
          onClick={() => onToggle(row)}
        >
          {open ? "▾" : "▸"}
        </button>
      ) : (
        <span class="grid-toggle-space" />
      )}
      <span class="grid-name">{node.label}</span>
      {node.is_mapped && node.type === "task" && <span class="muted grid-width"> [{mapWidth(node.id, runs)}]</span>}
    </>
  );
}
