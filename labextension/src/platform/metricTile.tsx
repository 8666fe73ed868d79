/**
 * One of the Platform view's activity tiles (RPCs, jobs, storage, index): a
 * title, a few figures of the window, and a per-minute chart.
 */
import * as React from 'react';

import { IMiniChartProps, MiniChart } from './miniChart';

export interface IMetricTileProps {
  title: string;
  /** Name for tests and styles, e.g. "rpcs". */
  name: string;
  facts: { label: string; value: string }[];
  chart: IMiniChartProps;
}

export function MetricTile(props: IMetricTileProps): React.ReactElement {
  return (
    <section
      className="kamld-MetricTile"
      data-kamld-tile={props.name}
      aria-label={props.title}
    >
      <h3 className="kamld-MetricTile-title">{props.title}</h3>
      <dl className="kamld-MetricTile-facts">
        {props.facts.map(f => (
          <div key={f.label} className="kamld-MetricTile-fact">
            <dt>{f.label}</dt>
            <dd>{f.value}</dd>
          </div>
        ))}
      </dl>
      <MiniChart {...props.chart} />
    </section>
  );
}
