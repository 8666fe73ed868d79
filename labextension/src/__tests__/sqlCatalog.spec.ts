import {
  Completion,
  CompletionContext,
  CompletionResult,
  CompletionSource
} from '@codemirror/autocomplete';
import { ensureSyntaxTree } from '@codemirror/language';
import { EditorState } from '@codemirror/state';

import { Transport } from '../datasetApi';
import { parseTables, SqlCatalog, tableRefs } from '../sqlCatalog';
import { sqlLanguage } from '../sqlCodeEditor';

// ListTables at the latest snapshot names the schema by the dataset alone.
const IRIS_TABLES = {
  schema: 'iris',
  tables: [
    {
      name: 'iris',
      path: 'iris.csv',
      format: 'csv',
      columns: [
        { name: 'sepal_length_cm', type: 'DOUBLE', nullable: false },
        { name: 'species', type: 'VARCHAR', nullable: false }
      ],
      rowCount: '150'
    }
  ]
};

const WINE_TABLES = {
  schema: 'wine',
  tables: [
    {
      name: 'red',
      columns: [{ name: 'alcohol', type: 'DOUBLE' }]
    },
    {
      name: 'white',
      columns: [{ name: 'quality', type: 'BIGINT' }]
    }
  ]
};

/** Answers the routes the catalog asks for, like the sidecar would. */
function fakeSidecar(calls: string[]): Transport {
  const json = (status: number, body: unknown): Response =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' }
    });
  return async (url: string) => {
    calls.push(url);
    const route = url.replace(/^.*\/kamld\/api\//, '');
    if (route.startsWith('v1/datasets?')) {
      return json(200, {
        datasets: [
          {
            name: 'datasets/iris',
            headSnapshot: 'datasets/iris/snapshots/3f2a'
          },
          {
            name: 'datasets/wine',
            headSnapshot: 'datasets/wine/snapshots/9c1b'
          },
          { name: 'datasets/empty' }
        ]
      });
    }
    if (route === 'v1/datasets/iris/snapshots?pageSize=1') {
      return json(200, {
        snapshots: [{ version: 'v1', tags: ['prod'] }],
        nextPageToken: 'x'
      });
    }
    if (route === 'v1/datasets/wine/snapshots?pageSize=1') {
      return json(200, { snapshots: [{ version: 'v2', tags: [] }] });
    }
    if (route === 'v1/datasets/iris/tables') {
      return json(200, IRIS_TABLES);
    }
    if (route === 'v1/datasets/wine/tables') {
      return json(200, WINE_TABLES);
    }
    return json(404, {
      code: 5,
      message: 'dataset "empty" has no snapshot',
      details: []
    });
  };
}

async function loadedCatalog(calls: string[] = []): Promise<SqlCatalog> {
  const catalog = new SqlCatalog('/lab/', fakeSidecar(calls));
  await catalog.load();
  return catalog;
}

/** Every completion CodeMirror would offer at the `|` in `text`. */
async function complete(catalog: SqlCatalog, text: string): Promise<string[]> {
  const pos = text.indexOf('|');
  const doc = text.replace('|', '');
  const state = EditorState.create({ doc, extensions: sqlLanguage(catalog) });
  ensureSyntaxTree(state, doc.length, 5000);
  const sources = state.languageDataAt<CompletionSource>('autocomplete', pos);
  const labels: string[] = [];
  for (const source of sources) {
    const result = (await source(
      new CompletionContext(state, pos, true)
    )) as CompletionResult | null;
    for (const option of result?.options ?? []) {
      labels.push(applied(option));
    }
  }
  return labels;
}

function applied(option: Completion): string {
  return typeof option.apply === 'string' ? option.apply : option.label;
}

describe('parseTables', () => {
  it('reads the schema name, tables and typed columns', () => {
    expect(parseTables(IRIS_TABLES)).toEqual({
      name: 'iris',
      tables: [
        {
          name: 'iris',
          columns: [
            { name: 'sepal_length_cm', type: 'DOUBLE' },
            { name: 'species', type: 'VARCHAR' }
          ]
        }
      ]
    });
  });

  it('refuses an answer without a schema name', () => {
    expect(parseTables({ tables: [] })).toBeUndefined();
    expect(parseTables(null)).toBeUndefined();
  });
});

describe('tableRefs', () => {
  it('finds schemas and their tables, quoted or not, unescaping quotes', () => {
    expect(
      tableRefs(
        'SELECT * FROM "iris@v1"."iris" JOIN "a""b" ON true, "w@v2" . red'
      )
    ).toEqual([
      { schema: 'iris@v1', table: 'iris' },
      { schema: 'a"b' },
      { schema: 'w@v2', table: 'red' }
    ]);
  });
});

describe('SqlCatalog', () => {
  it('lists the datasets, then the tables of each snapshotted one through the proxy', async () => {
    const calls: string[] = [];
    const catalog = await loadedCatalog(calls);
    expect(calls[0]).toBe('/lab/kamld/api/v1/datasets?pageSize=50');
    // `empty` has no snapshot, so no tables to ask for.
    expect(calls.slice(1).sort()).toEqual([
      '/lab/kamld/api/v1/datasets/iris/snapshots?pageSize=1',
      '/lab/kamld/api/v1/datasets/iris/tables',
      '/lab/kamld/api/v1/datasets/wine/snapshots?pageSize=1',
      '/lab/kamld/api/v1/datasets/wine/tables'
    ]);
    expect(catalog.datasets).toEqual(['iris', 'wine', 'empty']);
    expect(catalog.schemas.map(s => s.name)).toEqual(['iris', 'wine']);
  });

  it('gives lang-sql a namespace with latest, versioned and draft schemas', async () => {
    const catalog = await loadedCatalog();
    expect(catalog.namespace()).toEqual({
      iris: { iris: ['sepal_length_cm', 'species'] },
      'iris@v1': { iris: ['sepal_length_cm', 'species'] },
      'iris@prod': { iris: ['sepal_length_cm', 'species'] },
      wine: { red: ['alcohol'], white: ['quality'] },
      'wine@v2': { red: ['alcohol'], white: ['quality'] },
      'iris@draft': {},
      'wine@draft': {},
      empty: {},
      'empty@draft': {}
    });
  });

  it('offers the columns of the schemas and tables a statement mentions', async () => {
    const catalog = await loadedCatalog();
    expect(catalog.columnsIn('SELECT  FROM "iris@v1"')).toEqual([
      { name: 'sepal_length_cm', type: 'DOUBLE' },
      { name: 'species', type: 'VARCHAR' }
    ]);
    expect(
      catalog.columnsIn('SELECT  FROM "wine@v2"."white"').map(c => c.name)
    ).toEqual(['quality']);
    expect(
      catalog.columnsIn('SELECT  FROM "wine@v2"').map(c => c.name)
    ).toEqual(['alcohol', 'quality']);
    expect(
      catalog.columnsIn('SELECT  FROM "iris".iris').map(c => c.name)
    ).toEqual(['sepal_length_cm', 'species']);
    expect(catalog.columnsIn('SELECT  FROM "iris@v7"')).toEqual([]);
    expect(catalog.columnsIn('SELECT 1')).toEqual([]);
  });

  it('fails loading when the dataset list fails', async () => {
    const failing: Transport = async () =>
      new Response(JSON.stringify({ code: 14, message: 'sidecar down' }), {
        status: 503
      });
    await expect(new SqlCatalog('/lab/', failing).load()).rejects.toThrow(
      'sidecar down'
    );
  });
});

describe('SQL completion in the editor', () => {
  it('completes dataset schemas, quoted since they hold "@"', async () => {
    const labels = await complete(await loadedCatalog(), 'SELECT * FROM |');
    expect(labels).toEqual(
      expect.arrayContaining(['"iris@v1"', '"wine@v2"', '"iris@draft"', 'iris'])
    );
  });

  it('completes the tables of a schema after its dot', async () => {
    const labels = await complete(
      await loadedCatalog(),
      'SELECT * FROM "wine@v2".|'
    );
    expect(labels.sort()).toEqual(['red', 'white']);
  });

  it('completes the columns of a qualified table', async () => {
    const labels = await complete(
      await loadedCatalog(),
      'SELECT "iris@v1".iris.| FROM "iris@v1".iris'
    );
    expect(labels).toEqual(['sepal_length_cm', 'species']);
  });

  it('completes bare column names of the tables in FROM, and keywords', async () => {
    const labels = await complete(
      await loadedCatalog(),
      'SELECT sp| FROM "iris@v1".iris'
    );
    expect(labels).toEqual(expect.arrayContaining(['species', 'SELECT']));
    expect(labels).not.toContain('alcohol');
  });

  it('offers keywords only before the catalog loads', async () => {
    const empty = new SqlCatalog('/lab/', fakeSidecar([]));
    const labels = await complete(empty, 'SELECT * FROM "iris@v1".|');
    expect(labels).toEqual([]);
  });
});

describe('datasets the statement names', () => {
  it('are loaded even when the first page does not list them', async () => {
    const inner = fakeSidecar([]);
    const calls: string[] = [];
    const transport: Transport = async (url, init) => {
      calls.push(url);
      if (url.endsWith('/v1/datasets/penguins')) {
        return new Response(
          JSON.stringify({ name: 'datasets/penguins', headSnapshot: '' }),
          { status: 200 }
        );
      }
      return inner(url, init);
    };
    const catalog = new SqlCatalog('/lab/', transport);
    await catalog.load(['penguins', 'iris', 'missing']);
    expect(catalog.datasets).toEqual(['iris', 'wine', 'empty', 'penguins']);
    expect(calls.filter(c => c.endsWith('/v1/datasets/iris'))).toHaveLength(0);
  });
});
