/**
 * The preview of a tabular file in the dataset view: the first rows of a
 * CSV, TSV, Parquet or JSON-lines file at a ref, with its column types
 * (QueryService.PreviewFile). Only Lumino signals, no JupyterLab imports:
 * jest drives it against a fake transport.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ITranslate } from './connectionState';
import { DatasetClient, DatasetResult } from './datasetApi';

/** Rows a preview asks for (the sidecar allows up to 10,000). */
export const PREVIEW_ROWS = 100;

const TABULAR = /\.(csv|tsv|tab|parquet|pq|jsonl|ndjson)$/i;

/** Whether the sidecar can preview a file, by its extension. */
export function isTabular(path: string): boolean {
  return TABULAR.test(path);
}

export interface IPreviewColumn {
  name: string;
  type: string;
}

export interface IPreview {
  columns: IPreviewColumn[];
  rows: unknown[][];
  truncated: boolean;
  /** Total rows when the sidecar knows them cheaply, else 0. */
  totalRows: number;
}

/** Route of PreviewFile (relative to the proxy prefix). */
export function previewRoute(
  datasetId: string,
  path: string,
  ref: string,
  limit: number
): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const params = new URLSearchParams({ limit: String(limit) });
  if (ref) {
    params.set('ref', ref);
  }
  return `v1/datasets/${encodeURIComponent(datasetId)}/preview/${encoded}?${params.toString()}`;
}

/** Parses a PreviewFileResponse; undefined when it is not one. */
export function parsePreview(body: unknown): IPreview | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.columns) || !Array.isArray(b.rows)) {
    return undefined;
  }
  const columns = b.columns.map(c => {
    const col = (c ?? {}) as Record<string, unknown>;
    return { name: String(col.name ?? ''), type: String(col.type ?? '') };
  });
  const rows = b.rows.map(r => (Array.isArray(r) ? (r as unknown[]) : []));
  return {
    columns,
    rows,
    truncated: b.truncated === true,
    totalRows: Number(b.totalRows ?? 0) || 0
  };
}

export class PreviewModel {
  constructor(
    readonly datasetId: string,
    private readonly _client: DatasetClient,
    private readonly _trans: ITranslate
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The file shown, '' when closed. */
  path = '';
  ref = '';
  loading = false;
  preview: IPreview | null = null;
  error = '';

  /** Shows the first rows of `path` at `ref`. */
  async open(path: string, ref: string): Promise<void> {
    const request = ++this._request;
    this.path = path;
    this.ref = ref;
    this.loading = true;
    this.preview = null;
    this.error = '';
    this._changed.emit();
    const result: DatasetResult<IPreview> = await this._client.getJson(
      previewRoute(this.datasetId, path, ref, PREVIEW_ROWS),
      parsePreview
    );
    if (request !== this._request) {
      return; // another file was opened meanwhile
    }
    this.loading = false;
    if (result.ok) {
      this.preview = result.value;
    } else {
      this.error = this._trans.__(
        'Could not preview %1: %2',
        path,
        result.failure.message
      );
    }
    this._changed.emit();
  }

  close(): void {
    this._request++;
    this.path = '';
    this.preview = null;
    this.error = '';
    this.loading = false;
    this._changed.emit();
  }

  /** "first 100 of 344 rows", "3 rows". */
  summary(): string {
    const p = this.preview;
    if (!p) {
      return '';
    }
    if (!p.truncated) {
      return this._trans.__('%1 rows', p.rows.length);
    }
    return p.totalRows > 0
      ? this._trans.__('first %1 of %2 rows', p.rows.length, p.totalRows)
      : this._trans.__('first %1 rows', p.rows.length);
  }

  private _request = 0;
  private readonly _changed = new Signal<this, void>(this);
}
