/**
 * A pipeline run drawn as a DAG: one box per step, coloured by its state, edges for dependencies; a click
 * selects a step.
 */
import * as React from 'react';

import { IDagLayout } from './dagLayout';

export interface IPipelineDagProps {
  layout: IDagLayout;
  selected: string;
  onSelect: (step: string) => void;
  /** Label of a state for people ("running", "cached" …), translated by the caller. */
  stateLabel: (state: string) => string;
  /** What the graph is, for assistive technology (translated by the caller). */
  label: string;
}

function edgePath(points: Array<{ x: number; y: number }>): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
}

export function PipelineDag(props: IPipelineDagProps): React.ReactElement {
  const { layout, selected, onSelect, stateLabel, label } = props;
  // A labelled group, not an image: its steps are buttons, and an image may not contain controls.
  return (
    <svg
      className="kamld-PipelineDag"
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="group"
      aria-label={label}
    >
      <defs>
        <marker
          id="kamld-PipelineDag-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" className="kamld-PipelineDag-arrow" />
        </marker>
      </defs>
      {layout.edges.map(e => (
        <path
          key={`${e.from}->${e.to}`}
          className="kamld-PipelineDag-edge"
          d={edgePath(e.points)}
          markerEnd="url(#kamld-PipelineDag-arrow)"
        />
      ))}
      {layout.nodes.map(n => (
        <g
          key={n.name}
          className={`kamld-PipelineStep kamld-mod-${n.state.toLowerCase()}${n.name === selected ? ' jp-mod-selected' : ''}`}
          data-step={n.name}
          data-state={n.state}
          transform={`translate(${n.x},${n.y})`}
          onClick={() => onSelect(n.name)}
          role="button"
          aria-pressed={n.name === selected}
          aria-label={`${n.name}: ${stateLabel(n.state)}`}
          tabIndex={0}
          onKeyDown={e => {
            if (e.key === 'Enter' || e.key === ' ') {
              onSelect(n.name);
            }
          }}
        >
          <rect width={n.width} height={n.height} rx={6} />
          <text x={10} y={20} className="kamld-PipelineStep-name">
            {n.name}
          </text>
          <text x={10} y={38} className="kamld-PipelineStep-state">
            {stateLabel(n.state)}
          </text>
        </g>
      ))}
    </svg>
  );
}
