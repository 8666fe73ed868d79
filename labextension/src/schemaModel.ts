/**
 * The schema part of the dataset view: the tabular files at the ref shown,
 * their columns and per-column statistics (Table, Column and ColumnStats in
 * proto/kamld/v1/common.proto), read from QueryService.ListTables.
 *
 * ListTables answers for every ref, the draft included, with the same tables
 * GetSnapshot carries for a snapshot: one route keeps the view the same
 * whatever the ref. Only Lumino signals, no JupyterLab imports: jest drives
 * it against a fake transport.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ITranslate } from './connectionState';
import { DatasetClient } from './datasetApi';

export interface IColumnStats {
  nullCount: number;
  /** Smallest value as text; empty for types without an order. */
  min: string;
  max: string;
  distinctEstimate: number;
  samples: string[];
}

export interface IColumn {
  name: string;
  /** SQL type name, e.g. DOUBLE, VARCHAR, DECIMAL(10,2). */
  type: string;
  nullable: boolean;
  /** Absent when the sidecar did not compute statistics. */
  stats: IColumnStats | null;
}

export interface ITable {
  /** The table's SQL name. */
  name: string;
  /** The file, or the folder of part files. */
  path: string;
  /** csv, tsv, parquet or jsonl. */
  format: string;
  columns: IColumn[];
  rowCount: number;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** proto3 JSON renders int64 as a string. */
function int(value: unknown): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : 0;
  return Number.isFinite(n) ? n : 0;
}

export function parseColumnStats(value: unknown): IColumnStats | null {
  if (!isObject(value)) {
    return null;
  }
  return {
    nullCount: int(value.nullCount),
    min: str(value.min),
    max: str(value.max),
    distinctEstimate: int(value.distinctEstimate),
    samples: Array.isArray(value.samples)
      ? value.samples.filter((s): s is string => typeof s === 'string')
      : []
  };
}

export function parseColumn(value: unknown): IColumn | undefined {
  if (!isObject(value) || typeof value.name !== 'string') {
    return undefined;
  }
  return {
    name: value.name,
    type: str(value.type),
    nullable: value.nullable === true,
    stats: parseColumnStats(value.stats)
  };
}

export function parseTable(value: unknown): ITable | undefined {
  if (!isObject(value) || typeof value.path !== 'string' || !value.path) {
    return undefined;
  }
  const columns = Array.isArray(value.columns)
    ? value.columns
        .map(parseColumn)
        .filter((c): c is IColumn => c !== undefined)
    : [];
  return {
    name: str(value.name),
    path: value.path,
    format: str(value.format),
    columns,
    rowCount: int(value.rowCount)
  };
}

/**
 * Reads a `tables` array (of ListTablesResponse, Dataset or Snapshot); a body
 * without one has no tabular files, anything but an object is not an answer.
 */
export function parseTables(body: unknown): ITable[] | undefined {
  if (!isObject(body)) {
    return undefined;
  }
  if (!Array.isArray(body.tables)) {
    return [];
  }
  return body.tables
    .map(parseTable)
    .filter((t): t is ITable => t !== undefined);
}

/** The ListTables route of a dataset at a ref. */
export function tablesRoute(datasetId: string, ref: string): string {
  const query = ref ? `?ref=${encodeURIComponent(ref)}` : '';
  return `v1/datasets/${encodeURIComponent(datasetId)}/tables${query}`;
}

/** 1234567 → "1,234,567": counts are read at a glance, whatever the locale. */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "4.3 – 7.9", one value when both ends agree, empty without an order. */
export function formatRange(stats: IColumnStats | null): string {
  if (!stats || (!stats.min && !stats.max)) {
    return '';
  }
  return stats.min === stats.max ? stats.min : `${stats.min} – ${stats.max}`;
}

/** Nulls as a count, with their share of the rows when there are any. */
export function formatNulls(
  stats: IColumnStats | null,
  rowCount: number
): string {
  if (!stats) {
    return '';
  }
  if (stats.nullCount === 0 || rowCount <= 0) {
    return formatCount(stats.nullCount);
  }
  const share = (100 * stats.nullCount) / rowCount;
  const shown = share < 0.1 ? '<0.1' : share.toFixed(share < 10 ? 1 : 0);
  return `${formatCount(stats.nullCount)} (${shown}%)`;
}

/** The HyperLogLog estimate, marked as one. */
export function formatDistinct(stats: IColumnStats | null): string {
  return stats ? `≈${formatCount(stats.distinctEstimate)}` : '';
}

/** Sample values, quoted when blank-edged or empty so they stay visible. */
export function formatSamples(stats: IColumnStats | null): string {
  if (!stats) {
    return '';
  }
  return stats.samples
    .map(s => (s === '' || s.trim() !== s ? JSON.stringify(s) : s))
    .join(', ');
}

/** "150 rows · 5 columns · CSV". */
export function tableSummary(table: ITable, trans: ITranslate): string {
  const rows =
    table.rowCount === 1
      ? trans.__('1 row')
      : trans.__('%1 rows', formatCount(table.rowCount));
  const columns =
    table.columns.length === 1
      ? trans.__('1 column')
      : trans.__('%1 columns', table.columns.length);
  return [rows, columns, table.format.toUpperCase()]
    .filter(Boolean)
    .join(' · ');
}

/** Above this many tables they start collapsed, so the view stays short. */
export const EXPAND_UP_TO = 3;

export class SchemaModel {
  constructor(
    readonly datasetId: string,
    private readonly _client: DatasetClient,
    private readonly _trans: ITranslate
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The ref whose tables are shown (or being loaded). */
  ref = '';
  tables: ITable[] | null = null;
  loading = false;
  error = '';

  /** Whether the table at `path` shows its columns. */
  isExpanded(path: string): boolean {
    return this._expanded.has(path);
  }

  toggle(path: string): void {
    if (!this._expanded.delete(path)) {
      this._expanded.add(path);
    }
    this._changed.emit();
  }

  /** Loads the tables at `ref`; an answer for a ref no longer shown is dropped. */
  async load(ref: string): Promise<void> {
    const sameRef = ref === this.ref && this.tables !== null;
    this.ref = ref;
    this.loading = true;
    this._changed.emit();
    const result = await this._client.getJson(
      tablesRoute(this.datasetId, ref),
      parseTables
    );
    if (this.ref !== ref) {
      return;
    }
    this.loading = false;
    if (result.ok) {
      this.tables = result.value;
      this.error = '';
      this._resetExpanded(result.value, sameRef);
    } else {
      this.tables = null;
      this.error = this._trans.__(
        'Could not read the schema at %1: %2',
        ref,
        result.failure.message
      );
    }
    this._changed.emit();
  }

  /** A reload keeps what the user opened; another ref starts afresh. */
  private _resetExpanded(tables: ITable[], keep: boolean): void {
    const paths = new Set(tables.map(t => t.path));
    if (keep) {
      this._expanded = new Set([...this._expanded].filter(p => paths.has(p)));
      return;
    }
    this._expanded = tables.length <= EXPAND_UP_TO ? paths : new Set<string>();
  }

  private _expanded = new Set<string>();
  private readonly _changed = new Signal<this, void>(this);
}
