import { ITranslate } from '../connectionState';
import { DatasetClient, Transport } from '../datasetApi';
import {
  isTabular,
  parsePreview,
  PreviewModel,
  previewRoute
} from '../previewModel';

const trans: ITranslate = {
  __: (msgid: string, ...args: unknown[]) =>
    msgid.replace(/%(\d+)/g, (_, n: string) => String(args[Number(n) - 1]))
};

const PREVIEW = {
  columns: [
    { name: 'species', type: 'VARCHAR', nullable: true, stats: null },
    { name: 'n', type: 'BIGINT', nullable: true, stats: null }
  ],
  rows: [
    ['setosa', 1],
    ['versicolor', null]
  ],
  truncated: true,
  totalRows: '150'
};

/** A fake sidecar answering by "METHOD path?query", recording requests. */
function model(answers: Record<string, [number, unknown]>) {
  const seen: string[] = [];
  const transport: Transport = async (url, init) => {
    const key = `${init.method} ${url.replace('/lab/kamld/api/', '')}`;
    seen.push(key);
    const [status, body] = answers[key] ?? [
      404,
      { code: 5, message: `no route ${key}` }
    ];
    return new Response(JSON.stringify(body), { status });
  };
  const client = new DatasetClient({ baseUrl: '/lab/', transport });
  return { m: new PreviewModel('iris', client, trans), seen };
}

describe('previewRoute', () => {
  it('encodes each path segment and the ref', () => {
    expect(previewRoute('iris', 'raw dir/a b.csv', 'v1', 100)).toBe(
      'v1/datasets/iris/preview/raw%20dir/a%20b.csv?limit=100&ref=v1'
    );
    expect(previewRoute('iris', 'a.csv', '', 5)).toBe(
      'v1/datasets/iris/preview/a.csv?limit=5'
    );
  });
});

describe('parsePreview', () => {
  it('reads columns, rows and counts', () => {
    const p = parsePreview(PREVIEW);
    expect(p?.columns).toEqual([
      { name: 'species', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' }
    ]);
    expect(p?.rows).toHaveLength(2);
    expect(p?.truncated).toBe(true);
    expect(p?.totalRows).toBe(150);
  });
  it('refuses what is not a preview', () => {
    expect(parsePreview({ rows: [] })).toBeUndefined();
    expect(parsePreview(null)).toBeUndefined();
  });
});

describe('isTabular', () => {
  it('knows the formats the sidecar previews', () => {
    expect(isTabular('a/b.CSV')).toBe(true);
    expect(isTabular('x.parquet')).toBe(true);
    expect(isTabular('w.jsonl')).toBe(true);
    expect(isTabular('img.png')).toBe(false);
    expect(isTabular('notes.json')).toBe(false);
  });
});

describe('PreviewModel', () => {
  it('opens a file at a ref and summarizes it', async () => {
    const { m, seen } = model({
      'GET v1/datasets/iris/preview/iris.csv?limit=100&ref=v1': [200, PREVIEW]
    });
    let changes = 0;
    m.changed.connect(() => changes++);
    await m.open('iris.csv', 'v1');
    expect(seen).toEqual([
      'GET v1/datasets/iris/preview/iris.csv?limit=100&ref=v1'
    ]);
    expect(m.path).toBe('iris.csv');
    expect(m.loading).toBe(false);
    expect(m.error).toBe('');
    expect(m.preview?.rows[0]).toEqual(['setosa', 1]);
    expect(m.summary()).toBe('first 2 of 150 rows');
    expect(changes).toBe(2);
    m.close();
    expect(m.path).toBe('');
    expect(m.preview).toBeNull();
  });

  it('shows the sidecar error', async () => {
    const { m } = model({
      'GET v1/datasets/iris/preview/notes.csv?limit=100&ref=draft': [
        400,
        { code: 9, message: 'cannot read the file as csv' }
      ]
    });
    await m.open('notes.csv', 'draft');
    expect(m.preview).toBeNull();
    expect(m.error).toBe(
      'Could not preview notes.csv: cannot read the file as csv'
    );
  });

  it('keeps only the last file opened', async () => {
    const { m } = model({
      'GET v1/datasets/iris/preview/a.csv?limit=100': [200, PREVIEW],
      'GET v1/datasets/iris/preview/b.csv?limit=100': [
        200,
        { ...PREVIEW, truncated: false }
      ]
    });
    const first = m.open('a.csv', '');
    const second = m.open('b.csv', '');
    await Promise.all([first, second]);
    expect(m.path).toBe('b.csv');
    expect(m.summary()).toBe('2 rows');
  });
});
