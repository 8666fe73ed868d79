/**
 * The figures of the Platform view's activity tiles, from a metrics summary:
 * RPC rate and errors, the job queue and throughput, storage used and its
 * growth, and the index lag. Pure (jest-tested); the view translates the
 * labels it is given.
 */
import {
  formatBytes,
  formatPercent,
  formatRate,
  formatSeconds,
  growth
} from './format';
import { IMetricsSummary } from './platformApi';
import { errorRate } from './platformModel';

export interface ITileFigures {
  rpcs: { rate: string; errors: string; p99: string; perMinute: number[] };
  jobs: {
    queued: number;
    started: number;
    succeeded: number;
    failed: number;
    endedPerMinute: number[];
  };
  storage: { used: string; growth: string; history: number[] };
  index: { pending: number; lag: string; history: number[] };
}

export function tileFigures(s: IMetricsSummary): ITileFigures {
  const jobs = s.jobTransitions;
  const storage = s.storageHistory.map(p => p.value);
  const change = growth(storage);
  return {
    rpcs: {
      rate: formatRate(s.rpcs.rate),
      errors: formatPercent(errorRate(s.rpcs)),
      p99: formatSeconds(s.rpcs.p99),
      perMinute: s.rpcs.minutes.map(m => m.count)
    },
    jobs: {
      queued: jobs.queued ?? 0,
      started: jobs.running ?? 0,
      succeeded: jobs.succeeded ?? 0,
      failed: jobs.failed ?? 0,
      endedPerMinute: s.jobMinutes.map(m => m.count)
    },
    storage: {
      used: formatBytes(s.storageUsedBytes),
      growth: `${change >= 0 ? '+' : ''}${formatBytes(change)}`,
      history: storage
    },
    index: {
      pending: s.indexPendingMarkers,
      lag: formatSeconds(s.indexLagSeconds),
      history: s.indexPendingHistory.map(p => p.value)
    }
  };
}
