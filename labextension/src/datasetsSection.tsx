/**
 * The "Datasets" section of the panel: the sidecar's datasets, loaded page by
 * page as the list scrolls, windowed (only visible rows are in the DOM), with
 * a filter over the loaded names and a "New dataset" dialog.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ConnectionModel } from './connectionModel';
import { ConnectionState } from './connectionState';
import { DatasetClient, IDataset, IDatasetApiFailure } from './datasetApi';
import { DatasetListModel } from './datasetListModel';
import {
  DatasetFormField,
  filterDatasets,
  formatBytes,
  formErrors,
  nearEnd,
  parseTagsInput,
  validateDatasetId,
  windowRange
} from './datasetModel';

/** Height of one list row in px (the windowing needs a fixed height). */
const ROW_HEIGHT = 44;

export interface IDatasetsSectionOptions {
  connection: ConnectionModel;
  client: DatasetClient;
  model: DatasetListModel;
  trans: TranslationBundle;
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
    const { connection } = this._options;
    return (
      connection.viewModel.state === ConnectionState.Connected &&
      connection.capabilities.includes('datasets')
    );
  }

  /** Asks for a new dataset; adds it to the list and opens it when created. */
  async createDataset(): Promise<void> {
    const created = await newDatasetDialog(
      this._options.client,
      this._options.trans
    );
    if (created) {
      this._options.model.upsert(created);
      this._options.open(created.id);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.connection.changed.disconnect(this._onConnection, this);
    super.dispose();
  }

  protected render(): React.ReactElement {
    const { model, connection, trans, open } = this._options;
    return (
      <UseSignal signal={connection.changed}>
        {() =>
          this.available ? (
            <UseSignal signal={model.changed}>
              {() => (
                <DatasetList
                  model={model}
                  trans={trans}
                  onOpen={open}
                  onCreate={() => void this.createDataset()}
                />
              )}
            </UseSignal>
          ) : (
            <div className="kamld-DatasetsSection-unavailable">
              {trans.__(
                'Datasets appear here once the sidecar is connected and serves datasets.'
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
      void this._options.model.reload();
    }
    this._wasAvailable = available;
  }

  private _wasAvailable = false;
}

interface IDatasetListProps {
  model: DatasetListModel;
  trans: TranslationBundle;
  onOpen: (id: string) => void;
  onCreate: () => void;
}

function DatasetList(props: IDatasetListProps): React.ReactElement {
  const { model, trans, onOpen, onCreate } = props;
  const [filter, setFilter] = React.useState('');
  const [scrollTop, setScrollTop] = React.useState(0);
  const [viewport, setViewport] = React.useState(400);
  const scroller = React.useRef<HTMLDivElement>(null);

  React.useEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => setViewport(node.clientHeight));
    observer.observe(node);
    setViewport(node.clientHeight);
    return () => observer.disconnect();
  }, []);

  const visible = filterDatasets(model.datasets, filter);
  const range = windowRange(scrollTop, viewport, ROW_HEIGHT, visible.length);

  // Infinite scroll: fetch the next page when the end comes into view
  // (also when a filter leaves too few rows to scroll at all).
  React.useEffect(() => {
    if (
      model.hasMore &&
      !model.loading &&
      !model.error &&
      nearEnd(scrollTop, viewport, range.totalHeight, ROW_HEIGHT * 5)
    ) {
      void model.loadMore();
    }
  });

  return (
    <div className="kamld-DatasetList">
      <div className="kamld-DatasetList-toolbar">
        <input
          className="jp-mod-styled kamld-DatasetList-filter"
          type="search"
          placeholder={trans.__('Filter loaded datasets')}
          aria-label={trans.__('Filter loaded datasets')}
          value={filter}
          onChange={event => setFilter(event.target.value)}
        />
        <Button
          className="kamld-DatasetList-new"
          small
          onClick={onCreate}
          title={trans.__('Create a new dataset')}
        >
          {trans.__('New dataset')}
        </Button>
      </div>
      <div
        className="kamld-DatasetList-scroller"
        ref={scroller}
        onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
      >
        <ul
          className="kamld-DatasetList-rows"
          role="list"
          style={{ height: range.totalHeight }}
        >
          {visible.slice(range.start, range.end).map((dataset, i) => (
            <li
              key={dataset.name}
              className="kamld-DatasetList-row"
              data-kamld-dataset={dataset.id}
              style={{
                top: range.offsetTop + i * ROW_HEIGHT,
                height: ROW_HEIGHT
              }}
              role="listitem"
            >
              <button
                className="kamld-DatasetList-open"
                title={dataset.description || dataset.id}
                onClick={() => onOpen(dataset.id)}
              >
                <span className="kamld-DatasetList-name">{dataset.id}</span>
                <span className="kamld-DatasetList-meta">
                  {trans._n(
                    '%1 snapshot',
                    '%1 snapshots',
                    dataset.snapshotCount
                  )}
                  {' · '}
                  {formatBytes(dataset.stats.totalBytes)}
                  {dataset.description ? ` · ${dataset.description}` : ''}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <div className="kamld-DatasetList-footer">
          {model.loading && <span>{trans.__('Loading…')}</span>}
          {model.error && (
            <span className="kamld-DatasetList-error" role="alert">
              {trans.__('Could not list datasets: %1', model.error)}{' '}
              <Button small onClick={() => void model.loadMore()}>
                {trans.__('Retry')}
              </Button>
            </span>
          )}
          {!model.loading && !model.error && model.hasMore && (
            <Button small onClick={() => void model.loadMore()}>
              {trans.__('Load more')}
            </Button>
          )}
          {!model.loading && !model.hasMore && model.datasets.length === 0 && (
            <span>{trans.__('No datasets yet.')}</span>
          )}
          {filter && visible.length === 0 && model.datasets.length > 0 && (
            <span>{trans.__('No loaded dataset matches “%1”.', filter)}</span>
          )}
        </div>
      </div>
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
