/**
 * State and actions of the SQL editor: run one read-only statement over
 * datasets (QueryService.ExecuteQuery, whose REST answer is newline-delimited
 * JSON: the schema, batches of rows, the stats), cancel it, show the result.
 * Only Lumino signals, no JupyterLab imports: jest drives it against a fake
 * transport.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ITranslate } from './connectionState';
import {
  httpFailure,
  ISnapshot,
  parseErrorBody,
  parseSnapshot,
  proxiedUrl,
  Transport
} from './datasetApi';
import { IPreviewColumn } from './previewModel';

/** Rows a query returns at most in the editor. */
export const SQL_MAX_ROWS = 10_000;

export interface IQueryStats {
  rows: number;
  elapsedMs: number;
  truncated: boolean;
  engine: string;
}

/** Where "Save as snapshot…" stores a result. */
export interface ISaveTarget {
  /** Dataset id, created when it does not exist. */
  dataset: string;
  /** Path in the dataset, ending in .parquet. */
  path: string;
  message: string;
}

/** The outcome of a save: the new snapshot, or what was wrong. */
export type SaveOutcome =
  | { ok: true; snapshot: ISnapshot; rows: number }
  | { ok: false; message: string; field?: string };

export interface IQueryResult {
  columns: IPreviewColumn[];
  rows: unknown[][];
  stats: IQueryStats | null;
}

/** "0.042s" (a proto3 JSON Duration) → 42. */
export function durationMs(value: unknown): number {
  const text = typeof value === 'string' ? value : '';
  const seconds = Number(text.replace(/s$/, ''));
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0;
}

/**
 * Parses the gateway's stream: one `{"result": {...}}` or `{"error": {...}}`
 * object per line. Throws the error's message for an error line.
 */
export function parseQueryStream(text: string): IQueryResult {
  const result: IQueryResult = { columns: [], rows: [], stats: null };
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      continue;
    }
    const item = JSON.parse(line) as Record<string, unknown>;
    if (item.error !== undefined) {
      const status = parseErrorBody(item.error);
      throw new QueryError(
        status?.message ?? 'the query failed',
        status?.fieldViolations.find(v => v.field === 'sql')?.description
      );
    }
    const part = (item.result ?? {}) as Record<string, unknown>;
    if (part.schema) {
      const schema = part.schema as Record<string, unknown>;
      const columns = Array.isArray(schema.columns) ? schema.columns : [];
      result.columns = columns.map(c => {
        const col = (c ?? {}) as Record<string, unknown>;
        return { name: String(col.name ?? ''), type: String(col.type ?? '') };
      });
    } else if (part.batch) {
      const rows = (part.batch as Record<string, unknown>).rows;
      for (const row of Array.isArray(rows) ? rows : []) {
        result.rows.push(Array.isArray(row) ? (row as unknown[]) : []);
      }
    } else if (part.stats) {
      const stats = part.stats as Record<string, unknown>;
      result.stats = {
        rows: Number(stats.rows ?? 0) || 0,
        elapsedMs: durationMs(stats.elapsed),
        truncated: stats.truncated === true,
        engine: String(stats.engine ?? '')
      };
    }
  }
  return result;
}

/** A failed query: the message, and where in the statement when known. */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly where?: string
  ) {
    super(message);
  }
}

export class SqlEditorModel {
  constructor(
    private readonly _baseUrl: string,
    private readonly _transport: Transport,
    private readonly _trans: ITranslate,
    sql = ''
  ) {
    this.sql = sql;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  sql: string;
  /** The statement whose result is shown (the text may have changed since). */
  resultSql = '';
  running = false;
  saving = false;
  /** The last save's outcome, shown beside the toolbar. */
  saveNotice = '';
  queryId = '';
  result: IQueryResult | null = null;
  error = '';

  setSql(sql: string): void {
    this.sql = sql;
  }

  /** Runs the statement; the result or the error replaces the previous one. */
  async run(): Promise<void> {
    if (this.running || !this.sql.trim()) {
      return;
    }
    const id = `lab-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const abort = new AbortController();
    this._abort = abort;
    this.queryId = id;
    this.running = true;
    this.error = '';
    this.result = null;
    this._changed.emit();
    try {
      const response = await this._transport(
        proxiedUrl(this._baseUrl, 'v1/queries:execute'),
        {
          method: 'POST',
          body: JSON.stringify({
            sql: this.sql,
            queryId: id,
            maxRows: String(SQL_MAX_ROWS)
          }),
          headers: { 'Content-Type': 'application/json' },
          signal: abort.signal
        }
      );
      const text = await response.text();
      if (!response.ok) {
        // A stream that fails before its first message is a plain status, wrapped as {"error": …}.
        let payload: unknown;
        try {
          payload = JSON.parse(text) as unknown;
        } catch {
          payload = undefined;
        }
        const inner =
          typeof payload === 'object' && payload !== null && 'error' in payload
            ? (payload as { error: unknown }).error
            : payload;
        const failure = httpFailure(response, inner);
        const where = failure.fieldViolations.find(
          v => v.field === 'sql'
        )?.description;
        this.error = where ?? failure.message;
      } else {
        this.result = parseQueryStream(text);
        this.resultSql = this.sql;
      }
    } catch (error) {
      if (abort.signal.aborted) {
        this.error = this._trans.__('Cancelled.');
      } else if (error instanceof QueryError) {
        this.error = error.where ?? error.message;
      } else {
        this.error = error instanceof Error ? error.message : String(error);
      }
    } finally {
      if (this._abort === abort) {
        this._abort = null;
        this.running = false;
        this._changed.emit();
      }
    }
  }

  /**
   * Runs the shown result's statement again on the server and stores its
   * whole result as a Parquet file in a dataset (created if need be), then
   * snapshots it (QueryService.SaveQueryResult).
   */
  async save(target: ISaveTarget): Promise<SaveOutcome> {
    if (!this.resultSql || this.saving) {
      return { ok: false, message: this._trans.__('Run a query first.') };
    }
    this.saving = true;
    this._changed.emit();
    try {
      const response = await this._transport(
        proxiedUrl(this._baseUrl, 'v1/queries:save'),
        {
          method: 'POST',
          body: JSON.stringify({
            sql: this.resultSql,
            dataset: `datasets/${target.dataset}`,
            path: target.path,
            message: target.message,
            createDataset: true
          }),
          headers: { 'Content-Type': 'application/json' }
        }
      );
      let payload: unknown;
      try {
        payload = JSON.parse(await response.text()) as unknown;
      } catch {
        payload = undefined;
      }
      if (!response.ok) {
        const failure = httpFailure(response, payload);
        const v = failure.fieldViolations[0];
        return v
          ? { ok: false, message: v.description, field: v.field }
          : { ok: false, message: failure.message };
      }
      const body = (payload ?? {}) as Record<string, unknown>;
      const snapshot = parseSnapshot(body.snapshot);
      if (!snapshot) {
        return { ok: false, message: this._trans.__('Unexpected answer.') };
      }
      const rows = Number(body.rows ?? 0) || 0;
      this.saveNotice = this._trans.__(
        'Saved %1 rows to %2 %3 (%4).',
        rows,
        target.dataset,
        snapshot.version,
        target.path
      );
      return { ok: true, snapshot, rows };
    } catch (error) {
      return {
        ok: false,
        message: error instanceof Error ? error.message : String(error)
      };
    } finally {
      this.saving = false;
      this._changed.emit();
    }
  }

  /** Stops the running query in the sidecar (CancelQuery), then the request. */
  async cancel(): Promise<void> {
    const abort = this._abort;
    if (!abort) {
      return;
    }
    try {
      await this._transport(
        proxiedUrl(
          this._baseUrl,
          `v1/queries/${encodeURIComponent(this.queryId)}:cancel`
        ),
        {
          method: 'POST',
          body: '{}',
          headers: { 'Content-Type': 'application/json' }
        }
      );
    } catch {
      // The abort below ends the request anyway.
    }
    abort.abort();
  }

  /** "3 rows · 42 ms · duckdb" (and "truncated" when cut at the limit). */
  summary(): string {
    const stats = this.result?.stats;
    if (!stats) {
      return '';
    }
    const parts = [
      Number(stats.rows) === 1
        ? this._trans.__('1 row')
        : this._trans.__('%1 rows', stats.rows),
      this._trans.__('%1 ms', stats.elapsedMs),
      stats.engine
    ];
    if (stats.truncated) {
      parts.push(this._trans.__('truncated at %1 rows', stats.rows));
    }
    return parts.join(' · ');
  }

  private _abort: AbortController | null = null;
  private readonly _changed = new Signal<this, void>(this);
}
