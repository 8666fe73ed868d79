/**
 * The dataset view, a main-area tab per dataset: a header naming the dataset
 * and the ref shown, and tabs — Overview, Files, Schema & profile, History,
 * Compare (files and rows of any two refs) and Lineage (a graph).
 *
 * DatasetViewModel holds the state and talks to the API; the React
 * components only draw it.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import { DatasetCompare } from './datasetCompare';
import { DatasetFiles } from './datasetFiles';
import { DatasetHistory } from './datasetHistory';
import { DatasetLineage } from './datasetLineage';
import { DRAFT_REF, loadSnippet, notebookRef } from './datasetModel';
import { DatasetOverview } from './datasetOverview';
import { DatasetTab, DatasetViewModel } from './datasetViewModel';
import { submitOnEnter } from './dialogKeys';
import { mergeDialog } from './mergeDialog';
import { RefPicker } from './refPicker';
import { SchemaSection } from './schemaView';
import { ITabSpec, ViewTabs } from './viewTabs';

/** What the view asks of the application. */
export interface IDatasetViewActions {
  insertIntoNotebook: (datasetId: string, ref: string) => void;
  /** Opens another dataset's view, at a ref when given. */
  openDataset: (datasetId: string, ref?: string) => void;
  /** Opens a job's tab (`id` without `jobs/`). */
  openJob: (id: string) => void;
  copyToClipboard: (text: string) => void;
}

export class DatasetViewWidget extends ReactWidget {
  constructor(
    readonly model: DatasetViewModel,
    private readonly _actions: IDatasetViewActions,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('kamld-DatasetView');
    this.node.dataset.kamldDataset = model.datasetId;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    // Drops the list's and the toolbar's connections to this view's model.
    Signal.clearData(this.model);
    super.dispose();
  }

  /** The "Snapshot…" dialog: asks for a message and takes the snapshot. */
  async snapshotDialog(): Promise<void> {
    const trans = this._trans;
    const body = new MessageForm(trans);
    const result = await showDialog({
      title: trans.__('Snapshot %1', this.model.datasetId),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Take snapshot') })
      ],
      focusNodeSelector: 'textarea'
    });
    if (result.button.accept) {
      // The outcome shows as the view's notice.
      await this.model.snapshot(result.value ?? '');
    }
  }

  async restoreDialog(version: string): Promise<void> {
    const trans = this._trans;
    const result = await showDialog({
      title: trans.__('Restore %1?', version),
      body: trans.__(
        'The draft of %1 becomes a copy of %2. Changes in the draft that are not in a snapshot are lost.',
        this.model.datasetId,
        version
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Restore') })
      ]
    });
    if (result.button.accept) {
      await this.model.restore(version);
    }
  }

  async tagDialog(version: string): Promise<void> {
    const trans = this._trans;
    const result = await showDialog({
      title: trans.__('Tag %1', version),
      body: new TagForm(trans),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Tag') })
      ],
      focusNodeSelector: 'input'
    });
    if (result.button.accept && result.value) {
      await this.model.tag(version, result.value);
    }
  }

  insertIntoNotebook(): void {
    this._actions.insertIntoNotebook(this.model.datasetId, this._loadRef());
  }

  /** The ref a notebook should load: the one shown, or the newest snapshot. */
  private _loadRef(): string {
    return notebookRef(this.model.ref, this.model.snapshots[0]?.version ?? '');
  }

  protected render(): React.ReactElement {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <DatasetViewBody
            model={this.model}
            trans={this._trans}
            actions={this._actions}
            onCopyLoadCode={() =>
              this._actions.copyToClipboard(
                loadSnippet(this.model.datasetId, this._loadRef())
              )
            }
            onRestore={version => void this.restoreDialog(version)}
            onTag={version => void this.tagDialog(version)}
            onMerge={branch =>
              void mergeDialog(this.model, branch, this._trans)
            }
          />
        )}
      </UseSignal>
    );
  }
}

class TagForm extends ReactWidget {
  constructor(private readonly _trans: TranslationBundle) {
    super();
    this.addClass('kamld-TagForm');
  }

  getValue(): string {
    return this._tag.trim();
  }

  protected render(): React.ReactElement {
    return (
      <label className="kamld-Form-field">
        <span className="kamld-Form-label">{this._trans.__('Tag')}</span>
        <input
          className="jp-mod-styled"
          name="tag"
          placeholder="prod"
          onChange={event => {
            this._tag = event.target.value;
          }}
        />
        <span className="kamld-Form-hint">
          {this._trans.__(
            'Lowercase letters, digits, “.”, “_” and “-”, e.g. prod.'
          )}
        </span>
      </label>
    );
  }

  private _tag = '';
}

class MessageForm extends ReactWidget {
  constructor(private readonly _trans: TranslationBundle) {
    super();
    this.addClass('kamld-SnapshotForm');
  }

  getValue(): string {
    return this._message.trim();
  }

  protected render(): React.ReactElement {
    return (
      <label className="kamld-Form-field">
        <span className="kamld-Form-label">{this._trans.__('Message')}</span>
        <textarea
          className="jp-mod-styled"
          name="message"
          rows={3}
          placeholder={this._trans.__('What changed in this version?')}
          onChange={event => {
            this._message = event.target.value;
          }}
          onKeyDown={submitOnEnter}
        />
        <span className="kamld-Form-hint">
          {this._trans.__('Enter records it; Shift+Enter starts a new line.')}
        </span>
      </label>
    );
  }

  private _message = '';
}

interface IBodyProps {
  model: DatasetViewModel;
  trans: TranslationBundle;
  actions: IDatasetViewActions;
  onCopyLoadCode: () => void;
  onRestore: (version: string) => void;
  onTag: (version: string) => void;
  onMerge: (branch: string) => void;
}

function tabSpecs(trans: TranslationBundle): Array<ITabSpec<DatasetTab>> {
  return [
    { id: 'overview', label: trans.__('Overview') },
    { id: 'files', label: trans.__('Files') },
    { id: 'schema', label: trans.__('Schema & profile') },
    { id: 'history', label: trans.__('History') },
    { id: 'compare', label: trans.__('Compare') },
    { id: 'lineage', label: trans.__('Lineage') }
  ];
}

function DatasetViewBody(props: IBodyProps): React.ReactElement {
  const { model, trans } = props;
  if (!model.dataset) {
    return (
      <div className="kamld-DatasetView-body">
        <p className={model.loadError ? 'kamld-Form-error' : ''}>
          {model.loadError
            ? trans.__(
                'Could not load %1: %2',
                model.datasetId,
                model.loadError
              )
            : trans.__('Loading…')}
        </p>
      </div>
    );
  }
  const idPrefix = `kamld-dataset-${model.datasetId}`;
  const showsRef = ['files', 'schema', 'overview'].includes(model.tab);
  return (
    <div className="kamld-DatasetView-body">
      <header className="kamld-DatasetView-header">
        <h2 className="kamld-DatasetView-title">{model.dataset.id}</h2>
        {showsRef && <RefPicker model={model} trans={trans} />}
      </header>
      {model.notice && (
        <div
          className="kamld-Notice"
          data-kamld-notice={model.notice.kind}
          role={model.notice.kind === 'info' ? 'status' : 'alert'}
        >
          <span>{model.notice.message}</span>
          {model.notice.kind === 'conflict' && (
            <Button small onClick={() => void model.refresh()}>
              {trans.__('Reload')}
            </Button>
          )}
          <Button small minimal onClick={() => model.dismissNotice()}>
            {trans.__('Dismiss')}
          </Button>
        </div>
      )}
      <ViewTabs
        tabs={tabSpecs(trans)}
        active={model.tab}
        onSelect={tab => model.setTab(tab)}
        idPrefix={idPrefix}
        label={trans.__('Views of %1', model.datasetId)}
      />
      <div
        className="kamld-DatasetView-panel"
        role="tabpanel"
        id={`${idPrefix}-panel`}
        aria-labelledby={`${idPrefix}-tab-${model.tab}`}
        data-kamld-panel={model.tab}
      >
        <TabPanel {...props} />
      </div>
    </div>
  );
}

function TabPanel(props: IBodyProps): React.ReactElement {
  const { model, trans, actions } = props;
  const dataset = model.dataset!;
  switch (model.tab) {
    case 'files':
      return (
        <DatasetFiles model={model} trans={trans} onMerge={props.onMerge} />
      );
    case 'schema':
      return (
        <SchemaSection
          model={model.schema}
          trans={trans}
          profile={model.profile}
        />
      );
    case 'history':
      return (
        <DatasetHistory
          model={model}
          trans={trans}
          onRestore={props.onRestore}
          onTag={props.onTag}
        />
      );
    case 'compare':
      return <DatasetCompare model={model} trans={trans} />;
    case 'lineage':
      return (
        <DatasetLineage
          model={model}
          trans={trans}
          openDataset={actions.openDataset}
          openJob={actions.openJob}
        />
      );
    default:
      // A reload the user asked for closes the editor; a live update keeps what they typed.
      return (
        <DatasetOverview
          key={model.editorEpoch}
          model={model}
          dataset={dataset}
          trans={trans}
          onCopyLoadCode={props.onCopyLoadCode}
        />
      );
  }
}

export { DRAFT_REF };
