import { ITranslate } from '../connectionState';
import { DatasetClient, Transport } from '../datasetApi';
import {
  EXPAND_UP_TO,
  formatCount,
  formatDistinct,
  formatNulls,
  formatRange,
  formatSamples,
  IColumnStats,
  parseTables,
  SchemaModel,
  tableSummary,
  tablesRoute
} from '../schemaModel';

const trans: ITranslate = {
  __: (msgid: string, ...args: unknown[]) =>
    msgid.replace(/%(\d+)/g, (_, n: string) => String(args[Number(n) - 1]))
};

/** Iris as ListTables renders it in proto3 JSON (int64 as strings). */
const IRIS = {
  schema: 'iris@v1',
  tables: [
    {
      name: 'iris',
      path: 'iris.csv',
      format: 'csv',
      rowCount: '150',
      columns: [
        {
          name: 'sepal_length_cm',
          type: 'DOUBLE',
          nullable: false,
          stats: {
            nullCount: '0',
            min: '4.3',
            max: '7.9',
            distinctEstimate: '35',
            samples: ['5.1', '4.9']
          }
        },
        {
          name: 'species',
          type: 'VARCHAR',
          nullable: true,
          stats: {
            nullCount: '3',
            min: 'setosa',
            max: 'virginica',
            distinctEstimate: '3',
            samples: ['setosa', ' padded', '']
          }
        },
        { name: 'raw', type: 'BLOB' }
      ]
    }
  ]
};

const stats = (over: Partial<IColumnStats>): IColumnStats => ({
  nullCount: 0,
  min: '',
  max: '',
  distinctEstimate: 0,
  samples: [],
  ...over
});

describe('parseTables', () => {
  it('reads tables, columns, types and int64 statistics', () => {
    const tables = parseTables(IRIS);
    expect(tables).toHaveLength(1);
    const [iris] = tables!;
    expect(iris).toMatchObject({
      name: 'iris',
      path: 'iris.csv',
      format: 'csv',
      rowCount: 150
    });
    expect(iris.columns.map(c => [c.name, c.type, c.nullable])).toEqual([
      ['sepal_length_cm', 'DOUBLE', false],
      ['species', 'VARCHAR', true],
      ['raw', 'BLOB', false]
    ]);
    expect(iris.columns[0].stats).toEqual({
      nullCount: 0,
      min: '4.3',
      max: '7.9',
      distinctEstimate: 35,
      samples: ['5.1', '4.9']
    });
    // A column without statistics keeps none rather than zeros.
    expect(iris.columns[2].stats).toBeNull();
  });

  it('treats a missing tables field as no tabular files', () => {
    expect(parseTables({ schema: 'imgs@v1' })).toEqual([]);
    expect(parseTables({ tables: [] })).toEqual([]);
  });

  it('skips malformed entries and refuses what is not an object', () => {
    expect(
      parseTables({
        tables: [null, { name: 'x' }, { path: 'a.csv', columns: [7] }]
      })
    ).toEqual([
      { name: '', path: 'a.csv', format: '', columns: [], rowCount: 0 }
    ]);
    expect(parseTables(null)).toBeUndefined();
    expect(parseTables([IRIS])).toBeUndefined();
  });
});

describe('formatting', () => {
  it('groups thousands in counts', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(150)).toBe('150');
    expect(formatCount(1234567)).toBe('1,234,567');
  });

  it('shows a range, one value, or nothing without an order', () => {
    expect(formatRange(stats({ min: '4.3', max: '7.9' }))).toBe('4.3 – 7.9');
    expect(formatRange(stats({ min: 'a', max: 'a' }))).toBe('a');
    expect(formatRange(stats({}))).toBe('');
    expect(formatRange(null)).toBe('');
  });

  it('shows nulls with their share of the rows', () => {
    expect(formatNulls(stats({ nullCount: 0 }), 150)).toBe('0');
    expect(formatNulls(stats({ nullCount: 3 }), 150)).toBe('3 (2.0%)');
    expect(formatNulls(stats({ nullCount: 75 }), 150)).toBe('75 (50%)');
    expect(formatNulls(stats({ nullCount: 1 }), 10000)).toBe('1 (<0.1%)');
    expect(formatNulls(stats({ nullCount: 4 }), 0)).toBe('4');
    expect(formatNulls(null, 150)).toBe('');
  });

  it('marks the distinct count as an estimate', () => {
    expect(formatDistinct(stats({ distinctEstimate: 35 }))).toBe('≈35');
    expect(formatDistinct(stats({ distinctEstimate: 12000 }))).toBe('≈12,000');
    expect(formatDistinct(null)).toBe('');
  });

  it('quotes samples that would otherwise be invisible', () => {
    expect(formatSamples(stats({ samples: ['setosa', ' padded', ''] }))).toBe(
      'setosa, " padded", ""'
    );
    expect(formatSamples(null)).toBe('');
  });

  it('summarizes a table in one line', () => {
    const [iris] = parseTables(IRIS)!;
    expect(tableSummary(iris, trans)).toBe('150 rows · 3 columns · CSV');
    expect(
      tableSummary(
        { name: 't', path: 't', format: '', rowCount: 1, columns: [] },
        trans
      )
    ).toBe('1 row · 0 columns');
    expect(
      tableSummary(
        {
          ...iris,
          rowCount: 25000,
          format: 'parquet',
          columns: iris.columns.slice(0, 1)
        },
        trans
      )
    ).toBe('25,000 rows · 1 column · PARQUET');
  });
});

describe('tablesRoute', () => {
  it('names the dataset and the ref', () => {
    expect(tablesRoute('iris', 'v1')).toBe('v1/datasets/iris/tables?ref=v1');
    expect(tablesRoute('my data', 'draft')).toBe(
      'v1/datasets/my%20data/tables?ref=draft'
    );
    expect(tablesRoute('iris', '')).toBe('v1/datasets/iris/tables');
  });
});

/** A fake sidecar answering by "METHOD path?query"; a route may be deferred. */
function model(answers: Record<string, () => Promise<[number, unknown]>>) {
  const seen: string[] = [];
  const transport: Transport = async (url, init) => {
    const key = `${init.method} ${url.replace('/lab/kamld/api/', '')}`;
    seen.push(key);
    const answer = answers[key];
    const [status, body] = answer
      ? await answer()
      : [404, { code: 5, message: `no route ${key}` }];
    return new Response(JSON.stringify(body), { status });
  };
  const client = new DatasetClient({ baseUrl: '/lab/', transport });
  return { m: new SchemaModel('iris', client, trans), seen };
}

const ok = (body: unknown) => async (): Promise<[number, unknown]> => [
  200,
  body
];

/** `count` one-column tables named t0.csv, t1.csv, … */
function manyTables(count: number) {
  return {
    tables: Array.from({ length: count }, (_, i) => ({
      path: `t${i}.csv`,
      format: 'csv',
      rowCount: '1',
      columns: [{ name: 'a', type: 'BIGINT' }]
    }))
  };
}

describe('SchemaModel', () => {
  it('loads the tables at a ref and expands a few tables', async () => {
    const { m, seen } = model({
      'GET v1/datasets/iris/tables?ref=v1': ok(IRIS)
    });
    let changes = 0;
    m.changed.connect(() => changes++);
    const loading = m.load('v1');
    expect(m.loading).toBe(true);
    await loading;
    expect(seen).toEqual(['GET v1/datasets/iris/tables?ref=v1']);
    expect(m.loading).toBe(false);
    expect(m.error).toBe('');
    expect(m.ref).toBe('v1');
    expect(m.tables?.map(t => t.path)).toEqual(['iris.csv']);
    expect(m.isExpanded('iris.csv')).toBe(true);
    expect(changes).toBe(2);
  });

  it('starts many tables collapsed and toggles one', async () => {
    const { m } = model({
      'GET v1/datasets/iris/tables?ref=draft': ok(manyTables(EXPAND_UP_TO + 1))
    });
    await m.load('draft');
    expect(m.tables).toHaveLength(EXPAND_UP_TO + 1);
    expect(m.tables!.some(t => m.isExpanded(t.path))).toBe(false);
    m.toggle('t1.csv');
    expect(m.isExpanded('t1.csv')).toBe(true);
    m.toggle('t1.csv');
    expect(m.isExpanded('t1.csv')).toBe(false);
  });

  it('keeps what the user opened across a reload of the same ref', async () => {
    const { m } = model({
      'GET v1/datasets/iris/tables?ref=draft': ok(manyTables(5)),
      'GET v1/datasets/iris/tables?ref=v1': ok(manyTables(2))
    });
    await m.load('draft');
    m.toggle('t4.csv');
    await m.load('draft');
    expect(m.isExpanded('t4.csv')).toBe(true);
    // Another ref starts afresh: two tables, both open.
    await m.load('v1');
    expect(m.isExpanded('t0.csv') && m.isExpanded('t1.csv')).toBe(true);
    expect(m.isExpanded('t4.csv')).toBe(false);
  });

  it('shows no tables, not an error, for a dataset without tabular files', async () => {
    const { m } = model({
      'GET v1/datasets/iris/tables?ref=v1': ok({ schema: 'iris@v1' })
    });
    await m.load('v1');
    expect(m.tables).toEqual([]);
    expect(m.error).toBe('');
  });

  it('reports a failure with the ref and the sidecar message', async () => {
    const { m } = model({
      'GET v1/datasets/iris/tables?ref=v9': async () => [
        404,
        { code: 5, message: 'ref "v9" not found' }
      ]
    });
    await m.load('v9');
    expect(m.tables).toBeNull();
    expect(m.loading).toBe(false);
    expect(m.error).toContain('v9');
    expect(m.error).toContain('ref "v9" not found');
  });

  it('drops an answer that arrives after another ref was chosen', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>(resolve => {
      release = resolve;
    });
    const { m } = model({
      'GET v1/datasets/iris/tables?ref=v1': async () => {
        await slow;
        return [200, IRIS];
      },
      'GET v1/datasets/iris/tables?ref=draft': ok({ tables: [] })
    });
    const first = m.load('v1');
    await m.load('draft');
    release();
    await first;
    expect(m.ref).toBe('draft');
    expect(m.tables).toEqual([]);
  });
});
