/**
 * How the Platform view writes numbers: latencies, byte sizes, rates and
 * "since when". Pure functions (jest-tested), no JupyterLab imports.
 */

/** Seconds as a latency: "40 µs", "0.4 ms", "12 ms", "1.3 s", "2.0 min". */
export function formatSeconds(seconds: number): string {
  if (!(seconds > 0)) {
    return '0 ms';
  }
  if (seconds < 0.0001) {
    return `${Math.max(1, Math.round(seconds * 1e6))} µs`;
  }
  if (seconds < 0.01) {
    return `${(seconds * 1000).toFixed(1)} ms`;
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 120) {
    return `${seconds.toFixed(1)} s`;
  }
  return `${(seconds / 60).toFixed(1)} min`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units: "0 B", "1.5 KiB", "230 MiB". */
export function formatBytes(bytes: number): string {
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${bytes < 0 ? '-' : ''}${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A fraction as a percentage: "0 %", "0.4 %", "12 %". */
export function formatPercent(fraction: number): string {
  const p = fraction * 100;
  if (p === 0) {
    return '0 %';
  }
  return p < 10 ? `${p.toFixed(1)} %` : `${Math.round(p)} %`;
}

/** Calls per second, as per second or per minute when slow: "3.2/s", "12/min", "0.4/min". */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1) {
    return `${perSecond.toFixed(1)}/s`;
  }
  const perMinute = perSecond * 60;
  return perMinute >= 10 || perMinute === 0
    ? `${Math.round(perMinute)}/min`
    : `${perMinute.toFixed(1)}/min`;
}

/** How long ago `iso` was at `now` (ms): "42 s", "5 min", "3 h", "2 d" (units are symbols, not words). */
export function formatAge(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) {
    return '';
  }
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h`;
  }
  return `${Math.floor(s / 86400)} d`;
}

/** The change from the first to the last value of a history (0 for fewer than two). */
export function growth(values: readonly number[]): number {
  return values.length < 2 ? 0 : values[values.length - 1] - values[0];
}
