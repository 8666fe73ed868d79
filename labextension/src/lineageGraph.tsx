/**
 * A lineage graph drawn as SVG from a dagre layout: snapshots as rounded
 * boxes, jobs as boxes with a brand-coloured edge; history edges solid, job
 * reads and writes dashed. Every node is a button (Enter or click opens it).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  clipLabel,
  ILineageGraph,
  ILineageNode,
  IPlacedNode,
  layoutLineage
} from './lineageModel';

/** Characters of a node's first line that fit its box (NODE_WIDTH) in the code font, with the padding. */
const LABEL_CHARS = 21;

export function LineageGraph(props: {
  graph: ILineageGraph;
  onOpen: (node: ILineageNode) => void;
  trans: TranslationBundle;
  /** The node to mark as the one in view. */
  current?: string;
}): React.ReactElement {
  const { graph, trans } = props;
  const placed = React.useMemo(() => layoutLineage(graph), [graph]);
  // Per graph: a marker id shared by two graphs would resolve to whichever comes first, hidden or not.
  const arrow = `kamld-arrow-${React.useId().replace(/:/g, '')}`;
  if (graph.nodes.length === 0) {
    return <p className="kamld-Muted">{trans.__('No lineage yet.')}</p>;
  }
  return (
    <div className="kamld-Lineage-scroll">
      <svg
        className="kamld-LineageGraph"
        width={placed.width}
        height={placed.height}
        role="group"
        aria-label={trans.__('Lineage graph')}
      >
        <defs>
          <marker
            id={arrow}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path
              d="M 0 0 L 10 5 L 0 10 z"
              className="kamld-LineageGraph-arrow"
            />
          </marker>
        </defs>
        {placed.edges.map(edge => (
          <polyline
            key={`${edge.from}->${edge.to}`}
            className={`kamld-LineageGraph-edge kamld-mod-${edge.kind}`}
            points={edge.points.map(p => `${p.x},${p.y}`).join(' ')}
            markerEnd={`url(#${arrow})`}
          />
        ))}
        {placed.nodes.map(node => (
          <LineageNode
            key={node.id}
            node={node}
            current={node.id === props.current}
            onOpen={() => props.onOpen(node)}
            trans={trans}
          />
        ))}
      </svg>
    </div>
  );
}

function LineageNode(props: {
  node: IPlacedNode;
  current: boolean;
  onOpen: () => void;
  trans: TranslationBundle;
}): React.ReactElement {
  const { node, trans } = props;
  const label =
    node.kind === 'job'
      ? trans.__('Job %1, open it', node.label)
      : trans.__('Snapshot %1, open it', node.label);
  const classes = [
    'kamld-LineageGraph-node',
    `kamld-mod-${node.kind}`,
    node.foreign ? 'kamld-mod-foreign' : '',
    props.current ? 'kamld-mod-current' : ''
  ].join(' ');
  return (
    <g
      className={classes}
      transform={`translate(${node.x},${node.y})`}
      role="button"
      tabIndex={0}
      aria-label={label}
      data-kamld-node={node.id}
      data-kamld-label={node.label}
      onClick={props.onOpen}
      onKeyDown={event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          props.onOpen();
        }
      }}
    >
      <title>
        {node.detail ? `${node.label} — ${node.detail}` : node.label}
      </title>
      <rect
        width={node.width}
        height={node.height}
        rx={node.kind === 'job' ? 2 : 8}
      />
      <text x={10} y={18} className="kamld-LineageGraph-label">
        {clipLabel(node.label, LABEL_CHARS)}
      </text>
      <text x={10} y={34} className="kamld-LineageGraph-detail">
        {clipLabel(
          node.detail || (node.kind === 'job' ? trans.__('job') : ''),
          28
        )}
      </text>
    </g>
  );
}
