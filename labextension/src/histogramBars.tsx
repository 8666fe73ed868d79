/**
 * A numeric column's histogram as a small SVG bar chart (20 buckets between
 * min and max), drawn in the theme's brand colour; the counts and bucket
 * ranges are in each bar's tooltip and in the chart's accessible label.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { HistogramState } from './profileModel';

const WIDTH = 120;
const HEIGHT = 28;

export function HistogramBars(props: {
  state: HistogramState;
  trans: TranslationBundle;
}): React.ReactElement {
  const { state, trans } = props;
  if (state === 'loading') {
    return <span className="kamld-Muted">…</span>;
  }
  if (state === 'error') {
    return <span className="kamld-Muted">—</span>;
  }
  const max = Math.max(1, ...state.counts);
  const step = (state.hi - state.lo) / state.counts.length;
  const barWidth = WIDTH / state.counts.length;
  const label = trans.__(
    'Histogram from %1 to %2, highest bucket %3 rows',
    state.lo,
    state.hi,
    max
  );
  return (
    <svg
      className="kamld-Histogram"
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={label}
    >
      {state.counts.map((count, i) => {
        const h = count === 0 ? 0 : Math.max(1, (count / max) * HEIGHT);
        const from = state.lo + i * step;
        return (
          <rect
            key={i}
            className="kamld-Histogram-bar"
            x={i * barWidth + 0.5}
            y={HEIGHT - h}
            width={Math.max(1, barWidth - 1)}
            height={h}
          >
            <title>
              {trans.__(
                '%1 – %2: %3 rows',
                from.toPrecision(4),
                (from + step).toPrecision(4),
                count
              )}
            </title>
          </rect>
        );
      })}
    </svg>
  );
}
