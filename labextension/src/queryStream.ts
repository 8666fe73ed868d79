/**
 * The REST answer of QueryService.ExecuteQuery, newline-delimited JSON (the
 * schema, batches of rows, the stats), parsed. No JupyterLab imports.
 */
import { parseErrorBody } from './datasetApi';
import { IPreviewColumn } from './previewModel';

export interface IQueryStats {
  rows: number;
  elapsedMs: number;
  truncated: boolean;
  engine: string;
}

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
