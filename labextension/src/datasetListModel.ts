/**
 * The dataset list's state: pages loaded so far, loading and error. Only
 * Lumino signals, no JupyterLab imports, so jest drives it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DatasetResult, IDataset, IPage } from './datasetApi';
import { PagedList } from './datasetModel';

/** What the list model needs of the API client. */
export interface IDatasetLister {
  listDatasets(
    pageSize?: number,
    pageToken?: string
  ): Promise<DatasetResult<IPage<IDataset>>>;
}

/** Datasets per ListDatasets page. */
export const DATASET_PAGE_SIZE = 100;
/** Loaded datasets and the loading state; emits `changed` on every change. */
export class DatasetListModel {
  constructor(private readonly _client: IDatasetLister) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get datasets(): readonly IDataset[] {
    return this._list.items;
  }

  get hasMore(): boolean {
    return this._list.hasMore;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): string {
    return this._error;
  }

  /** Loads the next page unless one is loading or all are loaded. */
  async loadMore(): Promise<void> {
    if (this._loading || !this._list.hasMore) {
      return;
    }
    this._loading = true;
    this._changed.emit();
    const result = await this._client.listDatasets(
      DATASET_PAGE_SIZE,
      this._list.nextPageToken || undefined
    );
    this._loading = false;
    if (result.ok) {
      this._list.append(result.value);
      this._error = '';
    } else {
      this._error = result.failure.message;
    }
    this._changed.emit();
  }

  /** Starts over from the first page. */
  async reload(): Promise<void> {
    if (this._loading) {
      // A change arrived while a page loads: read the list again once it is in.
      this._reloadAgain = true;
      return;
    }
    this._list.reset();
    this._error = '';
    await this.loadMore();
    if (this._reloadAgain) {
      this._reloadAgain = false;
      await this.reload();
    }
  }

  /** A dataset that was created or changed elsewhere in the UI. */
  upsert(dataset: IDataset): void {
    this._list.upsert(dataset);
    this._changed.emit();
  }

  private readonly _list = new PagedList<IDataset>();
  private _loading = false;
  private _reloadAgain = false;
  private _error = '';
  private readonly _changed = new Signal<this, void>(this);
}
