/**
 * The row-level comparison of one table at two refs of a dataset: rows only
 * in the first ref (removed), only in the second (added), and — when a key
 * column is chosen — rows whose key is on both sides with other values
 * (changed), shown side by side. Computed by the sidecar's SQL engine with
 * `EXCEPT ALL` (a multiset difference: duplicates count), so nothing but the
 * differing rows travels. No JupyterLab imports.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ITranslate } from './connectionState';
import { Transport } from './datasetApi';
import { IPreviewColumn } from './previewModel';
import { runQuery, tableAt } from './queryRunner';
import { QueryError } from './queryStream';

/** Differing rows fetched at most (both sides together). */
export const ROW_DIFF_LIMIT = 1000;

/** The name of the marker column the diff query adds ('-' removed, '+' added). */
const MARK = 'kamld_change';

export interface IChangedRow {
  key: string;
  from: unknown[];
  to: unknown[];
  /** Indexes of the columns whose values differ. */
  cells: number[];
}

export interface IRowDiff {
  columns: IPreviewColumn[];
  removed: unknown[][];
  added: unknown[][];
  changed: IChangedRow[];
  /** More differing rows exist than were fetched. */
  truncated: boolean;
}

/** The statement listing the rows of `table` that differ between two refs. */
export function rowDiffSql(
  dataset: string,
  from: string,
  to: string,
  table: string,
  limit: number = ROW_DIFF_LIMIT
): string {
  const a = tableAt(dataset, from, table);
  const b = tableAt(dataset, to, table);
  return [
    `SELECT '-' AS ${MARK}, * FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})`,
    'UNION ALL',
    `SELECT '+' AS ${MARK}, * FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})`,
    `LIMIT ${limit + 1}`
  ].join('\n');
}

/** A cell as a comparable key ("" and NULL differ). */
function keyOf(value: unknown): string {
  return value === null || value === undefined
    ? '\u0000NULL'
    : JSON.stringify(value);
}

/**
 * Splits the query's rows into removed and added ones, and pairs a removed
 * and an added row with the same key as one changed row (`keyIndex` < 0: no
 * key, every row stays on its side, as for a row hash).
 */
export function pairRows(
  columns: IPreviewColumn[],
  rows: unknown[][],
  keyIndex: number,
  limit: number = ROW_DIFF_LIMIT
): IRowDiff {
  const truncated = rows.length > limit;
  const removed: unknown[][] = [];
  const added: unknown[][] = [];
  for (const row of rows.slice(0, limit)) {
    (row[0] === '-' ? removed : added).push(row.slice(1));
  }
  const diff: IRowDiff = {
    columns: columns.slice(1),
    removed,
    added,
    changed: [],
    truncated
  };
  if (keyIndex < 0) {
    return diff;
  }
  const addedByKey = new Map<string, unknown[][]>();
  for (const row of added) {
    const key = keyOf(row[keyIndex]);
    addedByKey.set(key, [...(addedByKey.get(key) ?? []), row]);
  }
  diff.removed = [];
  for (const row of removed) {
    const key = keyOf(row[keyIndex]);
    const match = addedByKey.get(key)?.shift();
    if (!match) {
      diff.removed.push(row);
      continue;
    }
    const cells = row
      .map((value, i) => (keyOf(value) === keyOf(match[i]) ? -1 : i))
      .filter(i => i >= 0);
    diff.changed.push({
      key: String(row[keyIndex]),
      from: row,
      to: match,
      cells
    });
  }
  diff.added = [...addedByKey.values()].flat();
  return diff;
}

export class RowDiffModel {
  constructor(
    readonly datasetId: string,
    private readonly _baseUrl: string,
    private readonly _transport: Transport,
    private readonly _trans: ITranslate
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  table = '';
  /** The key column's name; '' compares whole rows. */
  key = '';
  running = false;
  error = '';
  result: IRowDiff | null = null;
  /** The refs the result is of. */
  from = '';
  to = '';

  setTable(table: string): void {
    this.table = table;
    this.key = '';
    this.result = null;
    this._changed.emit();
  }

  setKey(key: string): void {
    this.key = key;
    this._rekey();
  }

  async compare(from: string, to: string): Promise<void> {
    if (!this.table || this.running) {
      return;
    }
    this.running = true;
    this.error = '';
    this._changed.emit();
    try {
      const result = await runQuery(
        this._baseUrl,
        this._transport,
        rowDiffSql(this.datasetId, from, to, this.table),
        { maxRows: ROW_DIFF_LIMIT + 1 }
      );
      this._raw = result;
      this.from = from;
      this.to = to;
      this._rekey();
    } catch (error) {
      this.result = null;
      this.error =
        error instanceof QueryError
          ? this._trans.__(
              'Rows cannot be compared (do both refs have this table with the same columns?): %1',
              error.message
            )
          : String(error);
    } finally {
      this.running = false;
      this._changed.emit();
    }
  }

  private _rekey(): void {
    const raw = this._raw;
    if (raw) {
      const keyIndex = raw.columns.slice(1).findIndex(c => c.name === this.key);
      this.result = pairRows(raw.columns, raw.rows, keyIndex);
    }
    this._changed.emit();
  }

  private _raw: { columns: IPreviewColumn[]; rows: unknown[][] } | null = null;
  private readonly _changed = new Signal<this, void>(this);
}
