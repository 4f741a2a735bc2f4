// Places the visible graph with dagre, left to right: boxes for tasks and collapsed groups, frames
// for expanded groups, edges as point lists with their labels' positions. Loaded on demand (the
// graph tab imports this module when it first draws), so dagre is not part of the first load.
import dagre from "@dagrejs/dagre";
import { shorten } from "./shorten";
import type { Cluster, VisibleEdge, VisibleGraph, VisibleNode } from "./structure";

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedNode extends Box {
  node: VisibleNode;
  /** The label as drawn: shortened when too long for the box. */
  text: string;
}

export interface PlacedCluster extends Box {
  cluster: Cluster;
  depth: number;
}

export interface PlacedEdge {
  edge: VisibleEdge;
  points: Point[];
  labelAt: Point | null;
}

export interface Layout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  clusters: PlacedCluster[];
  edges: PlacedEdge[];
}

export const NODE_HEIGHT = 44;
// Widths of a character of the 12.5 px bold labels and the 11 px details, roughly.
const LABEL_CHAR = 7.6;
const DETAIL_CHAR = 6.3;
const STATE_CHARS = 18; // " · upstream_failed"
const MIN_WIDTH = 130;
const MAX_LABEL = 34;
const LABEL_HEIGHT = 16;


function nodeWidth(node: VisibleNode): number {
  const label = (shorten(node.label, MAX_LABEL).length + 5) * LABEL_CHAR; // with " [12]" or "▸ "
  const detail = (node.detail.length + STATE_CHARS) * DETAIL_CHAR;
  return Math.max(MIN_WIDTH, Math.ceil(Math.max(label, detail)) + 26);
}

/** Lays the graph out; box coordinates are their top-left corners, all inside width × height. */
export function layoutGraph(graph: VisibleGraph): Layout {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 56, edgesep: 12, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { width: nodeWidth(node), height: NODE_HEIGHT });
  for (const cluster of graph.clusters) g.setNode(cluster.id, {});
  for (const cluster of graph.clusters) if (cluster.parent) g.setParent(cluster.id, cluster.parent);
  for (const node of graph.nodes) if (node.parent) g.setParent(node.id, node.parent);
  for (const edge of graph.edges) {
    const label = edge.label ? shorten(edge.label, 40) : "";
    g.setEdge(edge.source, edge.target, {
      width: label ? label.length * 6.6 + 10 : 0,
      height: label ? LABEL_HEIGHT : 0,
      labelpos: "c",
    });
  }
  dagre.layout(g);

  const depthOf = (cluster: Cluster): number => {
    let depth = 0;
    for (let parent = cluster.parent; parent; parent = graph.clusters.find((c) => c.id === parent)?.parent ?? null) depth++;
    return depth;
  };
  const box = (id: string): Box => {
    const placed = g.node(id);
    const width = placed.width ?? 0;
    const height = placed.height ?? 0;
    return { x: (placed.x ?? 0) - width / 2, y: (placed.y ?? 0) - height / 2, width, height };
  };
  const nodes = graph.nodes.map((node) => ({ ...box(node.id), node, text: shorten(node.label, MAX_LABEL) }));
  const clusters = graph.clusters
    .map((cluster) => ({ ...box(cluster.id), cluster, depth: depthOf(cluster) }))
    .sort((a, b) => a.depth - b.depth);
  const edges = graph.edges.map((edge) => {
    const placed = g.edge(edge.source, edge.target);
    const labelAt = edge.label && placed.x !== undefined && placed.y !== undefined ? { x: placed.x, y: placed.y } : null;
    return { edge, points: placed.points ?? [], labelAt };
  });
  const size = g.graph();
  return { width: size.width ?? 0, height: size.height ?? 0, nodes, clusters, edges };
}
