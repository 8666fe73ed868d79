/**
 * Lays a pipeline run out as a DAG with dagre (layered, left to right): a box per step, an edge per
 * dependency. Pure: the view draws what this returns.
 */
import dagre, { EdgeLabel } from '@dagrejs/dagre';

import { IPipelineStep, StepStateName } from './pipelineApi';

export const NODE_WIDTH = 168;
export const NODE_HEIGHT = 48;

export interface INodeBox {
  name: string;
  state: StepStateName;
  /** Top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface IEdgePath {
  from: string;
  to: string;
  points: Array<{ x: number; y: number }>;
}

export interface IDagLayout {
  nodes: INodeBox[];
  edges: IEdgePath[];
  width: number;
  height: number;
}

export function layoutSteps(steps: readonly IPipelineStep[]): IDagLayout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({
    rankdir: 'LR',
    nodesep: 24,
    ranksep: 56,
    marginx: 12,
    marginy: 12
  });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set(steps.map(s => s.name));
  for (const s of steps) {
    g.setNode(s.name, { width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  for (const s of steps) {
    for (const d of s.dependsOn) {
      if (names.has(d)) {
        g.setEdge(d, s.name);
      }
    }
  }
  dagre.layout(g);
  const nodes = steps.map(s => {
    const n = g.node(s.name);
    return {
      name: s.name,
      state: s.state,
      x: n.x - NODE_WIDTH / 2,
      y: n.y - NODE_HEIGHT / 2,
      width: NODE_WIDTH,
      height: NODE_HEIGHT
    };
  });
  const edges = g.edges().map(e => ({
    from: e.v,
    to: e.w,
    points: ((g.edge(e) as EdgeLabel).points ?? []).map(p => ({
      x: p.x,
      y: p.y
    }))
  }));
  const graph = g.graph();
  return {
    nodes,
    edges,
    width: graph.width ?? 0,
    height: graph.height ?? 0
  };
}
