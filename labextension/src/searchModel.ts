/**
 * The search section's state: the query as typed, the facet values picked in
 * the sidebar (added to the query as `field:value` terms), the results loaded
 * so far, facet counts and errors. Only Lumino signals, no JupyterLab imports,
 * so jest drives it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DatasetResult, reloadSize } from './datasetApi';
import {
  facetTerm,
  IFacet,
  ISearchPage,
  ISearchRequest,
  ISearchResult,
  SEARCH_FACETS
} from './searchApi';

/** What the model needs of the API client. */
export interface ISearcher {
  search(request: ISearchRequest): Promise<DatasetResult<ISearchPage>>;
}

/** Results per page. */
export const SEARCH_PAGE_SIZE = 50;
/** Quiet time after a keystroke before searching, in ms. */
export const SEARCH_DEBOUNCE_MS = 250;

/** A rejected query: the server's message and, when it gave one, the 1-based position. */
export interface IQueryError {
  message: string;
  position?: number;
}

export class SearchModel {
  constructor(private readonly _client: ISearcher) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get text(): string {
    return this._text;
  }

  /** The query sent: the typed text and the picked facet values. */
  get query(): string {
    const terms = [...this._picked].map(key => {
      const [field, value] = splitKey(key);
      return facetTerm(field, value);
    });
    return [this._text.trim(), ...terms].filter(Boolean).join(' ');
  }

  get results(): readonly ISearchResult[] {
    return this._results;
  }

  /** The query the results (and facets) answer: `query` once the search for it is in. */
  get resultsQuery(): string {
    return this._resultsQuery;
  }

  get facets(): readonly IFacet[] {
    return this._facets;
  }

  get total(): number {
    return this._total;
  }

  get hasMore(): boolean {
    return this._next !== '';
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): IQueryError | null {
    return this._error;
  }

  isPicked(field: string, value: string): boolean {
    return this._picked.has(key(field, value));
  }

  /** Sets the typed text and searches once typing pauses. */
  setText(text: string): void {
    this._text = text;
    this._changed.emit();
    clearTimeout(this._timer);
    this._timer = setTimeout(() => void this.search(), SEARCH_DEBOUNCE_MS);
  }

  /** Adds or removes a facet value as a filter and searches at once. */
  toggle(field: string, value: string): Promise<void> {
    const k = key(field, value);
    if (!this._picked.delete(k)) {
      this._picked.add(k);
    }
    return this.search();
  }

  /** Runs the query from the first page; answers to older queries are dropped. */
  search(): Promise<void> {
    return this._fromStart(SEARCH_PAGE_SIZE);
  }

  /**
   * Runs the query again after a live change, as many results as are loaded
   * now: the pages the user scrolled through stay, and so does their place.
   */
  refresh(): Promise<void> {
    return this._fromStart(reloadSize(this._results.length, SEARCH_PAGE_SIZE));
  }

  /** Loads the next page of the current query. */
  async loadMore(): Promise<void> {
    if (this._loading || !this.hasMore) {
      return;
    }
    const seq = this._seq;
    this._loading = true;
    this._changed.emit();
    const result = await this._client.search(this._request(this._next));
    if (seq !== this._seq) {
      return;
    }
    this._apply(result, false);
  }

  dispose(): void {
    clearTimeout(this._timer);
    this._seq++;
  }

  private async _fromStart(pageSize: number): Promise<void> {
    clearTimeout(this._timer);
    const seq = ++this._seq;
    this._loading = true;
    this._changed.emit();
    const query = this.query;
    const result = await this._client.search(this._request('', pageSize));
    if (seq !== this._seq) {
      return;
    }
    this._results = [];
    this._resultsQuery = query;
    this._apply(result, true);
  }

  private _request(
    pageToken: string,
    pageSize = SEARCH_PAGE_SIZE
  ): ISearchRequest {
    return {
      query: this.query,
      facets: SEARCH_FACETS,
      pageSize,
      pageToken,
      highlight: true
    };
  }

  private _apply(result: DatasetResult<ISearchPage>, first: boolean): void {
    this._loading = false;
    if (result.ok) {
      this._results = [...this._results, ...result.value.results];
      if (first) {
        this._facets = result.value.facets;
      }
      this._total = result.value.totalSize;
      this._next = result.value.nextPageToken;
      this._error = null;
    } else {
      const violation = result.failure.fieldViolations.find(
        v => v.field === 'query'
      );
      const match = violation && /position (\d+)/.exec(violation.description);
      this._error = {
        message: violation ? violation.description : result.failure.message,
        position: match ? Number(match[1]) : undefined
      };
      this._next = '';
    }
    this._changed.emit();
  }

  private _text = '';
  private readonly _picked = new Set<string>();
  private _results: ISearchResult[] = [];
  private _resultsQuery = '';
  private _facets: IFacet[] = [];
  private _total = 0;
  private _next = '';
  private _loading = false;
  private _error: IQueryError | null = null;
  private _seq = 0;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private readonly _changed = new Signal<this, void>(this);
}

function key(field: string, value: string): string {
  return `${field}\u0000${value}`;
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf('\u0000');
  return [k.slice(0, i), k.slice(i + 1)];
}
