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
  parseSnapshot,
  proxiedUrl,
  Transport
} from './datasetApi';
import { IQueryResult, IQueryStats, QueryError } from './queryStream';
import { runQuery } from './queryRunner';

export type { IQueryResult, IQueryStats };
export { QueryError };
export { parseQueryStream, durationMs } from './queryStream';

/** Rows a query returns at most in the editor. */
export const SQL_MAX_ROWS = 10_000;

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
      this.result = await runQuery(this._baseUrl, this._transport, this.sql, {
        maxRows: SQL_MAX_ROWS,
        queryId: id,
        signal: abort.signal
      });
      this.resultSql = this.sql;
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
