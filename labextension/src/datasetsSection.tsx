/**
 * The "Datasets" section of the panel: one search-first list. The search box
 * on top (syntax hints, tag / owner / column completion); below it the
 * access filter and the facet filters, collapsed; then the list — every
 * dataset while the box is empty, the search results once a query is typed
 * or a facet value picked. Also the "New dataset" dialog.
 *
 * The list starts loading as soon as the panel is shown, beside the
 * connection check rather than after it: the check only decides what to say
 * when the list cannot load.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { ConnectionModel } from './connectionModel';
import { ConnectionState } from './connectionState';
import {
  DatasetAccessFilter,
  DatasetClient,
  IDataset,
  IDatasetApiFailure
} from './datasetApi';
import { DatasetBrowserModel } from './datasetBrowserModel';
import {
  DatasetFormField,
  formErrors,
  parseTagsInput,
  validateDatasetId
} from './datasetModel';
import { DatasetRows } from './datasetRows';
import { FacetFilters } from './facetFilters';
import { IFacetValue } from './searchApi';
import { completionTarget } from './searchCompletion';

export interface IDatasetsSectionOptions {
  connection: ConnectionModel;
  client: DatasetClient;
  model: DatasetBrowserModel;
  trans: TranslationBundle;
  /** Completions of one field ("tag", "owner", "column", …) for a prefix. */
  suggest: (field: string, prefix: string) => Promise<IFacetValue[]>;
  /** Opens the dataset view of a dataset id. */
  open: (id: string) => void;
}

export class DatasetsSectionWidget extends ReactWidget {
  constructor(private readonly _options: IDatasetsSectionOptions) {
    super();
    this.addClass('kamld-DatasetsSection');
    this.title.label = _options.trans.__('Datasets');
    this.title.caption = _options.trans.__('Datasets in the kamld sidecar');
    _options.connection.changed.connect(this._onConnection, this);
  }

  /** True when the sidecar is connected and serves datasets. */
  get available(): boolean {
    return this._serves('datasets');
  }

  /** True when the sidecar is connected and serves search. */
  get searchAvailable(): boolean {
    return this._serves('search');
  }

  /** Asks for a new dataset; adds it to the list and opens it when created. */
  async createDataset(): Promise<void> {
    const created = await newDatasetDialog(
      this._options.client,
      this._options.trans
    );
    if (created) {
      this._options.model.list.upsert(created);
      this._options.open(created.id);
    }
  }

  /** Reloads the list shown and the facet counts, keeping the rows loaded (and so the user's place). */
  reload(): void {
    const { model } = this._options;
    void model.list.reload();
    if (this.searchAvailable) {
      void model.search.refresh();
    }
  }

  /** Puts the cursor in the search box (selecting what is typed there). */
  focusSearch(): void {
    const box = this.node.querySelector<HTMLInputElement>(
      '.kamld-Search-input'
    );
    box?.focus();
    box?.select();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.connection.changed.disconnect(this._onConnection, this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._start();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._start();
    }
  }

  protected render(): React.ReactElement {
    const { model, connection, trans } = this._options;
    return (
      <UseSignal signal={connection.changed}>
        {() =>
          this._unavailable() ? (
            <div className="kamld-DatasetsSection-unavailable">
              {trans.__(
                'Datasets appear here once the sidecar is connected and serves datasets.'
              )}
            </div>
          ) : (
            <UseSignal signal={model.changed}>
              {() => (
                <DatasetBrowser
                  {...this._options}
                  searchAvailable={this.searchAvailable}
                  onCreate={() => void this.createDataset()}
                />
              )}
            </UseSignal>
          )
        }
      </UseSignal>
    );
  }

  /** The first page, once, as soon as someone can see the list. */
  private _start(): void {
    if (!this._options.model.list.started) {
      void this._options.model.list.loadMore();
    }
  }

  /** Known not to serve datasets, and the list has nothing to show. */
  private _unavailable(): boolean {
    const { connection, model } = this._options;
    const known = connection.viewModel.state !== ConnectionState.Checking;
    return (
      known &&
      !this.available &&
      (model.list.datasets.length === 0 || !!model.list.error)
    );
  }

  private _serves(capability: string): boolean {
    const { connection } = this._options;
    return (
      connection.viewModel.state === ConnectionState.Connected &&
      connection.capabilities.includes(capability)
    );
  }

  private _onConnection(): void {
    const { model } = this._options;
    const available = this.available;
    // Back (or first) in touch: a list that failed meanwhile loads again.
    if (
      available &&
      !this._wasAvailable &&
      (model.list.error || !model.list.started)
    ) {
      void model.list.reload();
    }
    this._wasAvailable = available;
    const searchAvailable = this.searchAvailable;
    if (searchAvailable && !this._wasSearchAvailable) {
      void model.search.search(); // the facet counts, and results if a query waits
    }
    this._wasSearchAvailable = searchAvailable;
  }

  private _wasAvailable = false;
  private _wasSearchAvailable = false;
}

interface IDatasetBrowserProps extends IDatasetsSectionOptions {
  searchAvailable: boolean;
  onCreate: () => void;
}

const FACETS_ID = 'kamld-DatasetList-facets';
const COMPLETIONS_ID = 'kamld-DatasetList-completions';

function DatasetBrowser(props: IDatasetBrowserProps): React.ReactElement {
  const { model, trans, open, suggest, searchAvailable, onCreate } = props;
  const search = model.search;
  const [completions, setCompletions] = React.useState<IFacetValue[]>([]);
  const [showFilters, setShowFilters] = React.useState(false);
  const list = React.useRef<HTMLDivElement>(null);

  const onInput = (text: string): void => {
    model.setText(text);
    const target = completionTarget(text);
    if (!target || !searchAvailable) {
      setCompletions([]);
      return;
    }
    void suggest(target.field, target.prefix).then(setCompletions);
  };
  const target = completionTarget(search.text);
  const picked = search.facets.reduce(
    (n, facet) =>
      n +
      facet.values.filter(v => search.isPicked(facet.field, v.value)).length,
    0
  );

  // "/" anywhere in the list but a text field: to the search box.
  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    const target = event.target as HTMLElement;
    if (
      event.key === '/' &&
      !event.ctrlKey &&
      !event.metaKey &&
      !event.altKey &&
      !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
    ) {
      event.preventDefault();
      const box = event.currentTarget.querySelector<HTMLInputElement>(
        '.kamld-Search-input'
      );
      box?.focus();
      box?.select();
    }
  };

  return (
    <div className="kamld-DatasetList" onKeyDown={onKeyDown}>
      <div className="kamld-DatasetList-toolbar">
        <input
          type="search"
          className="jp-mod-styled kamld-Search-input"
          aria-label={trans.__('Search datasets')}
          placeholder={
            searchAvailable
              ? trans.__(
                  'Search: words, tag:x, format:csv, column:age, size:>10MB'
                )
              : trans.__('Search is not served by this sidecar')
          }
          title={trans.__(
            'Free text, "phrases", tag:, label:key=value, format:, owner:, column:, size:>10MB, rows:>1000, updated:>2026-01-01, created:2025-01..2025-06, -negation, a OR b, (groups). ↓ moves to the list.'
          )}
          value={search.text}
          list={COMPLETIONS_ID}
          onChange={event => onInput(event.currentTarget.value)}
          onKeyDown={event => {
            if (event.key === 'Enter') {
              void search.search();
            } else if (event.key === 'ArrowDown' && !event.altKey) {
              event.preventDefault();
              list.current?.focus();
            } else if (event.key === 'Escape' && search.text) {
              event.preventDefault();
              model.setText('', true);
            }
          }}
        />
        <datalist id={COMPLETIONS_ID}>
          {target &&
            completions.map(c => (
              <option
                key={c.value}
                value={search.text.slice(0, target.start) + c.value}
              >
                {trans.__('%1 (%2)', c.value, c.count)}
              </option>
            ))}
        </datalist>
        <Button
          className="kamld-DatasetList-new"
          small
          onClick={onCreate}
          title={trans.__('Create a new dataset')}
        >
          {trans.__('New')}
        </Button>
      </div>
      <div className="kamld-DatasetList-filters">
        <select
          className="jp-mod-styled kamld-DatasetList-access"
          aria-label={trans.__('Which datasets')}
          title={
            model.searching
              ? trans.__(
                  'Applies to the full list; to search one owner’s datasets, type owner:name'
                )
              : trans.__(
                  'All datasets you can read, yours, or those shared with you'
                )
          }
          value={model.access}
          disabled={model.searching}
          onChange={event =>
            void model.setAccess(
              event.currentTarget.value as DatasetAccessFilter
            )
          }
        >
          <option value="">{trans.__('All')}</option>
          <option value="mine">{trans.__('Mine')}</option>
          <option value="shared">{trans.__('Shared with me')}</option>
        </select>
        {search.facets.length > 0 && (
          <button
            type="button"
            className="kamld-Search-filtersToggle"
            aria-expanded={showFilters}
            aria-controls={FACETS_ID}
            onClick={() => setShowFilters(!showFilters)}
          >
            {picked > 0
              ? trans.__('Filters (%1 on)', picked)
              : trans.__('Filters')}
          </button>
        )}
        <span className="kamld-Search-total" aria-live="polite">
          {model.searching && !search.loading
            ? trans._n('%1 match', '%1 matches', search.total)
            : ''}
        </span>
      </div>
      <FacetFilters
        model={search}
        trans={trans}
        id={FACETS_ID}
        hidden={!showFilters}
      />
      {search.error && model.searching && (
        <div className="kamld-Search-error" role="alert">
          {search.error.message}
        </div>
      )}
      <DatasetRows model={model} trans={trans} onOpen={open} listRef={list} />
    </div>
  );
}

/** Values of the "New dataset" form. */
interface INewDatasetValues {
  id: string;
  description: string;
  tags: string;
}

type FormErrors = Partial<Record<DatasetFormField | 'form', string>>;

class NewDatasetForm extends ReactWidget {
  constructor(
    private _values: INewDatasetValues,
    private readonly _errors: FormErrors,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('kamld-NewDatasetForm');
  }

  getValue(): INewDatasetValues {
    return this._values;
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const field = (
      key: keyof INewDatasetValues,
      label: string,
      hint: string,
      multiline = false
    ): React.ReactElement => {
      const props = {
        className: 'jp-mod-styled',
        name: key,
        defaultValue: this._values[key],
        'aria-invalid': this._errors[key] ? true : undefined,
        onChange: (
          event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>
        ) => {
          this._values = { ...this._values, [key]: event.target.value };
        }
      };
      return (
        <label className="kamld-Form-field" data-kamld-field={key}>
          <span className="kamld-Form-label">{label}</span>
          {multiline ? <textarea rows={3} {...props} /> : <input {...props} />}
          <span className="kamld-Form-hint">{hint}</span>
          {this._errors[key] && (
            <span className="kamld-Form-error" role="alert">
              {this._errors[key]}
            </span>
          )}
        </label>
      );
    };
    return (
      <div className="kamld-Form">
        {this._errors.form && (
          <div className="kamld-Form-error kamld-Form-formError" role="alert">
            {this._errors.form}
          </div>
        )}
        {field(
          'id',
          trans.__('Id'),
          trans.__(
            'Lowercase letters, digits and “-”, starting with a letter, e.g. iris.'
          )
        )}
        {field('description', trans.__('Description'), '', true)}
        {field(
          'tags',
          trans.__('Tags'),
          trans.__('Separated by commas or spaces.')
        )}
      </div>
    );
  }
}

/**
 * Shows the "New dataset" dialog until the dataset is created or the user
 * cancels; a rejected request reopens it with the message at the wrong field.
 */
export async function newDatasetDialog(
  client: DatasetClient,
  trans: TranslationBundle
): Promise<IDataset | null> {
  let values: INewDatasetValues = { id: '', description: '', tags: '' };
  let errors: FormErrors = {};
  for (;;) {
    const result = await showDialog({
      title: trans.__('New dataset'),
      body: new NewDatasetForm(values, errors, trans),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Create') })
      ],
      focusNodeSelector: 'input[name="id"]'
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    values = result.value;
    const id = values.id.trim();
    const invalid = validateDatasetId(id);
    if (invalid) {
      errors = {
        id:
          invalid === 'empty'
            ? trans.__('An id is required.')
            : trans.__(
                '“%1” is not a valid id: use lowercase letters, digits and “-”, starting with a letter.',
                id
              )
      };
      continue;
    }
    const created = await client.createDataset(id, {
      description: values.description.trim(),
      tags: parseTagsInput(values.tags)
    });
    if (created.ok) {
      return created.value;
    }
    errors = explainCreateFailure(created.failure, trans);
  }
}

function explainCreateFailure(
  failure: IDatasetApiFailure,
  trans: TranslationBundle
): FormErrors {
  if (failure.reason === 'ALREADY_EXISTS' || failure.grpcCode === 6) {
    return { id: trans.__('A dataset with this id exists already.') };
  }
  return formErrors(failure);
}
