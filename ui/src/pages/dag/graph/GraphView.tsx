// The drawing of a laid-out graph: expanded groups as frames (click the name to collapse), tasks
// as boxes coloured by their state in the chosen run (click to open the task instance),
// collapsed groups as boxes (click to expand), edges with their labels.
import { useMemo } from "preact/hooks";
import { navigate } from "../../../router";
import type { TaskInstanceState } from "../../../types";
import { combinedState, type TaskState } from "./runTaskInstances";
import type { Layout, PlacedCluster, PlacedEdge, PlacedNode, Point } from "./layout";
import { shorten } from "./shorten";
import { usePanZoom } from "./panZoom";

export type { TaskState };

interface Props {
  layout: Layout;
  /** Each task's state in the chosen run; empty when there is no run. */
  states: Map<string, TaskState>;
  /** The task instance page of a task in the chosen run, or null without a run. */
  taskLink: (taskId: string) => string | null;
  onToggleGroup: (groupId: string) => void;
}

export function GraphView({ layout, states, taskLink, onToggleGroup }: Props) {
  const whole = useMemo(() => ({ x: 0, y: 0, width: layout.width, height: layout.height }), [layout]);
  const { view, svgRef, reset, handlers } = usePanZoom(whole);
  const zoomed = view !== whole;
  return (
    <div class="graph-frame">
      {zoomed && (
        <button type="button" class="graph-reset" onClick={reset}>
          Fit
        </button>
      )}
      <svg
        ref={svgRef}
        class="graph"
        role="group"
        aria-label="Graph of the DAG's tasks"
        viewBox={`${view.x} ${view.y} ${view.width} ${view.height}`}
        style={{ aspectRatio: `${layout.width} / ${layout.height}`, maxWidth: `${layout.width}px` }}
        {...handlers}
      >
        <defs>
          <marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="graph-arrow" />
          </marker>
        </defs>
        {layout.clusters.map((placed) => (
          <ClusterFrame key={placed.cluster.id} placed={placed} onCollapse={() => onToggleGroup(placed.cluster.id)} />
        ))}
        {layout.edges.map((placed) => (
          <EdgeLine key={`${placed.edge.source}>${placed.edge.target}`} placed={placed} />
        ))}
        {layout.nodes.map((placed) =>
          placed.node.kind === "task" ? (
            <TaskBox key={placed.node.id} placed={placed} state={states.get(placed.node.id)} link={taskLink(placed.node.id)} />
          ) : (
            <GroupBox
              key={placed.node.id}
              placed={placed}
              state={combinedState(placed.node.taskIds.flatMap((id) => states.get(id) ?? []))?.state}
              onExpand={() => onToggleGroup(placed.node.id)}
            />
          ),
        )}
      </svg>
    </div>
  );
}

function ClusterFrame({ placed, onCollapse }: { placed: PlacedCluster; onCollapse: () => void }) {
  const { cluster } = placed;
  return (
    <g class="graph-cluster" data-group-id={cluster.id}>
      <rect x={placed.x} y={placed.y} width={placed.width} height={placed.height} rx={8} />
      <g
        class="graph-cluster-title"
        role="button"
        tabIndex={0}
        aria-label={`Collapse group ${cluster.id}`}
        onClick={onCollapse}
        onKeyDown={(event) => activateOnKey(event, onCollapse)}
      >
        <title>{cluster.tooltip ? `${cluster.tooltip}\n(click to collapse)` : "Click to collapse"}</title>
        <text x={placed.x + 8} y={placed.y + 13}>
          ▾ {shorten(cluster.label, Math.max(6, Math.floor(placed.width / 7) - 3))}
        </text>
      </g>
    </g>
  );
}

function TaskBox({ placed, state, link }: { placed: PlacedNode; state: TaskState | undefined; link: string | null }) {
  const { node } = placed;
  const stateName = state === undefined ? undefined : (state.state ?? "none");
  const mapped = node.isMapped ? ` [${state?.count ?? " "}]` : "";
  const body = (
    <>
      <title>{`${node.id}${stateName ? `: ${stateName}` : ""}`}</title>
      <NodeShape placed={placed} state={stateName} />
      <text class="graph-node-label" x={placed.x + 16} y={placed.y + 18}>
        {placed.text}
        {mapped}
      </text>
      <text class="graph-node-detail" x={placed.x + 16} y={placed.y + 34}>
        {node.detail}
        {stateName && stateName !== "none" ? ` · ${stateName}` : ""}
      </text>
    </>
  );
  const common = { class: "graph-node", "data-task-id": node.id, "data-state": stateName ?? "" };
  if (!link) return <g {...common}>{body}</g>;
  const open = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(link);
  };
  return (
    <a {...common} href={link} onClick={open} aria-label={`${node.id}${stateName ? `: ${stateName}` : ""}`}>
      {body}
    </a>
  );
}

function GroupBox({ placed, state, onExpand }: { placed: PlacedNode; state: TaskInstanceState | undefined; onExpand: () => void }) {
  const { node } = placed;
  const stateName = state === undefined ? undefined : (state ?? "none");
  return (
    <g
      class="graph-node graph-group"
      data-group-id={node.id}
      data-state={stateName ?? ""}
      role="button"
      tabIndex={0}
      aria-label={`Expand group ${node.id}`}
      onClick={onExpand}
      onKeyDown={(event) => activateOnKey(event, onExpand)}
    >
      <title>{node.tooltip ? `${node.tooltip}\n(click to expand)` : "Click to expand"}</title>
      <NodeShape placed={placed} state={stateName} />
      <text class="graph-node-label" x={placed.x + 16} y={placed.y + 18}>
        ▸ {placed.text}
      </text>
      <text class="graph-node-detail" x={placed.x + 16} y={placed.y + 34}>
        {node.detail}
        {stateName && stateName !== "none" ? ` · ${stateName}` : ""}
      </text>
    </g>
  );
}

function NodeShape({ placed, state }: { placed: PlacedNode; state: string | undefined }) {
  const colour = state && state !== "none" ? `var(--state-${state})` : undefined;
  return (
    <>
      <rect class="graph-node-body" x={placed.x} y={placed.y} width={placed.width} height={placed.height} rx={6} style={colour ? { stroke: colour } : undefined} />
      <rect class="graph-node-stripe" x={placed.x} y={placed.y} width={7} height={placed.height} rx={3} style={colour ? { fill: colour } : undefined} />
    </>
  );
}

function EdgeLine({ placed }: { placed: PlacedEdge }) {
  const { edge, labelAt } = placed;
  const label = edge.label ? shorten(edge.label, 40) : null;
  return (
    <g class={`graph-edge${edge.isSetupTeardown ? " setup-teardown" : ""}`} data-source={edge.source} data-target={edge.target}>
      <path d={smoothPath(placed.points)} marker-end="url(#graph-arrow)" />
      {label && labelAt && (
        <g class="graph-edge-label">
          <rect x={labelAt.x - label.length * 3.3 - 5} y={labelAt.y - 8} width={label.length * 6.6 + 10} height={16} rx={4} />
          <text x={labelAt.x} y={labelAt.y + 4}>
            {label}
          </text>
        </g>
      )}
    </g>
  );
}

/** A curve through the points: straight to the first, quadratic bends between midpoints. */
function smoothPath(points: Point[]): string {
  if (points.length === 0) return "";
  const [first, ...rest] = points;
  let d = `M ${first.x} ${first.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const mid = { x: (rest[i].x + rest[i + 1].x) / 2, y: (rest[i].y + rest[i + 1].y) / 2 };
    d += ` Q ${rest[i].x} ${rest[i].y} ${mid.x} ${mid.y}`;
  }
  const last = rest.at(-1);
  if (last) d += ` L ${last.x} ${last.y}`;
  return d;
}

function activateOnKey(event: KeyboardEvent, action: () => void): void {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    action();
  }
}
