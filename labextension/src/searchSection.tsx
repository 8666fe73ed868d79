/**
 * The "Search" section of the panel: a search box with syntax hints and tag /
 * owner / column completion, a facet sidebar (click a value to filter by it),
 * and results with highlighted matches. Clicking a result opens the dataset.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ConnectionModel } from './connectionModel';
import { ConnectionState } from './connectionState';
import { formatBytes } from './datasetModel';
import { fragmentParts, IFacetValue, ISearchResult } from './searchApi';
import { completionTarget } from './searchCompletion';
import { SearchModel } from './searchModel';

export interface ISearchSectionOptions {
  connection: ConnectionModel;
  model: SearchModel;
  trans: TranslationBundle;
  /** Completions of one field ("tag", "owner", "column", …) for a prefix. */
  suggest: (field: string, prefix: string) => Promise<IFacetValue[]>;
  /** Opens the dataset view of a dataset id. */
  open: (id: string) => void;
}

export class SearchSectionWidget extends ReactWidget {
  constructor(private readonly _options: ISearchSectionOptions) {
    super();
    this.addClass('kamld-SearchSection');
    this.title.label = _options.trans.__('Search');
    this.title.caption = _options.trans.__('Search datasets by their metadata');
    _options.connection.changed.connect(this._onConnection, this);
  }

  /** True when the sidecar is connected and serves search. */
  get available(): boolean {
    const { connection } = this._options;
    return (
      connection.viewModel.state === ConnectionState.Connected &&
      connection.capabilities.includes('search')
    );
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.connection.changed.disconnect(this._onConnection, this);
    this._options.model.dispose();
    super.dispose();
  }

  protected render(): React.ReactElement {
    const { connection, model, trans } = this._options;
    return (
      <UseSignal signal={connection.changed}>
        {() =>
          this.available ? (
            <UseSignal signal={model.changed}>
              {() => <SearchView {...this._options} />}
            </UseSignal>
          ) : (
            <div className="kamld-SearchSection-unavailable">
              {trans.__(
                'Search appears here once the sidecar is connected and serves search.'
              )}
            </div>
          )
        }
      </UseSignal>
    );
  }

  private _onConnection(): void {
    const available = this.available;
    if (available && !this._wasAvailable) {
      void this._options.model.search();
    }
    this._wasAvailable = available;
  }

  private _wasAvailable = false;
}

function SearchView(props: ISearchSectionOptions): React.ReactElement {
  const { model, trans, open, suggest } = props;
  const [completions, setCompletions] = React.useState<IFacetValue[]>([]);
  const listId = 'kamld-SearchSection-completions';

  const onInput = (text: string) => {
    model.setText(text);
    const target = completionTarget(text);
    if (!target) {
      setCompletions([]);
      return;
    }
    void suggest(target.field, target.prefix).then(values =>
      setCompletions(values)
    );
  };
  const target = completionTarget(model.text);
  const [showFilters, setShowFilters] = React.useState(false);
  const picked = model.facets.reduce(
    (n, facet) =>
      n + facet.values.filter(v => model.isPicked(facet.field, v.value)).length,
    0
  );

  return (
    <div className="kamld-Search">
      <input
        type="search"
        className="jp-mod-styled kamld-Search-input"
        aria-label={trans.__('Search datasets')}
        placeholder={trans.__(
          'Search: words, "phrase", tag:x, format:csv, column:age, size:>10MB, -tag:draft'
        )}
        title={trans.__(
          'Free text, "phrases", tag:, label:key=value, format:, owner:, column:, size:>10MB, rows:>1000, updated:>2026-01-01, created:2025-01..2025-06, -negation, a OR b, (groups)'
        )}
        value={model.text}
        list={listId}
        onChange={event => onInput(event.currentTarget.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            void model.search();
          }
        }}
      />
      <datalist id={listId}>
        {target &&
          completions.map(c => (
            <option
              key={c.value}
              value={model.text.slice(0, target.start) + c.value}
            >
              {trans.__('%1 (%2)', c.value, c.count)}
            </option>
          ))}
      </datalist>
      {model.error && (
        <div className="kamld-Search-error" role="alert">
          {model.error.message}
        </div>
      )}
      <div className="kamld-Search-body">
        {model.facets.length > 0 && (
          <button
            type="button"
            className="kamld-Search-filtersToggle"
            aria-expanded={showFilters}
            aria-controls="kamld-Search-facets"
            onClick={() => setShowFilters(!showFilters)}
          >
            {picked > 0
              ? trans.__('Filters (%1 on)', picked)
              : trans.__('Filters')}
          </button>
        )}
        <div
          className="kamld-Search-facets"
          id="kamld-Search-facets"
          role="group"
          aria-label={trans.__('Filters')}
          hidden={!showFilters}
        >
          {model.facets.map(facet => (
            <div
              key={facet.field}
              className="kamld-Search-facet"
              data-kamld-facet={facet.field}
            >
              <div className="kamld-Search-facetTitle">
                {facetTitle(facet.field, trans)}
              </div>
              {facet.values.map(v => (
                <button
                  key={v.value}
                  type="button"
                  className={
                    'kamld-Search-facetValue' +
                    (model.isPicked(facet.field, v.value)
                      ? ' jp-mod-active'
                      : '')
                  }
                  aria-pressed={model.isPicked(facet.field, v.value)}
                  onClick={() => void model.toggle(facet.field, v.value)}
                >
                  <span>{v.value}</span>
                  <span className="kamld-Search-count">{v.count}</span>
                </button>
              ))}
            </div>
          ))}
        </div>
        <div className="kamld-Search-results">
          <div className="kamld-Search-total">
            {model.loading
              ? trans.__('Searching…')
              : trans._n('%1 dataset', '%1 datasets', model.total)}
          </div>
          {model.results.map(r => (
            <Result key={r.dataset.name} result={r} onOpen={open} />
          ))}
          {model.hasMore && (
            <button
              type="button"
              className="jp-mod-styled kamld-Search-more"
              onClick={() => void model.loadMore()}
            >
              {trans.__('More results')}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

function facetTitle(field: string, trans: TranslationBundle): string {
  switch (field) {
    case 'tag':
      return trans.__('Tags');
    case 'format':
      return trans.__('Formats');
    case 'owner':
      return trans.__('Owners');
    default:
      return field;
  }
}

function Result(props: {
  result: ISearchResult;
  onOpen: (id: string) => void;
}): React.ReactElement {
  const { result, onOpen } = props;
  const d = result.dataset;
  const fragment =
    result.highlights.find(h => h.field === 'description')?.fragments[0] ??
    result.highlights[0]?.fragments[0];
  return (
    <button
      type="button"
      className="kamld-Search-result"
      data-kamld-dataset={d.id}
      onClick={() => onOpen(d.id)}
    >
      <span className="kamld-Search-name">{d.id}</span>
      <span className="kamld-Search-meta">
        {[formatBytes(d.stats.totalBytes), d.owner, d.tags.join(', ')]
          .filter(Boolean)
          .join(' · ')}
      </span>
      <span className="kamld-Search-snippet">
        {fragment
          ? fragmentParts(fragment).map((part, i) =>
              part.marked ? <mark key={i}>{part.text}</mark> : part.text
            )
          : d.description}
      </span>
    </button>
  );
}
