/**
 * The Platform view's two calls: SystemService.GetInfo (each backend's health
 * with since-when, failure count and last error) and
 * SystemService.GetMetricsSummary (calls, latency and errors per minute over a
 * window, jobs, storage, index lag, recent failures), through Jupyter's proxy.
 *
 * No JupyterLab imports: the transport is handed in, so jest drives it.
 */
import { isObject, jsonRequester, JsonRequester, str } from '../apiRequest';
import type { DatasetResult, Transport } from '../apiTypes';
import { wire } from '../wire';

/** A backend's health as GetInfo reports it, with its failure history. */
export interface IBackendHealth {
  capability: string;
  backend: string;
  serving: boolean;
  /** Why it is not serving (empty while serving). */
  message: string;
  location: string;
  /** RFC 3339; empty while serving. */
  degradedSince: string;
  /** Failed health checks since the sidecar started. */
  failures: number;
  /** The last failed check's error (kept after recovery), and when. */
  lastError: string;
  lastErrorTime: string;
}

/** One minute of calls. */
export interface IMinute {
  start: string;
  count: number;
  errors: number;
  p50: number;
  p99: number;
}

/** Calls over the window: totals, quantiles (seconds) and per minute. */
export interface ICallStats {
  count: number;
  errors: number;
  /** Calls per second. */
  rate: number;
  p50: number;
  p99: number;
  minutes: IMinute[];
}

export interface IGaugePoint {
  time: string;
  value: number;
}

export interface IRecentFailure {
  time: string;
  source: string;
  operation: string;
  code: string;
  requestId: string;
  message: string;
}

export type SummarySource = 'local' | 'prometheus';

/** GetMetricsSummary's answer. */
export interface IMetricsSummary {
  windowSeconds: number;
  source: string;
  backends: { backend: string; calls: ICallStats }[];
  rpcs: ICallStats;
  jobTransitions: Record<string, number>;
  jobMinutes: IMinute[];
  storageUsedBytes: number;
  storageHistory: IGaugePoint[];
  indexPendingMarkers: number;
  indexPendingHistory: IGaugePoint[];
  indexLagSeconds: number;
  failures: IRecentFailure[];
}

/** int64 fields arrive as strings from the gateway, doubles as numbers. */
export function num(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

function list<T>(value: unknown, parse: (item: unknown) => T): T[] {
  return Array.isArray(value) ? value.map(parse) : [];
}

function parseMinute(value: unknown): IMinute {
  const m = wire<'v1MinuteStats'>(value);
  return {
    start: str(m.start),
    count: num(m.count),
    errors: num(m.errors),
    p50: num(m.p50Seconds),
    p99: num(m.p99Seconds)
  };
}

export function parseCallStats(value: unknown): ICallStats {
  const c = wire<'v1CallStats'>(value);
  return {
    count: num(c.count),
    errors: num(c.errors),
    rate: num(c.rate),
    p50: num(c.p50Seconds),
    p99: num(c.p99Seconds),
    minutes: list(c.minutes, parseMinute)
  };
}

function parseGauge(value: unknown): IGaugePoint {
  const g = wire<'v1GaugePoint'>(value);
  return { time: str(g.time), value: num(g.value) };
}

function parseFailure(value: unknown): IRecentFailure {
  const f = wire<'v1RecentFailure'>(value);
  return {
    time: str(f.time),
    source: str(f.source),
    operation: str(f.operation),
    code: str(f.code),
    requestId: str(f.requestId),
    message: str(f.message)
  };
}

export function parseMetricsSummary(
  value: unknown
): IMetricsSummary | undefined {
  const body = wire<'v1MetricsSummary'>(value);
  if (body.windowSeconds === undefined) {
    return undefined;
  }
  const jobs: Record<string, number> = {};
  if (isObject(body.jobTransitions)) {
    for (const [state, n] of Object.entries(body.jobTransitions)) {
      jobs[state] = num(n);
    }
  }
  return {
    windowSeconds: num(body.windowSeconds),
    source: str(body.source),
    backends: list(body.backends, b => {
      const o = wire<'v1BackendMetrics'>(b);
      return { backend: str(o.backend), calls: parseCallStats(o.calls) };
    }),
    rpcs: parseCallStats(body.rpcs),
    jobTransitions: jobs,
    jobMinutes: list(body.jobMinutes, parseMinute),
    storageUsedBytes: num(body.storageUsedBytes),
    storageHistory: list(body.storageUsedHistory, parseGauge),
    indexPendingMarkers: num(body.indexPendingMarkers),
    indexPendingHistory: list(body.indexPendingHistory, parseGauge),
    indexLagSeconds: num(body.indexLagSeconds),
    failures: list(body.failures, parseFailure)
  };
}

export function parseBackendHealth(value: unknown): IBackendHealth {
  const b = wire<'v1BackendStatus'>(value);
  return {
    capability: str(b.capability),
    backend: str(b.backend),
    serving: b.health === 'HEALTH_SERVING',
    message: str(b.message),
    location: str(b.location),
    degradedSince: str(b.degradedSince),
    failures: num(b.failures),
    lastError: str(b.lastError),
    lastErrorTime: str(b.lastErrorTime)
  };
}

/** GetInfo's backends; `undefined` when the body is not a SystemInfo. */
export function parseBackends(value: unknown): IBackendHealth[] | undefined {
  const body = wire<'v1SystemInfo'>(value);
  if (!Array.isArray(body.backends)) {
    return undefined;
  }
  return body.backends.map(parseBackendHealth);
}

export class PlatformClient {
  constructor(options: { baseUrl: string; transport: Transport }) {
    this._request = jsonRequester(options.transport, options.baseUrl);
  }

  backends(): Promise<DatasetResult<IBackendHealth[]>> {
    return this._request('GET', 'v1/system/info', undefined, parseBackends);
  }

  summary(
    source: SummarySource,
    windowSeconds: number
  ): Promise<DatasetResult<IMetricsSummary>> {
    const query = new URLSearchParams({
      windowSeconds: String(windowSeconds),
      source
    });
    return this._request(
      'GET',
      `v1/system/metrics-summary?${query.toString()}`,
      undefined,
      parseMetricsSummary
    );
  }

  private readonly _request: JsonRequester;
}
