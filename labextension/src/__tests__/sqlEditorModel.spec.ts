import { ITranslate } from '../connectionState';
import { Transport } from '../datasetApi';
import {
  durationMs,
  parseQueryStream,
  QueryError,
  SqlEditorModel
} from '../sqlEditorModel';

const trans: ITranslate = {
  __: (msgid: string, ...args: unknown[]) =>
    msgid.replace(/%(\d+)/g, (_, n: string) => String(args[Number(n) - 1]))
};

const STREAM = [
  {
    result: {
      schema: {
        query: 'queries/q1',
        columns: [
          { name: 'species', type: 'VARCHAR' },
          { name: 'n', type: 'BIGINT' }
        ]
      }
    }
  },
  { result: { batch: { rows: [['setosa', 50]] } } },
  { result: { batch: { rows: [['virginica', 50]] } } },
  {
    result: {
      stats: {
        rows: '2',
        bytes: '40',
        elapsed: '0.042s',
        truncated: false,
        engine: 'duckdb'
      }
    }
  }
]
  .map(line => JSON.stringify(line))
  .join('\n');

const BAD_SQL = {
  code: 3,
  message: 'invalid sql: line 1, column 9: only one statement is accepted',
  details: [
    {
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [
        {
          field: 'sql',
          description: 'line 1, column 9: only one statement is accepted'
        }
      ]
    }
  ]
};

describe('parseQueryStream', () => {
  it('collects the schema, the batches and the stats', () => {
    const r = parseQueryStream(STREAM);
    expect(r.columns).toEqual([
      { name: 'species', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' }
    ]);
    expect(r.rows).toEqual([
      ['setosa', 50],
      ['virginica', 50]
    ]);
    expect(r.stats).toEqual({
      rows: 2,
      elapsedMs: 42,
      truncated: false,
      engine: 'duckdb'
    });
  });
  it('throws an error line with its position', () => {
    const text = `${STREAM.split('\n')[0]}\n${JSON.stringify({ error: BAD_SQL })}`;
    let caught: unknown;
    try {
      parseQueryStream(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(QueryError);
    expect((caught as QueryError).where).toBe(
      'line 1, column 9: only one statement is accepted'
    );
  });
  it('reads durations', () => {
    expect(durationMs('1.5s')).toBe(1500);
    expect(durationMs(undefined)).toBe(0);
  });
});

function server(answer: () => Promise<Response>) {
  const seen: Array<{ url: string; body: unknown }> = [];
  const transport: Transport = async (url, init) => {
    seen.push({ url, body: init.body ? JSON.parse(String(init.body)) : null });
    if (url.endsWith(':cancel')) {
      return new Response('{}', { status: 200 });
    }
    return answer();
  };
  return { transport, seen };
}

describe('SqlEditorModel', () => {
  it('runs a statement and summarizes the result', async () => {
    const { transport, seen } = server(
      async () => new Response(STREAM, { status: 200 })
    );
    const m = new SqlEditorModel('/lab/', transport, trans, 'SELECT 1');
    await m.run();
    expect(seen[0].url).toBe('/lab/kamld/api/v1/queries:execute');
    expect(seen[0].body).toMatchObject({ sql: 'SELECT 1', maxRows: '10000' });
    expect((seen[0].body as { queryId: string }).queryId).toBe(m.queryId);
    expect(m.running).toBe(false);
    expect(m.error).toBe('');
    expect(m.result?.rows).toHaveLength(2);
    expect(m.summary()).toBe('2 rows · 42 ms · duckdb');
  });

  it('shows where a rejected statement is wrong', async () => {
    const { transport } = server(
      async () =>
        new Response(JSON.stringify({ error: BAD_SQL }), { status: 400 })
    );
    const m = new SqlEditorModel(
      '/lab/',
      transport,
      trans,
      'SELECT 1; SELECT 2'
    );
    await m.run();
    expect(m.result).toBeNull();
    expect(m.error).toBe('line 1, column 9: only one statement is accepted');
  });

  it('cancels in the sidecar and stops waiting', async () => {
    let release: (r: Response) => void = () => undefined;
    const { transport, seen } = server(
      () =>
        new Promise<Response>((resolve, reject) => {
          release = resolve;
          setTimeout(() => reject(new Error('aborted')), 10);
        })
    );
    const m = new SqlEditorModel('/lab/', transport, trans, 'SELECT slow');
    const running = m.run();
    expect(m.running).toBe(true);
    await m.cancel();
    await running;
    release(new Response('', { status: 499 }));
    expect(seen[1].url).toBe(`/lab/kamld/api/v1/queries/${m.queryId}:cancel`);
    expect(m.running).toBe(false);
    expect(m.error).toBe('Cancelled.');
  });
});

describe('SqlEditorModel.save', () => {
  const SAVED = {
    snapshot: {
      name: 'datasets/totals/snapshots/abc',
      id: 'abc',
      sequence: '1',
      version: 'v1',
      message: 'totals',
      stats: { fileCount: '1', totalBytes: '512' }
    },
    file: { path: 'by_species.parquet' },
    rows: '3'
  };

  it('posts the shown result’s statement to queries:save', async () => {
    let answer = new Response(STREAM, { status: 200 });
    const { transport, seen } = server(async () => answer);
    const m = new SqlEditorModel('/lab/', transport, trans, 'SELECT 1');
    await m.run();
    m.setSql('SELECT 2 -- edited after the run');
    answer = new Response(JSON.stringify(SAVED), { status: 200 });
    const out = await m.save({
      dataset: 'totals',
      path: 'by_species.parquet',
      message: 'totals'
    });
    expect(seen[1].url).toBe('/lab/kamld/api/v1/queries:save');
    expect(seen[1].body).toEqual({
      sql: 'SELECT 1',
      dataset: 'datasets/totals',
      path: 'by_species.parquet',
      message: 'totals',
      createDataset: true
    });
    expect(out).toMatchObject({ ok: true, rows: 3 });
    expect(out.ok && out.snapshot.version).toBe('v1');
    expect(m.saving).toBe(false);
  });

  it('reports the field a refused save names', async () => {
    let answer = new Response(STREAM, { status: 200 });
    const { transport } = server(async () => answer);
    const m = new SqlEditorModel('/lab/', transport, trans, 'SELECT 1');
    await m.run();
    answer = new Response(
      JSON.stringify({
        code: 3,
        message: 'invalid path',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [
              { field: 'path', description: '"x.csv" must end in .parquet' }
            ]
          }
        ]
      }),
      { status: 400 }
    );
    const out = await m.save({ dataset: 'd', path: 'x.csv', message: '' });
    expect(out).toEqual({
      ok: false,
      field: 'path',
      message: '"x.csv" must end in .parquet'
    });
  });

  it('needs a result to save', async () => {
    const { transport, seen } = server(
      async () => new Response('{}', { status: 200 })
    );
    const m = new SqlEditorModel('/lab/', transport, trans, 'SELECT 1');
    const out = await m.save({ dataset: 'd', path: 'x.parquet', message: '' });
    expect(out.ok).toBe(false);
    expect(seen).toHaveLength(0);
  });
});
