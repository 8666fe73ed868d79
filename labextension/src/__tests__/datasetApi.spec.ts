import {
  DatasetClient,
  httpFailure,
  isConflict,
  mergeConflicts,
  parseDataset,
  parseDiff,
  parseErrorBody,
  parseFileListing,
  parseRestore,
  proxiedUrl,
  routes,
  Transport
} from '../datasetApi';

/** Answers as the sidecar's gateway sends them (captured from a real run). */
const IRIS = {
  name: 'datasets/iris',
  description: 'd',
  tags: ['a'],
  labels: { k: 'v' },
  owner: 'root',
  createTime: '2026-11-23T13:55:14.799762844Z',
  updateTime: '2026-11-23T13:55:15.098942673Z',
  stats: { fileCount: '2', totalBytes: '16', rowCount: '0' },
  tables: [],
  headSnapshot: 'datasets/iris/snapshots/14e5',
  snapshotCount: '2',
  hasDraftChanges: false,
  etag: '18eab1173b9768f2'
};

const SNAPSHOT_V1 = {
  name: 'datasets/iris/snapshots/4e4b',
  id: '4e4b',
  sequence: '1',
  version: 'v1',
  parent: '',
  message: 'first',
  author: 'root',
  createTime: '2026-11-23T13:55:14.931324983Z',
  stats: { fileCount: '1', totalBytes: '7', rowCount: '0' },
  manifestRoot: 'sha256:20ec',
  tags: [],
  lineage: null,
  tables: []
};

const FILE_A_V1 = {
  path: 'data/a.csv',
  size: '7',
  digest: 'sha256:aa93',
  mediaType: 'text/csv',
  modifyTime: '2026-11-23T13:55:14.868784289Z',
  etag: '"sha256:aa93"'
};

const DIFF = {
  changes: [
    {
      path: 'b.txt',
      type: 'CHANGE_TYPE_ADDED',
      from: null,
      to: { ...FILE_A_V1, path: 'b.txt', size: '5' }
    },
    {
      path: 'data/a.csv',
      type: 'CHANGE_TYPE_MODIFIED',
      from: FILE_A_V1,
      to: { ...FILE_A_V1, size: '11' }
    }
  ],
  nextPageToken: '',
  stats: { added: '1', removed: '0', modified: '1', bytesDelta: '9' }
};

const INVALID_ID = {
  code: 3,
  message: 'invalid dataset_id: "Bad_ID" must start with a lowercase letter',
  details: [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'INVALID_ARGUMENT',
      domain: 'kamld.dev'
    },
    {
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [
        {
          field: 'dataset_id',
          description: '"Bad_ID" must start with a lowercase letter'
        }
      ]
    }
  ]
};

interface ICall {
  url: string;
  init: RequestInit;
}

/** A transport that records requests and answers from a queue. */
function fakeTransport(answers: Array<[number, unknown] | Error>): {
  transport: Transport;
  calls: ICall[];
} {
  const calls: ICall[] = [];
  const transport: Transport = async (url, init) => {
    calls.push({ url, init });
    const answer = answers.shift();
    if (answer === undefined) {
      throw new Error('unexpected request');
    }
    if (answer instanceof Error) {
      throw answer;
    }
    const [status, body] = answer;
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      statusText: status === 200 ? 'OK' : 'Error'
    });
  };
  return { transport, calls };
}

function client(answers: Array<[number, unknown] | Error>) {
  const fake = fakeTransport(answers);
  return {
    client: new DatasetClient({ baseUrl: '/lab/', transport: fake.transport }),
    calls: fake.calls
  };
}

describe('parsers', () => {
  it('reads a dataset, converting int64 strings to numbers', () => {
    const dataset = parseDataset(IRIS);
    expect(dataset).toEqual({
      name: 'datasets/iris',
      id: 'iris',
      description: 'd',
      tags: ['a'],
      labels: { k: 'v' },
      owner: 'root',
      createTime: IRIS.createTime,
      updateTime: IRIS.updateTime,
      stats: { fileCount: 2, totalBytes: 16, rowCount: 0 },
      headSnapshot: 'datasets/iris/snapshots/14e5',
      snapshotCount: 2,
      hasDraftChanges: false,
      etag: '18eab1173b9768f2'
    });
  });

  it('rejects a dataset without a name', () => {
    expect(parseDataset({ description: 'x' })).toBeUndefined();
    expect(parseDataset(null)).toBeUndefined();
  });

  it('reads a diff with change types and sizes', () => {
    const diff = parseDiff(DIFF);
    expect(diff?.changes.map(c => [c.path, c.type])).toEqual([
      ['b.txt', 'added'],
      ['data/a.csv', 'modified']
    ]);
    expect(diff?.changes[0].from).toBeNull();
    expect(diff?.changes[1].from?.size).toBe(7);
    expect(diff?.changes[1].to?.size).toBe(11);
    expect(diff?.stats).toEqual({
      added: 1,
      removed: 0,
      modified: 1,
      bytesDelta: 9
    });
  });

  it('maps an unknown change type to unknown', () => {
    const diff = parseDiff({
      changes: [{ path: 'x', type: 'CHANGE_TYPE_RENAMED' }]
    });
    expect(diff?.changes[0].type).toBe('unknown');
  });

  it('fails a listing as a whole when one entry is malformed', () => {
    expect(
      parseFileListing({ files: [FILE_A_V1, { size: '3' }], folders: [] })
    ).toBeUndefined();
    expect(
      parseFileListing({
        files: [FILE_A_V1],
        folders: ['data/'],
        nextPageToken: '',
        resolvedSnapshot: 's'
      })
    ).toEqual({
      files: [
        {
          path: 'data/a.csv',
          size: 7,
          digest: 'sha256:aa93',
          mediaType: 'text/csv',
          modifyTime: FILE_A_V1.modifyTime
        }
      ],
      folders: ['data/'],
      nextPageToken: '',
      resolvedSnapshot: 's'
    });
  });

  it('reads the restore answer', () => {
    expect(
      parseRestore({
        changes: { added: '0', removed: '1', modified: '1', bytesDelta: '-9' }
      })
    ).toEqual({ added: 0, removed: 1, modified: 1, bytesDelta: -9 });
  });

  it('reads ErrorInfo and BadRequest details from an error body', () => {
    expect(parseErrorBody(INVALID_ID)).toEqual({
      code: 3,
      message: INVALID_ID.message,
      reason: 'INVALID_ARGUMENT',
      fieldViolations: [
        {
          field: 'dataset_id',
          description: '"Bad_ID" must start with a lowercase letter'
        }
      ]
    });
    expect(parseErrorBody({ message: 'no code' })).toBeUndefined();
  });
});

describe('routes', () => {
  it('builds query strings in the REST shapes, leaving out empty values', () => {
    expect(routes.datasets(50, 'tok')).toBe(
      'v1/datasets?pageSize=50&pageToken=tok'
    );
    expect(routes.datasets()).toBe('v1/datasets');
    expect(
      routes.datasets(40, undefined, { filter: 'ir is', access: 'mine' })
    ).toBe('v1/datasets?pageSize=40&filter=ir%20is&access=mine');
    expect(routes.createDataset('iris')).toBe('v1/datasets?datasetId=iris');
    expect(routes.updateDataset('iris', ['description', 'tags'])).toBe(
      'v1/datasets/iris?updateMask=description%2Ctags'
    );
    expect(routes.diff('iris', 'v1', 'v2')).toBe(
      'v1/datasets/iris:diff?fromRef=v1&toRef=v2'
    );
    expect(routes.diff('iris', 'v1', 'v2', 500, 'p2')).toBe(
      'v1/datasets/iris:diff?fromRef=v1&toRef=v2&pageSize=500&pageToken=p2'
    );
    expect(routes.restore('iris', 'v1')).toBe(
      'v1/datasets/iris/snapshots/v1:restore'
    );
    expect(routes.tags('iris', 'prod')).toBe(
      'v1/datasets/iris/tags?tagId=prod'
    );
    expect(routes.files('iris', { prefix: 'images/', ref: '' })).toBe(
      'v1/datasets/iris/files?prefix=images%2F'
    );
  });

  it('escapes each segment of a content path but keeps the slashes', () => {
    expect(routes.content('iris', 'data/my file#1.csv', 'v2')).toBe(
      'v1/datasets/iris/content/data/my%20file%231.csv?ref=v2'
    );
    expect(routes.content('iris', '/a.csv')).toBe(
      'v1/datasets/iris/content/a.csv'
    );
  });

  it('joins the base URL and the proxy prefix', () => {
    expect(proxiedUrl('/user/x/', 'v1/datasets')).toBe(
      '/user/x/kamld/api/v1/datasets'
    );
    expect(proxiedUrl('http://h:8888', 'v1/datasets')).toBe(
      'http://h:8888/kamld/api/v1/datasets'
    );
  });
});

describe('DatasetClient', () => {
  it('lists a page of datasets', async () => {
    const { client: c, calls } = client([
      [200, { datasets: [IRIS], nextPageToken: 'n2', totalSize: '0' }]
    ]);
    const result = await c.listDatasets(100);
    expect(calls[0].url).toBe('/lab/kamld/api/v1/datasets?pageSize=100');
    expect(calls[0].init.method).toBe('GET');
    expect(calls[0].init.body).toBeUndefined();
    expect(result.ok && result.value.items.map(d => d.id)).toEqual(['iris']);
    expect(result.ok && result.value.nextPageToken).toBe('n2');
  });

  it('creates a dataset with id in the query and fields in the body', async () => {
    const { client: c, calls } = client([[200, IRIS]]);
    const result = await c.createDataset('iris', {
      description: 'd',
      tags: ['a']
    });
    expect(result.ok).toBe(true);
    expect(calls[0].url).toBe('/lab/kamld/api/v1/datasets?datasetId=iris');
    expect(calls[0].init.method).toBe('POST');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      description: 'd',
      tags: ['a'],
      labels: {}
    });
  });

  it('reports a rejected create with the field at fault', async () => {
    const { client: c } = client([[400, INVALID_ID]]);
    const result = await c.createDataset('Bad_ID', {});
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.failure).toMatchObject({
        kind: 'http',
        httpStatus: 400,
        grpcCode: 3,
        reason: 'INVALID_ARGUMENT',
        fieldViolations: [{ field: 'dataset_id' }]
      });
    }
  });

  it('patches only the fields given, with the etag in the body', async () => {
    const { client: c, calls } = client([[200, IRIS]]);
    await c.updateDataset('iris', { description: 'new', tags: ['x'] }, 'e1');
    expect(calls[0].url).toBe(
      '/lab/kamld/api/v1/datasets/iris?updateMask=description%2Ctags'
    );
    expect(calls[0].init.method).toBe('PATCH');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      description: 'new',
      tags: ['x'],
      etag: 'e1'
    });
  });

  it('recognises a stale etag as a conflict', async () => {
    const { client: c } = client([
      [
        409,
        {
          code: 10,
          message: 'dataset "iris" was changed since etag bogus',
          details: []
        }
      ]
    ]);
    const result = await c.updateDataset('iris', { description: 'x' }, 'bogus');
    expect(!result.ok && isConflict(result.failure)).toBe(true);
  });

  it('takes, lists and restores snapshots', async () => {
    const { client: c, calls } = client([
      [200, SNAPSHOT_V1],
      [200, { snapshots: [SNAPSHOT_V1], nextPageToken: '' }],
      [200, { changes: { added: '0', removed: '1', modified: '0' } }]
    ]);
    const created = await c.createSnapshot('iris', 'first');
    expect(created.ok && created.value.version).toBe('v1');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      message: 'first'
    });
    const list = await c.listSnapshots('iris');
    expect(list.ok && list.value.items[0].sequence).toBe(1);
    const restored = await c.restoreSnapshot('iris', 'v1');
    expect(calls[2].url).toBe(
      '/lab/kamld/api/v1/datasets/iris/snapshots/v1:restore'
    );
    expect(calls[2].init.body).toBe('{}');
    expect(restored.ok && restored.value.removed).toBe(1);
  });

  it('reads tags with their id', async () => {
    const { client: c } = client([
      [
        200,
        {
          tags: [
            {
              name: 'datasets/iris/tags/prod',
              snapshot: 'datasets/iris/snapshots/14e5',
              author: 'root',
              createTime: '2026-11-23T13:55:15Z'
            }
          ],
          nextPageToken: ''
        }
      ]
    ]);
    const tags = await c.listTags('iris');
    expect(tags.ok && tags.value.items[0].id).toBe('prod');
  });

  it('turns a network error into a network failure', async () => {
    const { client: c } = client([new TypeError('Failed to fetch')]);
    const result = await c.getDataset('iris');
    expect(result).toEqual({
      ok: false,
      failure: {
        kind: 'network',
        message: 'Failed to fetch',
        fieldViolations: []
      }
    });
  });

  it('reports a 2xx answer of the wrong shape as invalid', async () => {
    const { client: c } = client([[200, { hello: 1 }]]);
    const result = await c.getDataset('iris');
    expect(!result.ok && result.failure.kind).toBe('invalid-response');
  });
});

describe('httpFailure', () => {
  it('falls back to a Jupyter message, then the status text', () => {
    expect(
      httpFailure({ status: 503, statusText: 'Unavailable' }, { message: 'm' })
        .message
    ).toBe('m');
    expect(
      httpFailure({ status: 502, statusText: 'Bad Gateway' }, undefined).message
    ).toBe('Bad Gateway');
    expect(
      httpFailure({ status: 500, statusText: '' }, undefined).message
    ).toBe('HTTP 500');
  });
});

describe('merging branches', () => {
  it('sends the strategy and reads a fast-forward', async () => {
    const { client: c, calls } = client([
      [
        200,
        {
          snapshot: { version: 'v4' },
          fastForward: true,
          upToDate: false,
          stats: { added: 1, removed: 0, modified: 0, bytesDelta: '3' },
          resolved: []
        }
      ]
    ]);
    const result = await c.mergeBranch('iris', 'exp', 'theirs');
    expect(calls[0].url).toContain('v1/datasets/iris/branches/main:merge');
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({
      source: 'exp',
      strategy: 'MERGE_STRATEGY_THEIRS'
    });
    expect(result.ok && result.value).toEqual({
      version: 'v4',
      fastForward: true,
      upToDate: false,
      stats: { added: 1, removed: 0, modified: 0, bytesDelta: 3 },
      resolved: 0
    });
  });

  it('lists the conflicts of a failed merge from its error details', async () => {
    const { client: c } = client([
      [
        400,
        {
          code: 9,
          message: 'merging exp into main: 1 paths changed differently',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'MERGE_CONFLICT'
            },
            {
              '@type': 'type.googleapis.com/kamld.v1.MergeConflicts',
              conflicts: [{ path: 'data/a.csv', ours: FILE_A_V1 }]
            }
          ]
        }
      ]
    ]);
    const result = await c.mergeBranch('iris', 'exp');
    expect(result.ok).toBe(false);
    const conflicts = result.ok ? [] : mergeConflicts(result.failure);
    expect(conflicts).toHaveLength(1);
    expect(conflicts?.[0].path).toBe('data/a.csv');
    expect(conflicts?.[0].ours?.size).toBe(7);
    expect(conflicts?.[0].theirs).toBeNull();
  });
});
