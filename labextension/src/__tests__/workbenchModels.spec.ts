/**
 * The pure models behind the main-area views: the row-level diff, the
 * histograms, the lineage graph and its layout, the Jobs table's sort and
 * filter, and the people directory.
 */
import { ISnapshot } from '../datasetApi';
import { IJob } from '../jobApi';
import {
  filterJobs,
  jobOutputs,
  sortJobs,
  toggleSort,
  DEFAULT_JOB_SORT
} from '../jobsTableModel';
import { clipLabel, datasetLineage, layoutLineage } from '../lineageModel';
import { parsePerson, People } from '../people';
import { histogramSql, isNumericType, toHistogram } from '../profileModel';
import { tableAt } from '../queryRunner';
import { pairRows, rowDiffSql } from '../rowDiffModel';

describe('row diff', () => {
  const columns = [
    { name: 'kamld_change', type: 'VARCHAR' },
    { name: 'id', type: 'BIGINT' },
    { name: 'city', type: 'VARCHAR' }
  ];
  const rows = [
    ['-', 1, 'Oslo'],
    ['-', 2, 'Rome'],
    ['+', 1, 'Oslo!'],
    ['+', 3, 'Bern']
  ];

  it('names both refs of one table, quoted', () => {
    expect(tableAt('iris', 'v1', 'iris')).toBe('"iris@v1"."iris"');
    expect(tableAt('a"b', '', 't')).toBe('"a""b@draft"."t"');
    const sql = rowDiffSql('iris', 'v1', 'draft', 'iris', 10);
    expect(sql).toContain('EXCEPT ALL');
    expect(sql).toContain('"iris@draft"."iris"');
    expect(sql).toMatch(/LIMIT 11$/);
  });

  it('keeps rows on their side without a key', () => {
    const diff = pairRows(columns, rows, -1);
    expect(diff.columns.map(c => c.name)).toEqual(['id', 'city']);
    expect(diff.removed).toEqual([
      [1, 'Oslo'],
      [2, 'Rome']
    ]);
    expect(diff.added).toHaveLength(2);
    expect(diff.changed).toHaveLength(0);
  });

  it('pairs rows by key and marks the changed cells', () => {
    const diff = pairRows(columns, rows, 0);
    expect(diff.changed).toEqual([
      { key: '1', from: [1, 'Oslo'], to: [1, 'Oslo!'], cells: [1] }
    ]);
    expect(diff.removed).toEqual([[2, 'Rome']]);
    expect(diff.added).toEqual([[3, 'Bern']]);
  });

  it('says when more rows differ than were fetched', () => {
    expect(pairRows(columns, rows, -1, 3).truncated).toBe(true);
    expect(pairRows(columns, rows, -1, 4).truncated).toBe(false);
  });
});

describe('histograms', () => {
  it('knows numeric types', () => {
    expect(isNumericType('DOUBLE')).toBe(true);
    expect(isNumericType('DECIMAL(10,2)')).toBe(true);
    expect(isNumericType('VARCHAR')).toBe(false);
  });

  it('counts per bucket', () => {
    const sql = histogramSql('iris', 'v1', 'iris', 'sepal length', 4);
    expect(sql).toContain('CAST("sepal length" AS DOUBLE)');
    expect(sql).toContain('"iris@v1"."iris"');
    const h = toHistogram(
      [
        [1, 5, 0, 3],
        [1, 5, 3, '2']
      ],
      4
    );
    expect(h).toEqual({ lo: 1, hi: 5, counts: [3, 0, 0, 2] });
  });
});

function snapshot(
  version: string,
  overrides: Partial<ISnapshot> = {}
): ISnapshot {
  return {
    name: `datasets/model/snapshots/${version}id`,
    id: `${version}id`,
    sequence: Number(version.slice(1)),
    version,
    message: `m ${version}`,
    author: 'alice',
    createTime: '',
    stats: { fileCount: 1, totalBytes: 1, rowCount: 0 },
    tags: [],
    parent: '',
    mergeParent: '',
    ...overrides
  };
}

describe('lineage', () => {
  const snapshots = [
    snapshot('v1'),
    snapshot('v2', {
      parent: 'datasets/model/snapshots/v1id',
      lineage: {
        job: 'jobs/job-1',
        inputs: ['datasets/iris/snapshots/abcdef0123'],
        image: '',
        codeDigest: ''
      }
    })
  ];

  it('links history, the job and what it read, with readable names', () => {
    const graph = datasetLineage('model', snapshots, {
      snapshots: new Map([['datasets/iris/snapshots/abcdef0123', 'iris@v3']]),
      jobs: new Map([['jobs/job-1', { label: 'train', detail: 'succeeded' }]])
    });
    const labels = graph.nodes.map(n => n.label).sort();
    expect(labels).toEqual(['iris@v3', 'model@v1', 'model@v2', 'train']);
    expect(graph.nodes.find(n => n.label === 'iris@v3')?.foreign).toBe(true);
    expect(graph.edges).toEqual(
      expect.arrayContaining([
        {
          from: 'datasets/model/snapshots/v1id',
          to: 'datasets/model/snapshots/v2id',
          kind: 'parent'
        },
        {
          from: 'jobs/job-1',
          to: 'datasets/model/snapshots/v2id',
          kind: 'wrote'
        },
        {
          from: 'datasets/iris/snapshots/abcdef0123',
          to: 'jobs/job-1',
          kind: 'read'
        }
      ])
    );
  });

  it('falls back to a short id for snapshots it could not name', () => {
    const graph = datasetLineage('model', snapshots, {
      snapshots: new Map(),
      jobs: new Map()
    });
    expect(graph.nodes.map(n => n.label)).toContain('iris@abcdef0');
    expect(graph.nodes.map(n => n.label)).toContain('job-1');
  });

  it('lays the graph out left to right without overlaps', () => {
    const graph = datasetLineage('model', snapshots, {
      snapshots: new Map(),
      jobs: new Map()
    });
    const laid = layoutLineage(graph);
    expect(laid.nodes).toHaveLength(4);
    const x = (label: string) => laid.nodes.find(n => n.label === label)!.x;
    expect(x('iris@abcdef0')).toBeLessThan(x('job-1'));
    expect(x('job-1')).toBeLessThan(x('model@v2'));
    expect(laid.width).toBeGreaterThan(0);
    for (const edge of laid.edges) {
      expect(edge.points.length).toBeGreaterThan(1);
    }
  });
});

function job(id: string, overrides: Partial<IJob> = {}): IJob {
  return {
    name: `jobs/${id}`,
    id,
    displayName: '',
    flavor: 'cpu',
    command: ['python', `${id}.py`],
    notebook: '',
    state: 'SUCCEEDED',
    events: [],
    owner: 'alice',
    createTime: '2026-01-01T00:00:00Z',
    startTime: '2026-01-01T00:00:00Z',
    endTime: '2026-01-01T00:00:10Z',
    image: '',
    attempt: 1,
    inputs: [],
    outputs: [],
    outputSnapshots: [],
    codeDigest: '',
    raw: {},
    ...overrides
  };
}

describe('jobs table', () => {
  const jobs = [
    job('a', { startTime: '2026-01-01T00:00:00Z', owner: 'bob' }),
    job('b', {
      startTime: '2026-01-02T00:00:00Z',
      endTime: '2026-01-02T00:00:01Z',
      state: 'FAILED'
    }),
    job('c', {
      startTime: '2026-01-03T00:00:00Z',
      endTime: '2026-01-03T01:00:00Z'
    })
  ];

  it('sorts newest first, then by any column both ways', () => {
    expect(sortJobs(jobs, DEFAULT_JOB_SORT).map(j => j.id)).toEqual([
      'c',
      'b',
      'a'
    ]);
    const byDuration = toggleSort(DEFAULT_JOB_SORT, 'duration');
    expect(sortJobs(jobs, byDuration).map(j => j.id)).toEqual(['c', 'a', 'b']);
    const byId = toggleSort(DEFAULT_JOB_SORT, 'id');
    expect(byId.descending).toBe(false);
    expect(sortJobs(jobs, toggleSort(byId, 'id')).map(j => j.id)).toEqual([
      'c',
      'b',
      'a'
    ]);
  });

  it('shows, sorts and filters by the datasets a job writes', () => {
    const writers = [
      job('w1', {
        outputs: [{ path: 'out', dataset: 'datasets/zeta-model' }]
      }),
      job('w2', {
        outputs: [{ path: 'out', dataset: 'datasets/alpha-model' }]
      })
    ];
    expect(jobOutputs(writers[0])).toEqual(['zeta-model']);
    const byOutputs = toggleSort(DEFAULT_JOB_SORT, 'outputs');
    expect(sortJobs(writers, byOutputs).map(j => j.id)).toEqual(['w2', 'w1']);
    expect(filterJobs(writers, 'zeta').map(j => j.id)).toEqual(['w1']);
  });

  it('filters on every word', () => {
    expect(filterJobs(jobs, 'failed').map(j => j.id)).toEqual(['b']);
    expect(filterJobs(jobs, 'bob a.py').map(j => j.id)).toEqual(['a']);
    expect(filterJobs(jobs, '  ')).toHaveLength(3);
  });
});

describe('people', () => {
  it('shows display names of known accounts, else the account', () => {
    const people = new People();
    people.add({ account: 'root', displayName: 'Ada Lovelace' });
    expect(people.displayName('root')).toBe('Ada Lovelace');
    expect(people.displayName('bob')).toBe('bob');
  });

  it('parses the server extension’s answer', () => {
    expect(parsePerson({ account: 'root', displayName: 'Ada' })).toEqual({
      account: 'root',
      displayName: 'Ada'
    });
    expect(parsePerson({ account: '' })).toBeUndefined();
    expect(parsePerson('x')).toBeUndefined();
  });
});

describe('lineage node labels', () => {
  it('keep the version whole and tell long, similar ids apart', () => {
    const input = clipLabel('dayw-light-wide-mxdpk0e7@v1', 23);
    const output = clipLabel('dayw-light-wide-mxdpk0e7-model@v1', 23);
    expect(input).toHaveLength(23);
    expect(output).toHaveLength(23);
    expect(input.endsWith('mxdpk0e7@v1')).toBe(true);
    expect(output.endsWith('-model@v1')).toBe(true);
    expect(input).not.toBe(output);
  });

  it('leave short labels alone and cut other text at its end', () => {
    expect(clipLabel('iris@v3', 23)).toBe('iris@v3');
    expect(clipLabel('python forecast-light-wide.py', 23)).toBe(
      'python forecast-light-…'
    );
    expect(clipLabel('x@a-very-long-branch-name-here', 12)).toBe(
      'x@a-very-lo…'
    );
  });
});
