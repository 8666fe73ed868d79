import { ITranslate } from '../connectionState';
import { DatasetClient, IDatasetApiFailure, Transport } from '../datasetApi';
import { DatasetViewModel, Uploader } from '../datasetViewModel';

/** Substitutes %1, %2, … like trans.__ does. */
const trans: ITranslate = {
  __: (msgid: string, ...args: unknown[]) =>
    msgid.replace(/%(\d+)/g, (_, n: string) => String(args[Number(n) - 1]))
};

const DATASET = {
  name: 'datasets/iris',
  description: 'd',
  tags: ['a'],
  labels: {},
  owner: 'root',
  createTime: '',
  updateTime: '',
  stats: { fileCount: '1', totalBytes: '7', rowCount: '0' },
  headSnapshot: 'datasets/iris/snapshots/s2',
  snapshotCount: '2',
  hasDraftChanges: false,
  etag: 'e1'
};

const snapshot = (n: number) => ({
  name: `datasets/iris/snapshots/s${n}`,
  id: `s${n}`,
  sequence: String(n),
  version: `v${n}`,
  message: `m${n}`,
  author: 'root',
  createTime: '',
  stats: { fileCount: '1', totalBytes: '7', rowCount: '0' },
  tags: []
});

const LISTING = {
  files: [
    {
      path: 'a.csv',
      size: '7',
      digest: '',
      mediaType: 'text/csv',
      modifyTime: ''
    }
  ],
  folders: ['raw/'],
  nextPageToken: '',
  resolvedSnapshot: 'datasets/iris/snapshots/draft'
};

type Route = [number, unknown];

/**
 * A fake sidecar: answers by "METHOD path" (query string included), records
 * every request. Unknown routes answer 404 like the gateway.
 */
function fakeServer(routes: Record<string, Route | (() => Route)>) {
  const requests: Array<{ key: string; body: unknown }> = [];
  const transport: Transport = async (url, init) => {
    const path = url.replace('/lab/kamld/api/', '');
    const key = `${init.method} ${path}`;
    requests.push({
      key,
      body: init.body ? JSON.parse(String(init.body)) : undefined
    });
    const route = routes[key];
    const [status, body] =
      typeof route === 'function'
        ? route()
        : (route ?? [404, { code: 5, message: `no route ${key}` }]);
    return new Response(JSON.stringify(body), { status });
  };
  return { transport, requests };
}

const BASE_ROUTES: Record<string, Route> = {
  'GET v1/datasets/iris': [200, DATASET],
  'GET v1/datasets/iris/snapshots?pageSize=1000': [
    200,
    { snapshots: [snapshot(1), snapshot(2)], nextPageToken: '' }
  ],
  'GET v1/datasets/iris/tags': [
    200,
    {
      tags: [
        {
          name: 'datasets/iris/tags/prod',
          snapshot: 'datasets/iris/snapshots/s1',
          author: '',
          createTime: ''
        }
      ],
      nextPageToken: ''
    }
  ],
  'GET v1/datasets/iris/files?ref=draft&pageSize=500': [200, LISTING],
  'GET v1/datasets/iris/tables?ref=draft': [
    200,
    {
      schema: 'iris@draft',
      tables: [
        {
          name: 'a',
          path: 'a.csv',
          format: 'csv',
          rowCount: '2',
          columns: [{ name: 'x', type: 'BIGINT', nullable: false }]
        }
      ]
    }
  ]
};

function makeModel(
  routes: Record<string, Route | (() => Route)> = {},
  upload: Uploader = async () => null
) {
  const server = fakeServer({ ...BASE_ROUTES, ...routes });
  const client = new DatasetClient({
    baseUrl: '/lab/',
    transport: server.transport
  });
  const model = new DatasetViewModel('iris', client, upload, trans);
  return { model, requests: server.requests };
}

describe('DatasetViewModel', () => {
  it('loads the dataset, history newest first, tags and the draft', async () => {
    const { model } = makeModel();
    const seen: string[] = [];
    model.datasetChanged.connect((_, dataset) => seen.push(dataset.etag));
    await model.refresh();
    expect(model.dataset?.id).toBe('iris');
    expect(model.snapshots.map(s => s.version)).toEqual(['v2', 'v1']);
    expect(model.tags.map(t => t.id)).toEqual(['prod']);
    expect(model.ref).toBe('draft');
    expect(model.listing?.files.map(f => f.path)).toEqual(['a.csv']);
    expect(model.listing?.folders).toEqual(['raw/']);
    // The schema is that of the ref shown.
    expect(model.schema.ref).toBe('draft');
    expect(model.schema.tables?.map(t => [t.path, t.rowCount])).toEqual([
      ['a.csv', 2]
    ]);
    // The comparison defaults to the two newest snapshots.
    expect([model.diffFrom, model.diffTo]).toEqual(['v1', 'v2']);
    expect(seen).toEqual(['e1']);
  });

  it('lists a folder at a ref and links downloads at that ref', async () => {
    const { model, requests } = makeModel({
      'GET v1/datasets/iris/files?ref=prod&pageSize=500': [200, LISTING],
      'GET v1/datasets/iris/files?ref=prod&prefix=raw%2F&pageSize=500': [
        200,
        { files: [], folders: [], nextPageToken: '', resolvedSnapshot: '' }
      ]
    });
    await model.setRef('prod');
    await model.openFolder('raw/');
    expect(requests.map(r => r.key)).toEqual([
      'GET v1/datasets/iris/files?ref=prod&pageSize=500',
      // The schema follows the ref, not the folder.
      'GET v1/datasets/iris/tables?ref=prod',
      'GET v1/datasets/iris/files?ref=prod&prefix=raw%2F&pageSize=500'
    ]);
    expect(model.listing?.files).toEqual([]);
    expect(model.downloadUrl('raw/x y.csv')).toBe(
      '/lab/kamld/api/v1/datasets/iris/content/raw/x%20y.csv?ref=prod'
    );
  });

  it('appends further pages of a long listing', async () => {
    const file = (path: string) => ({ ...LISTING.files[0], path });
    const { model, requests } = makeModel({
      'GET v1/datasets/iris/files?ref=draft&pageSize=500': [
        200,
        { ...LISTING, files: [file('a.csv')], nextPageToken: 'p2' }
      ],
      'GET v1/datasets/iris/files?ref=draft&pageSize=500&pageToken=p2': [
        200,
        { ...LISTING, files: [file('b.csv')], nextPageToken: '' }
      ]
    });
    await model.listFiles();
    expect(model.listing?.nextPageToken).toBe('p2');
    await model.loadMoreFiles();
    expect(model.listing?.files.map(f => f.path)).toEqual(['a.csv', 'b.csv']);
    expect(model.listing?.folders).toEqual(['raw/']);
    expect(model.listing?.nextPageToken).toBe('');
    await model.loadMoreFiles();
    expect(requests).toHaveLength(2);
  });

  it('shows a listing error instead of a stale listing', async () => {
    const { model } = makeModel({
      'GET v1/datasets/iris/files?ref=nope&pageSize=500': [
        404,
        { code: 5, message: 'ref "nope" not found', details: [] }
      ]
    });
    await model.refresh();
    await model.setRef('nope');
    expect(model.listing).toBeNull();
    expect(model.listingError).toBe('ref "nope" not found');
  });

  it('saves metadata with the etag it loaded', async () => {
    const { model, requests } = makeModel({
      'PATCH v1/datasets/iris?updateMask=description%2Ctags': [
        200,
        { ...DATASET, description: 'new', tags: ['x', 'y'], etag: 'e2' }
      ]
    });
    await model.refresh();
    expect(await model.saveMetadata('new', 'x, y')).toBe(true);
    expect(requests[requests.length - 1].body).toEqual({
      description: 'new',
      tags: ['x', 'y'],
      etag: 'e1'
    });
    expect(model.dataset?.etag).toBe('e2');
    expect(model.notice).toBeNull();
  });

  it('saves labels with the metadata, and refuses a malformed line without a request', async () => {
    const { model, requests } = makeModel({
      'PATCH v1/datasets/iris?updateMask=description%2Ctags%2Clabels': [
        200,
        { ...DATASET, labels: { team: 'ml', zone: 'eu' }, etag: 'e2' }
      ]
    });
    await model.refresh();
    const before = requests.length;
    expect(await model.saveMetadata('d', 'a', 'team=ml\nnot a label')).toBe(
      false
    );
    expect(requests.length).toBe(before);
    expect(model.notice).toEqual({
      kind: 'error',
      message:
        'Labels are written key=value, one per line; "not a label" is not.'
    });

    expect(await model.saveMetadata('d', 'a', 'team=ml\nzone = eu\n')).toBe(
      true
    );
    expect(requests[requests.length - 1].body).toEqual({
      description: 'd',
      tags: ['a'],
      labels: { team: 'ml', zone: 'eu' },
      etag: 'e1'
    });
    expect(model.dataset?.labels).toEqual({ team: 'ml', zone: 'eu' });
    expect(model.notice).toBeNull();

    // Emptying the field removes every label.
    await model.saveMetadata('d', 'a', '');
    expect(requests[requests.length - 1].body).toMatchObject({ labels: {} });
  });

  it('explains a lost race as a conflict, other failures as errors', async () => {
    let answer: Route = [
      409,
      { code: 10, message: 'changed since etag e1', details: [] }
    ];
    const { model } = makeModel({
      'PATCH v1/datasets/iris?updateMask=description%2Ctags': () => answer
    });
    await model.refresh();
    expect(await model.saveMetadata('mine', '')).toBe(false);
    expect(model.notice?.kind).toBe('conflict');
    expect(model.notice?.message).toContain('Someone else changed');

    answer = [400, { code: 3, message: 'tag too long', details: [] }];
    expect(await model.saveMetadata('mine', '')).toBe(false);
    expect(model.notice).toEqual({
      kind: 'error',
      message: 'Could not save: tag too long'
    });
  });

  it('uploads into the draft under the folder shown, with progress', async () => {
    const calls: string[] = [];
    const percents: number[] = [];
    const failure: IDatasetApiFailure = {
      kind: 'http',
      httpStatus: 413,
      message: 'too large',
      fieldViolations: []
    };
    const upload: Uploader = async (url, body, onProgress) => {
      calls.push(url);
      onProgress(body.size / 2, body.size);
      return url.endsWith('big.bin') ? failure : null;
    };
    const { model } = makeModel(
      {
        'GET v1/datasets/iris/files?ref=v1&pageSize=500': [200, LISTING],
        'GET v1/datasets/iris/files?ref=v1&prefix=raw%2F&pageSize=500': [
          200,
          LISTING
        ],
        'GET v1/datasets/iris/files?ref=draft&prefix=raw%2F&pageSize=500': [
          200,
          LISTING
        ]
      },
      upload
    );
    model.changed.connect(() => {
      if (model.uploads[0]) {
        percents.push(model.uploads[0].percent);
      }
    });
    await model.setRef('v1');
    await model.openFolder('raw/');
    await model.upload([
      new File(['abcd'], 'a.csv', { type: 'text/csv' }),
      new File(['x'], 'big.bin')
    ]);
    expect(calls).toEqual([
      '/lab/kamld/api/v1/datasets/iris/content/raw/a.csv',
      '/lab/kamld/api/v1/datasets/iris/content/raw/big.bin'
    ]);
    // Uploads land in the draft, so the browser switches to it.
    expect(model.ref).toBe('draft');
    expect(model.uploads).toEqual([
      { path: 'raw/a.csv', percent: 100, done: true, error: '' },
      { path: 'raw/big.bin', percent: 50, done: true, error: 'too large' }
    ]);
    expect(percents).toContain(50);
  });

  it('names the draft files an upload would replace, so the view asks first', async () => {
    const { model } = makeModel({
      'GET v1/datasets/iris/files/a.csv?ref=draft': [
        200,
        { path: 'a.csv', size: '4' }
      ]
    });
    await model.setRef('v1');
    const replaced = await model.replacedByUpload([
      new File(['abcd'], 'a.csv'),
      new File(['x'], 'new.bin')
    ]);
    expect(replaced).toEqual(['a.csv']);
  });

  it('takes a snapshot and reports it, or the failure', async () => {
    let answer: Route = [200, snapshot(3)];
    const { model, requests } = makeModel({
      'POST v1/datasets/iris/snapshots': () => answer
    });
    const taken = await model.snapshot('third');
    expect(taken?.version).toBe('v3');
    expect(requests[0].body).toEqual({ message: 'third' });
    expect(model.notice).toEqual({
      kind: 'info',
      message: 'Snapshot v3 taken.'
    });

    answer = [
      400,
      { code: 9, message: 'the draft has no changes', details: [] }
    ];
    expect(await model.snapshot('again')).toBeNull();
    expect(model.notice).toEqual({
      kind: 'error',
      message: 'Could not take a snapshot: the draft has no changes'
    });
  });

  it('restores a snapshot into the draft and shows what changed', async () => {
    const { model } = makeModel({
      'POST v1/datasets/iris/snapshots/v1:restore': [
        200,
        {
          changes: { added: '0', removed: '1', modified: '1', bytesDelta: '-9' }
        }
      ],
      'GET v1/datasets/iris/files?ref=v2&pageSize=500': [200, LISTING]
    });
    await model.setRef('v2');
    const stats = await model.restore('v1');
    expect(stats).toEqual({
      added: 0,
      removed: 1,
      modified: 1,
      bytesDelta: -9
    });
    expect(model.ref).toBe('draft');
    expect(model.notice?.message).toBe(
      'Restored v1 into the draft: 0 added, 1 modified, 1 removed.'
    );
  });

  it('compares two snapshots', async () => {
    const { model } = makeModel({
      'GET v1/datasets/iris:diff?fromRef=v1&toRef=v2&pageSize=500': [
        200,
        {
          changes: [
            {
              path: 'b.txt',
              type: 'CHANGE_TYPE_ADDED',
              from: null,
              to: { path: 'b.txt', size: '5' }
            }
          ],
          stats: { added: '1', removed: '0', modified: '0', bytesDelta: '5' }
        }
      ],
      'GET v1/datasets/iris:diff?fromRef=v2&toRef=v1&pageSize=500': [
        500,
        { code: 13, message: 'boom', details: [] }
      ]
    });
    await model.refresh();
    await model.compare();
    expect(model.diff?.rows).toEqual([
      { path: 'b.txt', type: 'added', fromSize: null, toSize: 5, delta: 5 }
    ]);
    model.setDiffRefs('v2', 'v1');
    await model.compare();
    expect(model.diff).toBeNull();
    expect(model.diffError).toBe('boom');
  });

  it('pages through a long diff, keeping the first page totals', async () => {
    const change = (path: string) => ({
      path,
      type: 'CHANGE_TYPE_REMOVED',
      from: { path, size: '2' },
      to: null
    });
    const { model } = makeModel({
      'GET v1/datasets/iris:diff?fromRef=v1&toRef=v2&pageSize=500': [
        200,
        {
          changes: [change('a')],
          nextPageToken: 'd2',
          stats: { added: '0', removed: '2', modified: '0', bytesDelta: '-4' }
        }
      ],
      'GET v1/datasets/iris:diff?fromRef=v1&toRef=v2&pageSize=500&pageToken=d2':
        [200, { changes: [change('b')], nextPageToken: '', stats: null }]
    });
    model.setDiffRefs('v1', 'v2');
    await model.compare();
    expect(model.diffHasMore).toBe(true);
    await model.loadMoreDiff();
    expect(model.diff?.rows.map(r => r.path)).toEqual(['a', 'b']);
    expect(model.diff?.stats.removed).toBe(2);
    expect(model.diffHasMore).toBe(false);
  });

  it('tags a snapshot, reporting a refused tag id', async () => {
    const { model, requests } = makeModel({
      'POST v1/datasets/iris/tags?tagId=golden': [
        200,
        {
          name: 'datasets/iris/tags/golden',
          snapshot: 'datasets/iris/snapshots/s1',
          author: '',
          createTime: ''
        }
      ],
      'POST v1/datasets/iris/tags?tagId=v9': [
        400,
        { code: 3, message: 'looks like a sequence', details: [] }
      ]
    });
    expect(await model.tag('v1', 'golden')).toBe(true);
    expect(requests[0].body).toEqual({ snapshot: 'v1' });
    expect(model.notice?.message).toBe('Tagged v1 as “golden”.');
    expect(await model.tag('v1', 'v9')).toBe(false);
    expect(model.notice?.kind).toBe('error');
    expect(model.notice?.message).toContain('looks like a sequence');
  });
});

describe('DatasetViewModel preview follows the ref', () => {
  const preview = (species: string) => [
    200,
    {
      columns: [{ name: 'species', type: 'VARCHAR' }],
      rows: [[species]],
      truncated: false,
      totalRows: '1'
    }
  ];

  it('reloads an open preview at the new ref, never keeping the old rows', async () => {
    const { model, requests } = makeModel({
      'GET v1/datasets/iris/preview/a.csv?limit=100&ref=draft': preview(
        'draft-row'
      ) as Route,
      'GET v1/datasets/iris/preview/a.csv?limit=100&ref=v2': preview(
        'v2-row'
      ) as Route,
      'GET v1/datasets/iris/files?ref=v2&pageSize=500': [200, LISTING],
      'GET v1/datasets/iris/tables?ref=v2': [
        200,
        { schema: 'iris@v2', tables: [] }
      ]
    });
    await model.refresh();
    await model.preview.open('a.csv', model.ref);
    expect(model.preview.preview?.rows).toEqual([['draft-row']]);

    // While v2 loads, no rows of the draft are shown under the name v2.
    const shownDuring: Array<[string, unknown]> = [];
    model.preview.changed.connect(() =>
      shownDuring.push([model.preview.ref, model.preview.preview?.rows[0][0]])
    );
    await model.setRef('v2');
    expect(model.preview.ref).toBe('v2');
    expect(model.schema.ref).toBe('v2');
    expect(model.preview.preview?.rows).toEqual([['v2-row']]);
    expect(shownDuring).toEqual([
      ['v2', undefined],
      ['v2', 'v2-row']
    ]);
    expect(requests.map(r => r.key)).toContain(
      'GET v1/datasets/iris/preview/a.csv?limit=100&ref=v2'
    );
  });

  it('leaves a closed preview closed when the ref changes', async () => {
    const { model, requests } = makeModel({
      'GET v1/datasets/iris/files?ref=v1&pageSize=500': [200, LISTING]
    });
    await model.setRef('v1');
    expect(model.preview.path).toBe('');
    expect(requests.some(r => r.key.includes('/preview/'))).toBe(false);
  });
});
