/**
 * The sidebar's one list of datasets. With an empty query it is every
 * dataset (ListDatasets, page by page, narrowed by the access filter); typed
 * text or a picked facet value turns the same list into search results
 * (SearchService). It also keeps the row the keyboard is on. Only Lumino
 * signals, no JupyterLab imports, so jest drives it with fake clients.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DatasetAccessFilter, IDataset } from './datasetApi';
import { DatasetListModel } from './datasetListModel';
import { SearchModel } from './searchModel';

/** One row of the list: a dataset and, for a search result, its best highlighted fragment. */
export interface IDatasetRow {
  dataset: IDataset;
  /** A fragment with matches in `<mark>…</mark>` (see fragmentParts), or ''. */
  fragment: string;
}

/** Where a keyboard move goes: a step (±1, ±page) or the first / last row. */
export type RowMove = number | 'first' | 'last';

export class DatasetBrowserModel {
  constructor(
    readonly list: DatasetListModel,
    readonly search: SearchModel
  ) {
    list.changed.connect(this._onChange, this);
    search.changed.connect(this._onChange, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** True while the list shows search results (a query is typed or a facet picked). */
  get searching(): boolean {
    return this.search.query !== '';
  }

  get rows(): readonly IDatasetRow[] {
    if (this._rows === null) {
      // Results of an earlier query are not shown under a new one: none until its answer is in.
      const results =
        this.search.resultsQuery === this.search.query
          ? this.search.results
          : [];
      this._rows = this.searching
        ? results.map(r => ({
            dataset: r.dataset,
            fragment:
              r.highlights.find(h => h.field === 'description')?.fragments[0] ??
              r.highlights[0]?.fragments[0] ??
              ''
          }))
        : this.list.datasets.map(dataset => ({ dataset, fragment: '' }));
    }
    return this._rows;
  }

  get loading(): boolean {
    return this.searching
      ? this.search.loading || this.search.resultsQuery !== this.search.query
      : this.list.loading;
  }

  get hasMore(): boolean {
    return this.searching ? this.search.hasMore : this.list.hasMore;
  }

  /** What went wrong with the list shown ('' when nothing). */
  get error(): string {
    return this.searching
      ? (this.search.error?.message ?? '')
      : this.list.error;
  }

  get access(): DatasetAccessFilter {
    return this.list.access;
  }

  /** The access filter of the full list. */
  setAccess(access: DatasetAccessFilter): Promise<void> {
    return this.list.setAccess(access);
  }

  /** Sets the query; searching starts once typing pauses (or at once with `now`). */
  setText(text: string, now = false): void {
    this.search.setText(text);
    if (now) {
      void this.search.search();
    }
  }

  /** Loads the next page of whichever list is shown. */
  loadMore(): Promise<void> {
    return this.searching ? this.search.loadMore() : this.list.loadMore();
  }

  /** The id of the row the keyboard is on ('' for none). */
  get activeId(): string {
    return this.activeIndex >= 0 ? this.rows[this.activeIndex].dataset.id : '';
  }

  /** The index of the row the keyboard is on, -1 for none. */
  get activeIndex(): number {
    return this.rows.findIndex(r => r.dataset.id === this._active);
  }

  /** Puts the keyboard on the row of a dataset id. */
  setActive(id: string): void {
    if (id !== this._active) {
      this._active = id;
      this._changed.emit();
    }
  }

  /**
   * Moves the keyboard by `move` rows (clamped to the list) or to its first
   * or last row. From no row, a step down starts at the first, a step up at
   * the last. Returns the new index (-1 when the list is empty).
   */
  move(move: RowMove): number {
    const count = this.rows.length;
    if (count === 0) {
      return -1;
    }
    const from = this.activeIndex;
    let to: number;
    if (move === 'first') {
      to = 0;
    } else if (move === 'last') {
      to = count - 1;
    } else if (from < 0) {
      to = move > 0 ? Math.min(move - 1, count - 1) : count - 1;
    } else {
      to = Math.max(0, Math.min(count - 1, from + move));
    }
    this.setActive(this.rows[to].dataset.id);
    return to;
  }

  dispose(): void {
    this.list.changed.disconnect(this._onChange, this);
    this.search.changed.disconnect(this._onChange, this);
    this.search.dispose();
  }

  private _onChange(): void {
    this._rows = null;
    this._changed.emit();
  }

  private _rows: IDatasetRow[] | null = null;
  private _active = '';
  private readonly _changed = new Signal<this, void>(this);
}
