/**
 * A small SVG line chart of one series (oldest first), drawn without a chart
 * library: a polyline over a faint area, scaled to the series' own maximum,
 * with the latest value as a dot. Screen readers get the label and the range.
 */
import * as React from 'react';

export interface ISparklineProps {
  values: readonly number[];
  /** What the series is, e.g. "p99 latency, last hour". */
  label: string;
  /** Writes a value for the accessible summary and the tooltip. */
  format: (value: number) => string;
  /** A JupyterLab CSS variable's colour for the line, e.g. var(--jp-brand-color1). */
  color?: string;
  width?: number;
  height?: number;
}

/** The polyline's points for values in a width × height box (2 px inset). */
export function sparklinePoints(
  values: readonly number[],
  width: number,
  height: number
): [number, number][] {
  const max = Math.max(...values, 0);
  const inset = 2;
  const h = height - 2 * inset;
  const step =
    values.length > 1 ? (width - 2 * inset) / (values.length - 1) : 0;
  return values.map((v, i) => [
    inset + i * step,
    inset + (max > 0 ? h - (v / max) * h : h)
  ]);
}

export function Sparkline(props: ISparklineProps): React.ReactElement {
  const { values, label, format } = props;
  const width = props.width ?? 120;
  const height = props.height ?? 28;
  const color = props.color ?? 'var(--jp-brand-color1)';
  const points = sparklinePoints(values, width, height);
  const line = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`);
  const last = points[points.length - 1];
  const max = Math.max(...values, 0);
  const summary = values.length
    ? `${label}: ${format(values[values.length - 1])} now, ${format(max)} at most`
    : label;
  return (
    <svg
      className="kamld-Sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={summary}
    >
      <title>{summary}</title>
      {points.length > 1 && (
        <>
          <polygon
            className="kamld-Sparkline-area"
            points={`${points[0][0]},${height} ${line.join(' ')} ${last[0]},${height}`}
            fill={color}
          />
          <polyline
            points={line.join(' ')}
            fill="none"
            stroke={color}
            strokeWidth={1.5}
            strokeLinejoin="round"
          />
        </>
      )}
      {last && <circle cx={last[0]} cy={last[1]} r={2} fill={color} />}
    </svg>
  );
}
