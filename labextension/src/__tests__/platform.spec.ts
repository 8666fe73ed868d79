import { tileFigures } from '../platform/activityTiles';
import {
  formatAge,
  formatBytes,
  formatPercent,
  formatRate,
  formatSeconds,
  growth
} from '../platform/format';
import {
  IBackendHealth,
  IMetricsSummary,
  parseBackends,
  parseMetricsSummary,
  PlatformClient
} from '../platform/platformApi';
import {
  healthLevel,
  IPlatformSource,
  PlatformModel,
  worstLevel
} from '../platform/platformModel';
import { sparklinePoints } from '../platform/sparkline';
import { DatasetResult, Transport } from '../datasetApi';

/** GetMetricsSummary as the gateway renders it (int64 as strings). */
const SUMMARY = {
  windowSeconds: 3600,
  source: 'local',
  backends: [
    {
      backend: 'elasticsearch',
      calls: {
        count: '10',
        errors: '2',
        rate: 0.0027,
        p50Seconds: 0.004,
        p99Seconds: 0.2,
        minutes: [
          {
            start: '2026-12-07T17:00:00Z',
            count: '6',
            errors: '0',
            p50Seconds: 0.003,
            p99Seconds: 0.01
          },
          {
            start: '2026-12-07T17:01:00Z',
            count: '4',
            errors: '2',
            p50Seconds: 0.005,
            p99Seconds: 0.2
          }
        ]
      }
    }
  ],
  rpcs: {
    count: '120',
    errors: '3',
    rate: 2,
    p50Seconds: 0.002,
    p99Seconds: 0.05,
    minutes: []
  },
  jobTransitions: { queued: '4', running: '3', succeeded: '2', failed: '1' },
  jobMinutes: [{ start: '2026-12-07T17:00:00Z', count: '3', errors: '1' }],
  storageUsedBytes: '3145728',
  storageUsedHistory: [
    { time: '2026-12-07T17:01:00Z', value: 1048576 },
    { time: '2026-12-07T17:02:00Z', value: 3145728 }
  ],
  indexPendingMarkers: '5',
  indexPendingHistory: [{ time: '2026-12-07T17:01:00Z', value: 5 }],
  indexLagSeconds: 12.5,
  failures: [
    {
      time: '2026-12-07T17:01:30Z',
      source: 'backend',
      operation: 'elasticsearch/search',
      code: 'unavailable',
      requestId: '',
      message: 'dial tcp 127.0.0.1:9200: connect: connection refused'
    }
  ]
};

const INFO = {
  backends: [
    {
      capability: 'blob',
      backend: 'fs',
      health: 'HEALTH_SERVING',
      failures: '0'
    },
    {
      capability: 'index',
      backend: 'elasticsearch',
      health: 'HEALTH_NOT_SERVING',
      message: 'connection refused',
      degradedSince: '2026-12-07T17:01:00Z',
      failures: '3',
      lastError: 'connection refused',
      lastErrorTime: '2026-12-07T17:01:20Z'
    }
  ]
};

const NOW = Date.parse('2026-12-07T17:02:00Z');

function serving(overrides: Partial<IBackendHealth> = {}): IBackendHealth {
  return {
    capability: 'index',
    backend: 'elasticsearch',
    serving: true,
    message: '',
    location: '',
    degradedSince: '',
    failures: 0,
    lastError: '',
    lastErrorTime: '',
    ...overrides
  };
}

describe('platformApi', () => {
  it('parses the summary, int64 strings as numbers', () => {
    const s = parseMetricsSummary(SUMMARY) as IMetricsSummary;
    expect(s.backends[0].calls.count).toBe(10);
    expect(s.backends[0].calls.minutes[1]).toEqual({
      start: '2026-12-07T17:01:00Z',
      count: 4,
      errors: 2,
      p50: 0.005,
      p99: 0.2
    });
    expect(s.jobTransitions).toEqual({
      queued: 4,
      running: 3,
      succeeded: 2,
      failed: 1
    });
    expect(s.storageHistory.map(p => p.value)).toEqual([1048576, 3145728]);
    expect(s.failures[0].operation).toBe('elasticsearch/search');
  });

  it('rejects what is not a summary or a SystemInfo', () => {
    expect(parseMetricsSummary({ message: 'x' })).toBeUndefined();
    expect(parseBackends({})).toBeUndefined();
  });

  it('parses the backends with their failure history', () => {
    const [fs, es] = parseBackends(INFO) as IBackendHealth[];
    expect(fs.serving).toBe(true);
    expect(es).toMatchObject({
      serving: false,
      failures: 3,
      degradedSince: '2026-12-07T17:01:00Z'
    });
  });

  it('asks the summary route with window and source', async () => {
    const urls: string[] = [];
    const transport: Transport = async url => {
      urls.push(url);
      return new Response(JSON.stringify(SUMMARY), { status: 200 });
    };
    const client = new PlatformClient({ baseUrl: '/lab/', transport });
    const result = await client.summary('prometheus', 3600);
    expect(result.ok).toBe(true);
    expect(urls[0]).toBe(
      '/lab/kamld/api/v1/system/metrics-summary?windowSeconds=3600&source=prometheus'
    );
  });
});

describe('health levels', () => {
  const calls = parseMetricsSummary(SUMMARY)!.backends[0].calls;
  it('red when not serving, amber for recent errors no outage explains, else green', () => {
    expect(healthLevel(serving({ serving: false }), undefined, NOW)).toBe(
      'red'
    );
    expect(healthLevel(serving(), calls, NOW)).toBe('amber');
    // The errors of 17:01 came with a failed health check in that minute: recovered, green.
    expect(
      healthLevel(
        serving({ lastErrorTime: '2026-12-07T17:01:20Z' }),
        calls,
        NOW
      )
    ).toBe('green');
    // Errors older than the recent minutes do not count.
    expect(healthLevel(serving(), calls, NOW + 10 * 60_000)).toBe('green');
    expect(healthLevel(serving(), undefined, NOW)).toBe('green');
  });
  it('worst of several', () => {
    expect(worstLevel([])).toBe('green');
    expect(worstLevel(['green', 'amber'])).toBe('amber');
    expect(worstLevel(['amber', 'red', 'green'])).toBe('red');
  });
});

describe('PlatformModel', () => {
  function source(
    info: unknown,
    summary: DatasetResult<IMetricsSummary>
  ): IPlatformSource & { sources: string[] } {
    const sources: string[] = [];
    return {
      sources,
      backends: async () => ({ ok: true, value: parseBackends(info)! }),
      summary: async src => {
        sources.push(src);
        return summary;
      }
    };
  }

  it('makes one card per backend, with its calls and level', async () => {
    const model = new PlatformModel(
      source(INFO, { ok: true, value: parseMetricsSummary(SUMMARY)! }),
      () => NOW
    );
    await model.refresh();
    expect(model.cards.map(c => [c.health.backend, c.level])).toEqual([
      ['fs', 'green'],
      ['elasticsearch', 'red']
    ]);
    expect(model.cards[1].calls?.count).toBe(10);
    expect(model.level).toBe('red');
    expect(model.updatedAt).toBe(NOW);
    model.dispose();
  });

  it('keeps health when the fleet summary fails, and says why', async () => {
    const src = source(INFO, {
      ok: false,
      failure: {
        kind: 'http',
        httpStatus: 412,
        message: 'no Prometheus is configured',
        fieldViolations: []
      }
    });
    const model = new PlatformModel(src, () => NOW);
    model.source = 'prometheus';
    await model.refresh();
    expect(src.sources).toContain('prometheus');
    expect(model.cards).toHaveLength(2);
    expect(model.summaryFailure?.message).toBe('no Prometheus is configured');
    model.dispose();
  });
});

describe('format', () => {
  it('writes latencies, bytes, percentages, rates and ages', () => {
    expect(formatSeconds(0)).toBe('0 ms');
    expect(formatSeconds(0.0004)).toBe('0.4 ms');
    expect(formatSeconds(0.25)).toBe('250 ms');
    expect(formatSeconds(1.25)).toBe('1.3 s');
    expect(formatSeconds(600)).toBe('10.0 min');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(-2097152)).toBe('-2.0 MiB');
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(0.004)).toBe('0.4 %');
    expect(formatPercent(0.2)).toBe('20 %');
    expect(formatRate(2)).toBe('2.0/s');
    expect(formatRate(0.05)).toBe('3.0/min');
    expect(formatRate(0.5)).toBe('30/min');
    expect(formatSeconds(0.00004)).toBe('40 µs');
    expect(formatAge('2026-12-07T17:01:18Z', NOW)).toBe('42 s');
    expect(formatAge('2026-12-07T15:00:00Z', NOW)).toBe('2 h');
    expect(formatAge('', NOW)).toBe('');
    expect(growth([1, 5, 4])).toBe(3);
    expect(growth([7])).toBe(0);
  });
});

describe('tiles and sparklines', () => {
  it('figures of the activity tiles', () => {
    const f = tileFigures(parseMetricsSummary(SUMMARY)!);
    expect(f.rpcs.errors).toBe('2.5 %');
    expect(f.jobs).toMatchObject({
      queued: 4,
      started: 3,
      succeeded: 2,
      failed: 1,
      endedPerMinute: [3]
    });
    expect(f.storage).toEqual({
      used: '3.0 MiB',
      growth: '+2.0 MiB',
      history: [1048576, 3145728]
    });
    expect(f.index).toMatchObject({ pending: 5, lag: '12.5 s' });
  });

  it('scales points to the series maximum, the newest on the right', () => {
    expect(sparklinePoints([0, 10], 104, 24)).toEqual([
      [2, 22],
      [102, 2]
    ]);
    expect(sparklinePoints([0, 0], 104, 24).map(p => p[1])).toEqual([22, 22]);
  });
});
