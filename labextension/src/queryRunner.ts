/**
 * One read-only SQL statement through QueryService.ExecuteQuery (REST:
 * newline-delimited JSON), for the SQL editor and for the dataset view's
 * profile and row-level compare. No JupyterLab imports.
 */
import { httpFailure, proxiedUrl, Transport } from './datasetApi';
import { IQueryResult, parseQueryStream, QueryError } from './queryStream';

export interface IQueryOptions {
  maxRows: number;
  queryId?: string;
  signal?: AbortSignal;
}

/** Runs `sql`; resolves with the whole result or throws a QueryError. */
export async function runQuery(
  baseUrl: string,
  transport: Transport,
  sql: string,
  options: IQueryOptions
): Promise<IQueryResult> {
  const response = await transport(proxiedUrl(baseUrl, 'v1/queries:execute'), {
    method: 'POST',
    body: JSON.stringify({
      sql,
      ...(options.queryId ? { queryId: options.queryId } : {}),
      maxRows: String(options.maxRows)
    }),
    headers: { 'Content-Type': 'application/json' },
    signal: options.signal
  });
  const text = await response.text();
  if (response.ok) {
    return parseQueryStream(text);
  }
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
  throw new QueryError(
    failure.message,
    failure.fieldViolations.find(v => v.field === 'sql')?.description
  );
}

/** `name` as a double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL name of a table of a dataset at a ref: `"iris@v1"."iris"`. */
export function tableAt(dataset: string, ref: string, table: string): string {
  return `${quoteIdent(`${dataset}@${ref || 'draft'}`)}.${quoteIdent(table)}`;
}
