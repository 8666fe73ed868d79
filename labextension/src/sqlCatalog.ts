/**
 * What the SQL editor completes: the datasets as SQL schemas ("iris",
 * "iris@v3", "iris@draft"), their tables (QueryService.ListTables) and the
 * tables' columns. No CodeMirror or JupyterLab imports: jest drives it
 * against a fake transport, and the editor turns it into completions.
 */
import {
  parseDataset,
  parseSnapshot,
  parseErrorBody,
  proxiedUrl,
  Transport
} from './datasetApi';
import { IPreviewColumn } from './previewModel';

/** Datasets whose tables are fetched for completion, at most. */
export const CATALOG_MAX_DATASETS = 50;

export interface ISqlTable {
  name: string;
  columns: IPreviewColumn[];
}

/** One dataset at one ref, as SQL names it. */
export interface ISqlSchema {
  /** The schema name to quote in SQL, e.g. "iris@v3". */
  name: string;
  tables: ISqlTable[];
}

/** Parses a ListTablesResponse; undefined when it has no schema name. */
export function parseTables(body: unknown): ISqlSchema | undefined {
  const value = (body ?? {}) as Record<string, unknown>;
  if (typeof value.schema !== 'string' || !value.schema) {
    return undefined;
  }
  const tables = Array.isArray(value.tables) ? value.tables : [];
  return {
    name: value.schema,
    tables: tables.map(t => {
      const table = (t ?? {}) as Record<string, unknown>;
      const columns = Array.isArray(table.columns) ? table.columns : [];
      return {
        name: String(table.name ?? ''),
        columns: columns.map(c => {
          const col = (c ?? {}) as Record<string, unknown>;
          return { name: String(col.name ?? ''), type: String(col.type ?? '') };
        })
      };
    })
  };
}

/** A table reference: a quoted schema, and the table when one follows. */
export interface ITableRef {
  schema: string;
  table?: string;
}

/**
 * The references a statement makes: `"iris@v3"` (the shorthand for a
 * dataset's only table), `"iris@v3".t` and `"iris@v3"."t"`.
 */
export function tableRefs(sql: string): ITableRef[] {
  const unquote = (name: string): string => name.replace(/""/g, '"');
  const refs: ITableRef[] = [];
  const pattern =
    /"((?:[^"]|"")+)"(?:\s*\.\s*(?:"((?:[^"]|"")+)"|([A-Za-z_]\w*)))?/g;
  for (const match of sql.matchAll(pattern)) {
    const table = match[2] ?? match[3];
    refs.push(
      table === undefined
        ? { schema: unquote(match[1]) }
        : { schema: unquote(match[1]), table: unquote(table) }
    );
  }
  return refs;
}

export class SqlCatalog {
  constructor(
    private readonly _baseUrl: string,
    private readonly _transport: Transport
  ) {}

  /** Schemas loaded so far: every dataset at its latest snapshot. */
  get schemas(): readonly ISqlSchema[] {
    return this._schemas;
  }

  /** Dataset ids found, whether or not their tables could be listed. */
  get datasets(): readonly string[] {
    return this._datasets;
  }

  /**
   * Lists the datasets, then the tables and the latest snapshot's version
   * and tags of each (at most CATALOG_MAX_DATASETS); a dataset whose tables cannot be listed (no
   * snapshot yet) is left out of the schemas but kept in `datasets`.
   */
  async load(mentioned: readonly string[] = []): Promise<void> {
    const body = await this._get(
      'v1/datasets?pageSize=' + CATALOG_MAX_DATASETS
    );
    const list = (body ?? {}) as Record<string, unknown>;
    const datasets = (Array.isArray(list.datasets) ? list.datasets : [])
      .map(parseDataset)
      .filter(d => d !== undefined);
    // The datasets the statement names complete too, however far down the list they are.
    const listed = new Set(datasets.map(d => d.id));
    for (const id of mentioned) {
      if (!listed.has(id)) {
        const one = parseDataset(
          await this._get(`v1/datasets/${encodeURIComponent(id)}`).catch(
            () => undefined
          )
        );
        if (one) {
          datasets.push(one);
          listed.add(id);
        }
      }
    }
    this._datasets = datasets.map(d => d.id);
    // Only a snapshot has tables: a dataset without one would answer 404, one request per dataset.
    const heads = datasets.filter(d => d.headSnapshot).map(d => d.id);
    const schemas = await Promise.all(
      heads.map(async id => {
        try {
          return parseTables(
            await this._get(`v1/datasets/${encodeURIComponent(id)}/tables`)
          );
        } catch {
          return undefined;
        }
      })
    );
    this._schemas = schemas.filter(s => s !== undefined);
    const aliases = await Promise.all(heads.map(id => this._latestRefs(id)));
    this._aliases = new Map(heads.map((id, i) => [id, aliases[i]]));
  }

  /**
   * The nested namespace that @codemirror/lang-sql completes from:
   * schema → table → column names. The tables are listed at the latest
   * snapshot ("iris"), so its versioned name ("iris@v3") has them too; the
   * draft's name completes, its tables are not listed.
   */
  namespace(): Record<string, Record<string, string[]>> {
    const namespace: Record<string, Record<string, string[]>> = {};
    for (const schema of this._schemas) {
      const tables = Object.fromEntries(
        schema.tables.map(t => [t.name, t.columns.map(c => c.name)])
      );
      namespace[schema.name] = tables;
      // The latest snapshot under its other names: "iris" is "iris@v3".
      for (const name of this._names(schema.name).slice(1)) {
        namespace[name] = tables;
      }
    }
    for (const id of this._datasets) {
      namespace[id] ??= {};
      namespace[`${id}@draft`] ??= {};
    }
    return namespace;
  }

  /**
   * Columns of the tables a statement mentions, for completing bare column
   * names: a table named with its schema contributes its columns, a schema
   * named alone (the only-table shorthand) all its tables' columns.
   */
  columnsIn(sql: string): IPreviewColumn[] {
    const refs = tableRefs(sql);
    const seen = new Map<string, IPreviewColumn>();
    for (const schema of this._schemas) {
      for (const table of schema.tables) {
        const names = this._names(schema.name);
        const used = refs.some(
          r =>
            names.includes(r.schema) &&
            (r.table === undefined || r.table === table.name)
        );
        for (const column of used ? table.columns : []) {
          if (!seen.has(column.name)) {
            seen.set(column.name, column);
          }
        }
      }
    }
    return [...seen.values()];
  }

  /** A latest-snapshot schema's names: "iris", "iris@v3", "iris@prod". */
  private _names(schema: string): string[] {
    const refs = this._aliases.get(schema) ?? [];
    return [schema, ...refs.map(ref => `${schema}@${ref}`)];
  }

  /** The latest snapshot's version and tags (ListSnapshots, newest first). */
  private async _latestRefs(id: string): Promise<string[]> {
    try {
      const body = (await this._get(
        `v1/datasets/${encodeURIComponent(id)}/snapshots?pageSize=1`
      )) as Record<string, unknown>;
      const list = Array.isArray(body.snapshots) ? body.snapshots : [];
      const latest = parseSnapshot(list[0]);
      return latest ? [latest.version, ...latest.tags] : [];
    } catch {
      return [];
    }
  }

  private async _get(route: string): Promise<unknown> {
    const response = await this._transport(proxiedUrl(this._baseUrl, route), {
      method: 'GET'
    });
    const text = await response.text();
    const body = text ? (JSON.parse(text) as unknown) : {};
    if (!response.ok) {
      throw new Error(parseErrorBody(body)?.message ?? response.statusText);
    }
    return body;
  }

  private _datasets: string[] = [];
  private _aliases = new Map<string, string[]>();
  private _schemas: ISqlSchema[] = [];
}
