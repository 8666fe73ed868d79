/**
 * A labelled small chart: a caption with the window's figure (e.g. "p99
 * 12 ms") above the per-minute sparkline of the same quantity.
 */
import * as React from 'react';

import { Sparkline } from './sparkline';

export interface IMiniChartProps {
  label: string;
  /** The window's figure, already formatted. */
  value: string;
  values: readonly number[];
  format: (v: number) => string;
  /** What the chart shows, for screen readers. */
  description: string;
  color?: string;
}

export function MiniChart(props: IMiniChartProps): React.ReactElement {
  return (
    <figure className="kamld-Chart">
      <figcaption>
        <span className="kamld-Chart-label">{props.label}</span>
        <span className="kamld-Chart-value">{props.value}</span>
      </figcaption>
      <Sparkline
        values={props.values}
        label={props.description}
        format={props.format}
        color={props.color}
      />
    </figure>
  );
}
