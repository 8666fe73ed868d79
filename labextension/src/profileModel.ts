/**
 * Histograms of numeric columns for the Schema & profile tab: 20 equal-width
 * buckets between the column's min and max at a ref, counted by the sidecar's
 * SQL engine (one small GROUP BY per column, asked for only when the column
 * is shown, remembered per ref). No JupyterLab imports.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { isNumericType } from './cellFormat';
import { Transport } from './datasetApi';
import { quoteIdent, runQuery, tableAt } from './queryRunner';

export const HISTOGRAM_BUCKETS = 20;

export interface IHistogram {
  lo: number;
  hi: number;
  counts: number[];
}

export type HistogramState = IHistogram | 'loading' | 'error';

export { isNumericType };

/** The statement counting `column`'s values per bucket. */
export function histogramSql(
  dataset: string,
  ref: string,
  table: string,
  column: string,
  buckets: number = HISTOGRAM_BUCKETS
): string {
  const t = tableAt(dataset, ref, table);
  const c = `CAST(${quoteIdent(column)} AS DOUBLE)`;
  const last = buckets - 1;
  return [
    `WITH r AS (SELECT min(${c}) AS lo, max(${c}) AS hi FROM ${t})`,
    `SELECT r.lo, r.hi, coalesce(least(CAST(floor((${c} - r.lo) / nullif((r.hi - r.lo) / ${buckets}, 0)) AS BIGINT), ${last}), 0) AS bucket, count(*) AS n`,
    `FROM ${t}, r WHERE ${quoteIdent(column)} IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 3`
  ].join('\n');
}

/** The query's rows (lo, hi, bucket, n) as a histogram. */
export function toHistogram(
  rows: unknown[][],
  buckets: number = HISTOGRAM_BUCKETS
): IHistogram {
  const counts = new Array<number>(buckets).fill(0);
  let lo = 0;
  let hi = 0;
  for (const [rowLo, rowHi, bucket, n] of rows) {
    lo = Number(rowLo);
    hi = Number(rowHi);
    const index = Math.min(Math.max(Number(bucket), 0), buckets - 1);
    counts[index] += Number(n);
  }
  return { lo, hi, counts };
}

export class ProfileModel {
  constructor(
    readonly datasetId: string,
    private readonly _baseUrl: string,
    private readonly _transport: Transport
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The histogram of a column at a ref, asking the sidecar the first time. */
  histogram(ref: string, table: string, column: string): HistogramState {
    const key = JSON.stringify([ref, table, column]);
    const known = this._cache.get(key);
    if (known) {
      return known;
    }
    this._cache.set(key, 'loading');
    void runQuery(
      this._baseUrl,
      this._transport,
      histogramSql(this.datasetId, ref, table, column),
      { maxRows: HISTOGRAM_BUCKETS + 1 }
    )
      .then(result => this._cache.set(key, toHistogram(result.rows)))
      .catch(() => this._cache.set(key, 'error'))
      .finally(() => this._changed.emit());
    return 'loading';
  }

  /** Forgets every histogram (the data at a ref such as the draft changed). */
  clear(): void {
    this._cache.clear();
    this._changed.emit();
  }

  private readonly _cache = new Map<string, HistogramState>();
  private readonly _changed = new Signal<this, void>(this);
}
