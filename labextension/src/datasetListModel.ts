/**
 * The dataset list's state: pages loaded so far, loading and error. Only
 * Lumino signals, no JupyterLab imports, so jest drives it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  DatasetAccessFilter,
  DatasetResult,
  IDataset,
  IListDatasetsOptions,
  IPage,
  reloadSize
} from './datasetApi';
import { PagedList } from './datasetModel';

/** What the list model needs of the API client. */
export interface IDatasetLister {
  listDatasets(
    pageSize?: number,
    pageToken?: string,
    options?: IListDatasetsOptions
  ): Promise<DatasetResult<IPage<IDataset>>>;
}

/** Datasets per ListDatasets page. */
export const DATASET_PAGE_SIZE = 100;
/**
 * Datasets on the first page: a screenful and more, so that the first paint
 * waits for fewer datasets to be described (page tokens are offsets, so the
 * following pages may be larger).
 */
export const FIRST_PAGE_SIZE = 40;
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

  /** The access filter: every readable dataset, "mine" or "shared" with me. */
  get access(): DatasetAccessFilter {
    return this._access;
  }

  /** Whether a first page was asked for (by loadMore or reload). */
  get started(): boolean {
    return this._started;
  }

  /** Changes the access filter and lists from the first page again. */
  setAccess(access: DatasetAccessFilter): Promise<void> {
    this._access = access;
    this._list.reset();
    return this.reload();
  }

  /** Loads the next page unless one is loading or all are loaded. */
  async loadMore(): Promise<void> {
    if (this._loading || !this._list.hasMore) {
      return;
    }
    const token = this._list.nextPageToken;
    await this._fetch(
      token ? DATASET_PAGE_SIZE : FIRST_PAGE_SIZE,
      token,
      page => this._list.append(page)
    );
  }

  /**
   * Lists again from the start, as many datasets as are loaded now, and swaps
   * them in when the answer is in. A live change (anyone's write) reloads the
   * list: it must neither empty it meanwhile nor drop the pages the user has
   * scrolled through, or their place in the list is lost.
   */
  async reload(): Promise<void> {
    if (this._loading) {
      // A change arrived while a page loads: read the list again once it is in.
      this._reloadAgain = true;
      return;
    }
    await this._fetch(
      reloadSize(this._list.items.length, FIRST_PAGE_SIZE),
      '',
      page => this._list.replace(page)
    );
  }

  /** A dataset that was created or changed elsewhere in the UI. */
  upsert(dataset: IDataset): void {
    this._list.upsert(dataset);
    this._changed.emit();
  }

  /**
   * Asks for one page and takes it in with `apply`, unless the access filter
   * changed meanwhile; then reads the list again if a change asked for it.
   */
  private async _fetch(
    size: number,
    token: string,
    apply: (page: IPage<IDataset>) => void
  ): Promise<void> {
    this._loading = true;
    this._started = true;
    this._changed.emit();
    const access = this._access;
    const result = await this._client.listDatasets(
      size,
      token || undefined,
      access ? { access } : undefined
    );
    this._loading = false;
    if (access !== this._access) {
      this._reloadAgain = true; // the answer is of the old filter
    } else if (result.ok) {
      apply(result.value);
      this._error = '';
    } else {
      this._error = result.failure.message;
    }
    this._changed.emit();
    if (this._reloadAgain) {
      this._reloadAgain = false;
      await this.reload();
    }
  }

  private readonly _list = new PagedList<IDataset>();
  private _loading = false;
  private _started = false;
  private _access: DatasetAccessFilter = '';
  private _reloadAgain = false;
  private _error = '';
  private readonly _changed = new Signal<this, void>(this);
}
