// A DAG's structure (GET /ui/structure/{dag_id}) and what the graph shows of it: with some task
// groups collapsed, each collapsed group is one node and the edges into or out of it attach to it.

import { get } from "../../../api";

export interface StructureNode {
  id: string;
  label: string;
  operator: string;
  is_mapped: boolean;
  group_id: string | null;
  setup_teardown: "setup" | "teardown" | null;
}

export interface StructureGroup {
  id: string;
  label: string;
  parent_id: string | null;
  tooltip: string | null;
  is_mapped: boolean;
}

export interface StructureEdge {
  source_id: string;
  target_id: string;
  label: string | null;
  is_setup_teardown: boolean;
}

export interface Structure {
  dag_id: string;
  version_number: number;
  nodes: StructureNode[];
  groups: StructureGroup[];
  edges: StructureEdge[];
}

export function fetchStructure(dagId: string, signal?: AbortSignal, versionNumber?: number): Promise<Structure> {
  return get<Structure>(`/ui/structure/${encodeURIComponent(dagId)}`, { version_number: versionNumber }, signal);
}

/** A box the graph draws: a task, or a collapsed group standing for all its tasks. */
export interface VisibleNode {
  id: string;
  kind: "task" | "group";
  label: string;
  /** The operator of a task; "N tasks" for a collapsed group. */
  detail: string;
  /** The expanded group drawn around this node, if any. */
  parent: string | null;
  /** The tasks whose states colour the node. */
  taskIds: string[];
  isMapped: boolean;
  tooltip: string | null;
}

/** An expanded group, drawn as a frame around its visible children. */
export interface Cluster {
  id: string;
  label: string;
  parent: string | null;
  tooltip: string | null;
}

export interface VisibleEdge {
  source: string;
  target: string;
  label: string | null;
  isSetupTeardown: boolean;
}

export interface VisibleGraph {
  nodes: VisibleNode[];
  clusters: Cluster[];
  edges: VisibleEdge[];
}

/**
 * The nodes, frames and edges to draw when the groups in `collapsed` are collapsed. An edge
 * between two tasks is drawn between the visible nodes standing for them (the outermost
 * collapsed group holding each task); edges inside one collapsed group disappear, and edges
 * that become the same are drawn once, with their labels joined.
 */
export function visibleGraph(structure: Structure, collapsed: ReadonlySet<string>): VisibleGraph {
  const groups = new Map(structure.groups.map((group) => [group.id, group]));
  const tasksOf = tasksByGroup(structure);
  const ancestors = (groupId: string | null): string[] => {
    const chain: string[] = [];
    for (let id = groupId; id !== null; id = groups.get(id)?.parent_id ?? null) chain.unshift(id);
    return chain;
  };
  /** The visible node standing for an item whose innermost group is `groupId`, or null. */
  const collapsedHolder = (groupId: string | null) => ancestors(groupId).find((id) => collapsed.has(id)) ?? null;

  const nodes: VisibleNode[] = [];
  const shown = new Map<string, string>();
  const groupNodes = new Set<string>();
  for (const task of structure.nodes) {
    const holder = collapsedHolder(task.group_id);
    if (holder === null) {
      shown.set(task.id, task.id);
      nodes.push({
        id: task.id,
        kind: "task",
        label: task.label,
        detail: task.operator,
        parent: task.group_id,
        taskIds: [task.id],
        isMapped: task.is_mapped,
        tooltip: null,
      });
      continue;
    }
    shown.set(task.id, holder);
    if (groupNodes.has(holder)) continue;
    groupNodes.add(holder);
    const group = groups.get(holder)!;
    const taskIds = tasksOf.get(holder) ?? [];
    nodes.push({
      id: holder,
      kind: "group",
      label: group.label,
      detail: `${taskIds.length} task${taskIds.length === 1 ? "" : "s"}`,
      parent: group.parent_id,
      taskIds,
      isMapped: group.is_mapped,
      tooltip: group.tooltip,
    });
  }

  const clusters: Cluster[] = structure.groups
    .filter((group) => (tasksOf.get(group.id)?.length ?? 0) > 0)
    .filter((group) => !collapsed.has(group.id) && collapsedHolder(group.parent_id) === null)
    .map((group) => ({ id: group.id, label: group.label, parent: group.parent_id, tooltip: group.tooltip }));

  const edges = new Map<string, VisibleEdge>();
  for (const edge of structure.edges) {
    const source = shown.get(edge.source_id);
    const target = shown.get(edge.target_id);
    if (!source || !target || source === target) continue;
    const key = `${source}\u0000${target}`;
    const known = edges.get(key);
    if (!known) {
      edges.set(key, { source, target, label: edge.label, isSetupTeardown: edge.is_setup_teardown });
    } else if (edge.label && !(known.label ?? "").split(", ").includes(edge.label)) {
      known.label = known.label ? `${known.label}, ${edge.label}` : edge.label;
    }
  }
  return { nodes, clusters, edges: [...edges.values()] };
}

/** Every group's tasks, its subgroups' included, in DAG order. */
export function tasksByGroup(structure: Structure): Map<string, string[]> {
  const parents = new Map(structure.groups.map((group) => [group.id, group.parent_id]));
  const tasks = new Map<string, string[]>();
  for (const node of structure.nodes) {
    for (let id = node.group_id; id !== null; id = parents.get(id) ?? null) {
      const list = tasks.get(id);
      if (list) list.push(node.id);
      else tasks.set(id, [node.id]);
    }
  }
  return tasks;
}
