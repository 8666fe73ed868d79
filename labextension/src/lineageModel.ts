/**
 * The lineage of a dataset (or of a job) as a graph: snapshots and the jobs
 * that read and wrote them, laid out left to right by dagre. Nodes carry
 * readable names (`iris@v3`, a job's name); the view only draws the layout.
 * No JupyterLab imports.
 */
import { graphlib, layout } from '@dagrejs/dagre';

import { ISnapshot } from './datasetApi';

export type LineageNodeKind = 'snapshot' | 'job' | 'draft';

export interface ILineageNode {
  /** A snapshot's or job's resource name (`datasets/x/snapshots/…`, `jobs/…`). */
  id: string;
  kind: LineageNodeKind;
  label: string;
  /** A second line: a message, a state. */
  detail: string;
  /** The node is of another dataset than the one the graph is about. */
  foreign: boolean;
}

export interface ILineageEdge {
  from: string;
  to: string;
  /** 'parent' (history), 'merge', 'read' (input of a job), 'wrote'. */
  kind: 'parent' | 'merge' | 'read' | 'wrote';
}

export interface ILineageGraph {
  nodes: ILineageNode[];
  edges: ILineageEdge[];
}

export interface IPlacedNode extends ILineageNode {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ILayout {
  nodes: IPlacedNode[];
  edges: Array<ILineageEdge & { points: Array<{ x: number; y: number }> }>;
  width: number;
  height: number;
}

/** What the graph knows of names it did not load itself. */
export interface ILineageNames {
  /** Snapshot resource name → `dataset@version`. */
  snapshots: ReadonlyMap<string, string>;
  /** Job resource name → its name and state. */
  jobs: ReadonlyMap<string, { label: string; detail: string }>;
}

/** `datasets/iris/snapshots/0123abcd…` → `iris@0123abc`. */
export function fallbackSnapshotLabel(name: string): string {
  const match = /^datasets\/([^/]+)\/snapshots\/(.+)$/.exec(name);
  return match ? `${match[1]}@${match[2].slice(0, 7)}` : name;
}

/** The dataset a snapshot resource name belongs to. */
export function datasetOfSnapshot(name: string): string {
  return /^datasets\/([^/]+)\//.exec(name)?.[1] ?? '';
}

/**
 * The graph of one dataset's history: every snapshot (newest last in the
 * chain), the jobs that wrote them and the snapshots those jobs read.
 */
export function datasetLineage(
  datasetId: string,
  snapshots: readonly ISnapshot[],
  names: ILineageNames
): ILineageGraph {
  const nodes = new Map<string, ILineageNode>();
  const edges: ILineageEdge[] = [];
  const snapshotLabel = (name: string): string =>
    names.snapshots.get(name) ?? fallbackSnapshotLabel(name);
  for (const snapshot of snapshots) {
    nodes.set(snapshot.name, {
      id: snapshot.name,
      kind: 'snapshot',
      label: `${datasetId}@${snapshot.version}`,
      detail: snapshot.message,
      foreign: false
    });
  }
  const ensureSnapshot = (name: string): void => {
    if (!nodes.has(name)) {
      nodes.set(name, {
        id: name,
        kind: 'snapshot',
        label: snapshotLabel(name),
        detail: '',
        foreign: datasetOfSnapshot(name) !== datasetId
      });
    }
  };
  for (const snapshot of snapshots) {
    if (snapshot.parent) {
      ensureSnapshot(snapshot.parent);
      edges.push({ from: snapshot.parent, to: snapshot.name, kind: 'parent' });
    }
    if (snapshot.mergeParent) {
      ensureSnapshot(snapshot.mergeParent);
      edges.push({
        from: snapshot.mergeParent,
        to: snapshot.name,
        kind: 'merge'
      });
    }
    const lineage = snapshot.lineage;
    if (lineage?.job) {
      if (!nodes.has(lineage.job)) {
        const job = names.jobs.get(lineage.job);
        nodes.set(lineage.job, {
          id: lineage.job,
          kind: 'job',
          label: job?.label ?? lineage.job.replace(/^jobs\//, ''),
          detail: job?.detail ?? '',
          foreign: false
        });
      }
      edges.push({ from: lineage.job, to: snapshot.name, kind: 'wrote' });
      for (const input of lineage.inputs) {
        ensureSnapshot(input);
        edges.push({ from: input, to: lineage.job, kind: 'read' });
      }
    }
  }
  return { nodes: [...nodes.values()], edges: dedupe(edges) };
}

function dedupe(edges: ILineageEdge[]): ILineageEdge[] {
  const seen = new Set<string>();
  return edges.filter(edge => {
    const key = `${edge.from}\u0000${edge.to}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

export const NODE_WIDTH = 190;

/**
 * `text` cut to `max` characters for a node's box. A `dataset@version` label keeps its version whole and
 * loses the middle of the dataset id (`weather-hour…-model@v1`): two snapshots of long, similar ids must not
 * look the same, and the version is what tells them apart. Other text loses its end.
 */
export function clipLabel(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  const at = text.lastIndexOf('@');
  const suffix = at > 0 ? text.slice(at) : '';
  const room = max - suffix.length - 1;
  if (!suffix || room < 6) {
    return `${text.slice(0, max - 1)}…`;
  }
  const head = Math.ceil(room / 2);
  return `${text.slice(0, head)}…${text.slice(at - (room - head), at)}${suffix}`;
}
export const NODE_HEIGHT = 44;

/** Positions every node and routes every edge, left to right. */
export function layoutLineage(graph: ILineageGraph): ILayout {
  const g = new graphlib.Graph();
  g.setGraph({
    rankdir: 'LR',
    nodesep: 18,
    ranksep: 46,
    marginx: 8,
    marginy: 8
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  for (const edge of graph.edges) {
    g.setEdge(edge.from, edge.to);
  }
  layout(g);
  const nodes = graph.nodes.map(node => {
    const placed = g.node(node.id);
    return {
      ...node,
      x: placed.x - NODE_WIDTH / 2,
      y: placed.y - NODE_HEIGHT / 2,
      width: NODE_WIDTH,
      height: NODE_HEIGHT
    };
  });
  const edges = graph.edges.map(edge => ({
    ...edge,
    points: (g.edge(edge.from, edge.to)?.points ?? []).map(
      (p: { x: number; y: number }) => ({
        x: p.x,
        y: p.y
      })
    )
  }));
  const size = g.graph();
  return {
    nodes,
    edges,
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0)
  };
}
