import { IDataset, IDatasetApiFailure, ISnapshot, ITag } from '../datasetApi';
import {
  baseName,
  breadcrumbs,
  datasetRef,
  filterDatasets,
  formatBytes,
  formatBytesDelta,
  formatRef,
  formatTime,
  formErrors,
  insertionIndex,
  loadSnippet,
  nearEnd,
  notebookRef,
  PagedList,
  parentPrefix,
  parseRef,
  parseLabelsInput,
  parseTagsInput,
  formatLabelsInput,
  percent,
  refGroups,
  refOptions,
  snapshotLabel,
  summarizeDiff,
  uploadPath,
  validateDatasetId,
  windowRange
} from '../datasetModel';
import { makeDataset } from './fixtures';

const dataset = (id: string, overrides: Partial<IDataset> = {}): IDataset =>
  makeDataset(id, { owner: 'root', etag: 'e', ...overrides });

function snapshot(sequence: number, message = ''): ISnapshot {
  return {
    name: `datasets/iris/snapshots/id${sequence}`,
    id: `id${sequence}`,
    sequence,
    version: `v${sequence}`,
    message,
    author: 'root',
    createTime: '',
    stats: { fileCount: 0, totalBytes: 0, rowCount: 0 },
    tags: []
  };
}

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [5 * 1024 * 1024 + 1, '5 MiB'],
    [3.25 * 1024 ** 3, '3.3 GiB'],
    [-2048, '-2 KiB']
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('signs deltas', () => {
    expect(formatBytesDelta(9)).toBe('+9 B');
    expect(formatBytesDelta(-1536)).toBe('-1.5 KiB');
    expect(formatBytesDelta(0)).toBe('±0 B');
  });
});

describe('ref picker with branches', () => {
  it("groups main's draft, branches (head and draft), versions and tags", () => {
    const branches = [
      {
        name: 'datasets/iris/branches/main',
        id: 'main',
        head: '',
        headVersion: 'v2',
        isDefault: true
      },
      {
        name: 'datasets/iris/branches/exp',
        id: 'exp',
        head: '',
        headVersion: 'v3',
        isDefault: false
      }
    ];
    const options = refOptions([], [], 'Draft', branches, b => `${b} draft`);
    expect(options).toEqual([
      { value: 'draft', label: 'Draft', group: 'draft' },
      { value: 'exp', label: 'exp → v3', group: 'branch' },
      { value: 'exp~draft', label: 'exp draft', group: 'branch' }
    ]);
    expect(
      refGroups(options).map(([group, members]) => [group, members.length])
    ).toEqual([
      ['draft', 1],
      ['branch', 2]
    ]);
  });
});

describe('refs', () => {
  it('parses every ref form', () => {
    expect(parseRef('')).toEqual({ kind: 'head' });
    expect(parseRef(' draft ')).toEqual({ kind: 'draft' });
    expect(parseRef('4f2a9c')).toEqual({ kind: 'id', id: '4f2a9c' });
    expect(parseRef('4f2a9')).toEqual({ kind: 'tag', tag: '4f2a9' });
    expect(parseRef('v12')).toEqual({ kind: 'version', sequence: 12 });
    expect(parseRef('v0')).toEqual({ kind: 'tag', tag: 'v0' });
    expect(parseRef('a'.repeat(64))).toEqual({
      kind: 'id',
      id: 'a'.repeat(64)
    });
    expect(parseRef('prod')).toEqual({ kind: 'tag', tag: 'prod' });
    expect(parseRef('exp~draft')).toEqual({ kind: 'draft', branch: 'exp' });
    expect(parseRef('Exp~draft')).toEqual({ kind: 'tag', tag: 'Exp~draft' });
  });

  it('formats back to the canonical string', () => {
    for (const ref of [
      '',
      'draft',
      'v3',
      'prod',
      'exp~draft',
      'b'.repeat(64)
    ]) {
      expect(formatRef(parseRef(ref))).toBe(ref);
    }
  });

  it('builds the kamld.load argument and the notebook snippet', () => {
    expect(datasetRef('iris', 'v3')).toBe('iris@v3');
    expect(datasetRef('iris', '')).toBe('iris');
    expect(datasetRef('iris', 'draft')).toBe('iris@draft');
    expect(datasetRef('iris', 'exp~draft')).toBe('iris@exp~draft');
    expect(loadSnippet('iris', 'v3')).toBe(
      'import kamld\ndf = kamld.load("iris@v3")'
    );
  });

  it('labels snapshots by version, unknown ones by a short id', () => {
    const snapshots = [snapshot(1), snapshot(2)];
    expect(snapshotLabel('datasets/iris/snapshots/id2', snapshots)).toBe('v2');
    expect(snapshotLabel('id1', snapshots)).toBe('v1');
    expect(
      snapshotLabel('datasets/iris/snapshots/0123456789abcdef', snapshots)
    ).toBe('0123456789ab');
    expect(snapshotLabel('', snapshots)).toBe('');
  });

  it('offers the draft, snapshots newest first, then tags with targets', () => {
    const tags: ITag[] = [
      {
        name: 'datasets/iris/tags/prod',
        id: 'prod',
        snapshot: 'datasets/iris/snapshots/id1',
        author: '',
        createTime: ''
      }
    ];
    expect(
      refOptions([snapshot(1, 'first'), snapshot(2)], tags, 'Draft')
    ).toEqual([
      { value: 'draft', label: 'Draft', group: 'draft' },
      { value: 'v2', label: 'v2', group: 'snapshot' },
      { value: 'v1', label: 'v1 — first', group: 'snapshot' },
      { value: 'prod', label: 'prod → v1', group: 'tag' }
    ]);
  });
});

describe('summarizeDiff', () => {
  it('orders added, modified, removed and computes deltas', () => {
    const file = (path: string, size: number) => ({
      path,
      size,
      digest: '',
      mediaType: '',
      modifyTime: ''
    });
    const summary = summarizeDiff({
      changes: [
        { path: 'z.csv', type: 'removed', from: file('z.csv', 4), to: null },
        {
          path: 'a.csv',
          type: 'modified',
          from: file('a.csv', 7),
          to: file('a.csv', 11)
        },
        { path: 'b.txt', type: 'added', from: null, to: file('b.txt', 5) }
      ],
      stats: { added: 1, removed: 1, modified: 1, bytesDelta: 5 },
      nextPageToken: ''
    });
    expect(summary.empty).toBe(false);
    expect(
      summary.rows.map(r => [r.type, r.path, r.fromSize, r.toSize, r.delta])
    ).toEqual([
      ['added', 'b.txt', null, 5, 5],
      ['modified', 'a.csv', 7, 11, 4],
      ['removed', 'z.csv', 4, null, -4]
    ]);
  });

  it('says when nothing changed', () => {
    expect(
      summarizeDiff({
        changes: [],
        stats: { added: 0, removed: 0, modified: 0, bytesDelta: 0 },
        nextPageToken: ''
      }).empty
    ).toBe(true);
  });
});

describe('windowRange', () => {
  it('renders only the rows in view plus overscan', () => {
    expect(windowRange(0, 400, 40, 1000, 5)).toEqual({
      start: 0,
      end: 16,
      offsetTop: 0,
      totalHeight: 40000
    });
    expect(windowRange(4000, 400, 40, 1000, 5)).toEqual({
      start: 95,
      end: 116,
      offsetTop: 3800,
      totalHeight: 40000
    });
  });

  it('clamps at the end and handles empty lists', () => {
    const last = windowRange(39_900, 400, 40, 1000, 5);
    expect(last.end).toBe(1000);
    expect(last.start).toBeLessThan(1000);
    expect(windowRange(0, 400, 40, 0)).toEqual({
      start: 0,
      end: 0,
      offsetTop: 0,
      totalHeight: 0
    });
  });

  it('detects the end of the list for infinite scroll', () => {
    expect(nearEnd(0, 400, 40000, 200)).toBe(false);
    expect(nearEnd(39_500, 400, 40000, 200)).toBe(true);
    expect(nearEnd(0, 400, 100, 0)).toBe(true);
  });
});

describe('filterDatasets', () => {
  const all = [
    dataset('iris', { description: 'Flowers', tags: ['tabular'] }),
    dataset('mnist', { tags: ['images'] }),
    dataset('cifar')
  ];
  it('matches id, description and tags case-insensitively', () => {
    expect(filterDatasets(all, 'IRI').map(d => d.id)).toEqual(['iris']);
    expect(filterDatasets(all, 'flow').map(d => d.id)).toEqual(['iris']);
    expect(filterDatasets(all, 'image').map(d => d.id)).toEqual(['mnist']);
    expect(filterDatasets(all, '  ').length).toBe(3);
    expect(filterDatasets(all, 'zzz')).toEqual([]);
  });
});

describe('PagedList', () => {
  it('appends pages, replaces duplicates and tracks more pages', () => {
    const list = new PagedList<IDataset>();
    expect(list.hasMore).toBe(true);
    list.append({ items: [dataset('a'), dataset('b')], nextPageToken: 't' });
    expect(list.hasMore).toBe(true);
    expect(list.nextPageToken).toBe('t');
    list.append({
      items: [dataset('b', { description: 'new' }), dataset('c')],
      nextPageToken: ''
    });
    expect(list.items.map(d => d.id)).toEqual(['a', 'b', 'c']);
    expect(list.items[1].description).toBe('new');
    expect(list.hasMore).toBe(false);
  });

  it('puts a new item first and updates a known one in place', () => {
    const list = new PagedList<IDataset>();
    list.append({ items: [dataset('a'), dataset('b')], nextPageToken: '' });
    list.upsert(dataset('z'));
    list.upsert(dataset('b', { description: 'x' }));
    expect(list.items.map(d => d.id)).toEqual(['z', 'a', 'b']);
    expect(list.items[2].description).toBe('x');
    list.reset();
    expect(list.items).toEqual([]);
    expect(list.hasMore).toBe(true);
  });
});

describe('forms', () => {
  it('splits tags on commas and spaces, dropping blanks and repeats', () => {
    expect(parseTagsInput(' a, b  c,,a ')).toEqual(['a', 'b', 'c']);
    expect(parseTagsInput('')).toEqual([]);
  });

  it('parses labels one key=value per line; values keep commas, spaces and =', () => {
    expect(
      parseLabelsInput(' team = vision \n\nurl=a=b, c\nteam=ml\n')
    ).toEqual({ ok: true, labels: { team: 'ml', url: 'a=b, c' } });
    expect(parseLabelsInput('')).toEqual({ ok: true, labels: {} });
    expect(parseLabelsInput('team=ml\njust a word')).toEqual({
      ok: false,
      line: 'just a word'
    });
    expect(parseLabelsInput('=value')).toEqual({ ok: false, line: '=value' });
  });

  it('renders labels for editing by key, and they parse back the same', () => {
    const labels = { zone: 'eu', team: 'ml', empty: '' };
    expect(formatLabelsInput(labels)).toBe('empty=\nteam=ml\nzone=eu');
    expect(parseLabelsInput(formatLabelsInput(labels))).toEqual({
      ok: true,
      labels
    });
    expect(formatLabelsInput({})).toBe('');
  });

  it('validates dataset ids like the sidecar', () => {
    expect(validateDatasetId('')).toBe('empty');
    expect(validateDatasetId('iris')).toBeNull();
    expect(validateDatasetId('iris-2')).toBeNull();
    expect(validateDatasetId('Iris')).toBe('invalid');
    expect(validateDatasetId('2iris')).toBe('invalid');
    expect(validateDatasetId('iris-')).toBe('invalid');
    expect(validateDatasetId('iris_x')).toBe('invalid');
    expect(validateDatasetId('a'.repeat(64))).toBe('invalid');
  });

  const failure = (
    violations: Array<[string, string]>,
    message = 'bad'
  ): IDatasetApiFailure => ({
    kind: 'http',
    httpStatus: 400,
    message,
    fieldViolations: violations.map(([field, description]) => ({
      field,
      description
    }))
  });

  it('puts violations at their form field', () => {
    expect(
      formErrors(
        failure([
          ['dataset_id', 'must start with a lowercase letter'],
          ['dataset.tags[2]', 'too long'],
          ['other', 'odd']
        ])
      )
    ).toEqual({
      id: 'must start with a lowercase letter',
      tags: 'too long',
      form: 'odd'
    });
  });

  it('falls back to the message for the whole form', () => {
    expect(formErrors(failure([], 'already exists'))).toEqual({
      form: 'already exists'
    });
  });
});

describe('paths', () => {
  it('builds breadcrumbs and parent prefixes', () => {
    expect(breadcrumbs('images/cats/', 'iris')).toEqual([
      { label: 'iris', prefix: '' },
      { label: 'images', prefix: 'images/' },
      { label: 'cats', prefix: 'images/cats/' }
    ]);
    expect(breadcrumbs('', 'iris')).toEqual([{ label: 'iris', prefix: '' }]);
    expect(parentPrefix('images/cats/')).toBe('images/');
    expect(parentPrefix('images/')).toBe('');
    expect(parentPrefix('')).toBe('');
  });

  it('names files and folders and places uploads', () => {
    expect(baseName('data/a.csv')).toBe('a.csv');
    expect(baseName('data/sub/')).toBe('sub');
    expect(baseName('a.csv')).toBe('a.csv');
    expect(uploadPath('data/', 'a.csv')).toBe('data/a.csv');
    expect(uploadPath('', 'C:\\tmp\\b.csv')).toBe('b.csv');
  });
});

describe('misc', () => {
  it('computes clamped percentages', () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(50, 200)).toBe(25);
    expect(percent(300, 200)).toBe(100);
  });

  it('formats timestamps in UTC and ignores bad ones', () => {
    expect(formatTime('2026-11-23T13:55:14.931324983Z')).toBe(
      '2026-11-23 13:55'
    );
    expect(formatTime('')).toBe('');
    expect(formatTime('not a time')).toBe('');
  });

  it('loads a fixed snapshot in notebooks rather than the moving draft', () => {
    expect(notebookRef('draft', 'v3')).toBe('v3');
    expect(notebookRef('draft', '')).toBe('draft');
    expect(notebookRef('', 'v3')).toBe('v3');
    expect(notebookRef('', '')).toBe('');
    expect(notebookRef('v1', 'v3')).toBe('v1');
    expect(notebookRef('prod', 'v3')).toBe('prod');
  });

  it('inserts below the active cell, or at the end', () => {
    expect(insertionIndex(0, 1)).toBe(1);
    expect(insertionIndex(2, 5)).toBe(3);
    expect(insertionIndex(-1, 5)).toBe(5);
    expect(insertionIndex(0, 0)).toBe(0);
  });
});
