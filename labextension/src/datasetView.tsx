/**
 * The dataset view, a main-area tab per dataset: metadata with inline edit,
 * a file browser at a chosen ref with download links and drag-and-drop
 * upload, the schema and column statistics at that ref, snapshot history with restore, and the diff between two snapshots.
 *
 * DatasetViewModel holds the state and talks to the API; the React
 * components only draw it.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  downloadIcon,
  fileIcon,
  folderIcon,
  ReactWidget,
  UseSignal
} from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import { IDataset } from './datasetApi';
import {
  baseName,
  breadcrumbs,
  DRAFT_REF,
  formatBytes,
  formatBytesDelta,
  formatLabelsInput,
  formatTime,
  IRefOption,
  notebookRef,
  refGroups,
  refOptions,
  snapshotLabel
} from './datasetModel';
import { DatasetViewModel } from './datasetViewModel';
import { mergeDialog } from './mergeDialog';
import { PreviewSection } from './previewGrid';
import { isTabular } from './previewModel';
import { SchemaSection } from './schemaView';
import { snapshotLineage } from './jobApi';

/** What the view asks of the application. */
export interface IDatasetViewActions {
  insertIntoNotebook: (datasetId: string, ref: string) => void;
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
    this._actions.insertIntoNotebook(
      this.model.datasetId,
      notebookRef(this.model.ref, this.model.snapshots[0]?.version ?? '')
    );
  }

  protected render(): React.ReactElement {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <DatasetViewBody
            model={this.model}
            trans={this._trans}
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
        />
      </label>
    );
  }

  private _message = '';
}

interface IBodyProps {
  model: DatasetViewModel;
  trans: TranslationBundle;
  onRestore: (version: string) => void;
  onTag: (version: string) => void;
  onMerge: (branch: string) => void;
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
  return (
    <div className="kamld-DatasetView-body">
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
      {/* Keyed by etag: a reloaded or saved dataset closes the editor. */}
      <Metadata
        key={model.dataset.etag}
        model={model}
        dataset={model.dataset}
        trans={trans}
      />
      <FileBrowser model={model} trans={trans} onMerge={props.onMerge} />
      <PreviewSection model={model.preview} trans={trans} />
      <SchemaSection model={model.schema} trans={trans} />
      <History {...props} />
      <DiffSection model={model} trans={trans} />
    </div>
  );
}

function Metadata(props: {
  model: DatasetViewModel;
  dataset: IDataset;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, dataset, trans } = props;
  const [editing, setEditing] = React.useState(false);
  const [description, setDescription] = React.useState('');
  const [tags, setTags] = React.useState('');
  const [labelsText, setLabelsText] = React.useState('');
  const startEdit = (): void => {
    setDescription(dataset.description);
    setTags(dataset.tags.join(', '));
    setLabelsText(formatLabelsInput(dataset.labels));
    setEditing(true);
  };
  const save = async (): Promise<void> => {
    if (await model.saveMetadata(description.trim(), tags, labelsText)) {
      setEditing(false);
    }
  };
  const labels = Object.entries(dataset.labels);
  return (
    <section className="kamld-Section kamld-Metadata">
      <h2 className="kamld-DatasetView-title">{dataset.id}</h2>
      {editing ? (
        <div className="kamld-Form kamld-Metadata-edit">
          <label className="kamld-Form-field">
            <span className="kamld-Form-label">{trans.__('Description')}</span>
            <textarea
              className="jp-mod-styled"
              name="description"
              rows={3}
              value={description}
              onChange={event => setDescription(event.target.value)}
            />
          </label>
          <label className="kamld-Form-field">
            <span className="kamld-Form-label">{trans.__('Tags')}</span>
            <input
              className="jp-mod-styled"
              name="tags"
              value={tags}
              onChange={event => setTags(event.target.value)}
            />
            <span className="kamld-Form-hint">
              {trans.__('Separated by commas or spaces.')}
            </span>
          </label>
          <label className="kamld-Form-field">
            <span className="kamld-Form-label">{trans.__('Labels')}</span>
            <textarea
              className="jp-mod-styled"
              name="labels"
              rows={Math.max(2, labels.length + 1)}
              placeholder="team=vision"
              value={labelsText}
              onChange={event => setLabelsText(event.target.value)}
            />
            <span className="kamld-Form-hint">
              {trans.__('One key=value per line.')}
            </span>
          </label>
          <div className="kamld-Form-buttons">
            <Button small onClick={() => void save()}>
              {trans.__('Save')}
            </Button>
            <Button small minimal onClick={() => setEditing(false)}>
              {trans.__('Cancel')}
            </Button>
          </div>
        </div>
      ) : (
        <div className="kamld-Metadata-summary">
          <p className="kamld-Metadata-description">
            {dataset.description || (
              <span className="kamld-Muted">{trans.__('No description')}</span>
            )}
          </p>
          <div className="kamld-Tags">
            {dataset.tags.map(tag => (
              <span key={tag} className="kamld-Tag">
                {tag}
              </span>
            ))}
          </div>
          <Button
            small
            minimal
            className="kamld-Metadata-editButton"
            onClick={startEdit}
          >
            {trans.__('Edit description, tags and labels')}
          </Button>
        </div>
      )}
      <table className="kamld-Table kamld-Metadata-facts">
        <tbody>
          <tr>
            <th scope="row">{trans.__('Owner')}</th>
            <td>{dataset.owner}</td>
          </tr>
          <tr>
            <th scope="row">{trans.__('Head snapshot')}</th>
            <td data-kamld-fact="head">
              {snapshotLabel(dataset.headSnapshot, model.snapshots) ||
                trans.__('none yet')}
              {dataset.hasDraftChanges
                ? ` ${trans.__('(draft has changes)')}`
                : ''}
            </td>
          </tr>
          <tr>
            <th scope="row">{trans.__('Head files')}</th>
            <td>
              {trans._n('%1 file', '%1 files', dataset.stats.fileCount)}
              {', '}
              {formatBytes(dataset.stats.totalBytes)}
            </td>
          </tr>
          {labels.length > 0 && (
            <tr>
              <th scope="row">{trans.__('Labels')}</th>
              <td>
                {labels.map(([key, value]) => (
                  <span key={key} className="kamld-Tag">
                    {key}={value}
                  </span>
                ))}
              </td>
            </tr>
          )}
          <tr>
            <th scope="row">{trans.__('Updated')}</th>
            <td>{formatTime(dataset.updateTime)}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}

function FileBrowser(props: {
  model: DatasetViewModel;
  trans: TranslationBundle;
  onMerge: (branch: string) => void;
}): React.ReactElement {
  const { model, trans } = props;
  // A branch's head is shown: offer to merge it into main.
  const shownBranch = model.branches.find(
    b => !b.isDefault && b.id === model.ref
  );
  const [dragging, setDragging] = React.useState(false);
  const input = React.useRef<HTMLInputElement>(null);
  const options = refOptions(
    model.snapshots,
    model.tags,
    trans.__('Draft'),
    model.branches,
    branch => trans.__('%1 (draft)', branch)
  );
  const groupLabels: Record<IRefOption['group'], string> = {
    draft: trans.__('Main'),
    branch: trans.__('Branches'),
    snapshot: trans.__('Versions'),
    tag: trans.__('Tags')
  };
  const listing = model.listing;
  const onDrop = (event: React.DragEvent): void => {
    event.preventDefault();
    event.stopPropagation();
    setDragging(false);
    const files = Array.from(event.dataTransfer.files);
    void model.upload(files);
  };
  return (
    <section
      className={`kamld-Section kamld-Files${dragging ? ' kamld-mod-dropTarget' : ''}`}
      onDragEnter={event => {
        event.preventDefault();
        event.stopPropagation();
        setDragging(true);
      }}
      onDragOver={event => {
        event.preventDefault();
        event.stopPropagation();
        event.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={event => {
        if (!event.currentTarget.contains(event.relatedTarget as Node)) {
          setDragging(false);
        }
      }}
      onDrop={onDrop}
    >
      <h3>{trans.__('Files')}</h3>
      <div className="kamld-Files-toolbar">
        <label className="kamld-Files-ref">
          <span>{trans.__('Ref')}</span>
          <select
            className="jp-mod-styled"
            value={model.ref}
            onChange={event => void model.setRef(event.target.value)}
          >
            {refGroups(options).map(([group, members]) => (
              <optgroup key={group} label={groupLabels[group]}>
                {members.map(option => (
                  <option
                    key={`${option.group}:${option.value}`}
                    value={option.value}
                  >
                    {option.label}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        {shownBranch && (
          <button
            className="jp-mod-styled kamld-Files-merge"
            onClick={() => props.onMerge(shownBranch.id)}
          >
            {trans.__('Merge into main…')}
          </button>
        )}
        <nav className="kamld-Breadcrumbs" aria-label={trans.__('Folder')}>
          {breadcrumbs(model.prefix, model.datasetId).map((crumb, i, all) => (
            <React.Fragment key={crumb.prefix}>
              {i > 0 && <span className="kamld-Muted">/</span>}
              {i === all.length - 1 ? (
                <span>{crumb.label}</span>
              ) : (
                <a
                  href="#"
                  onClick={event => {
                    event.preventDefault();
                    void model.openFolder(crumb.prefix);
                  }}
                >
                  {crumb.label}
                </a>
              )}
            </React.Fragment>
          ))}
        </nav>
        <Button
          small
          className="kamld-Files-upload"
          onClick={() => input.current?.click()}
          title={trans.__('Upload files into the draft (or drop them here)')}
        >
          {trans.__('Upload…')}
        </Button>
        <input
          ref={input}
          type="file"
          multiple
          hidden
          className="kamld-Files-input"
          onChange={event => {
            const files = Array.from(event.target.files ?? []);
            event.target.value = '';
            void model.upload(files);
          }}
        />
      </div>
      {model.uploads.length > 0 && (
        <ul className="kamld-Uploads">
          {model.uploads.map((upload, i) => (
            <li
              key={`${upload.path}-${i}`}
              data-kamld-upload={upload.path}
              data-kamld-done={upload.done ? 'true' : 'false'}
            >
              <span className="kamld-Uploads-path">{upload.path}</span>
              <progress max={100} value={upload.percent} />
              <span>
                {upload.error
                  ? trans.__('failed: %1', upload.error)
                  : upload.done
                    ? trans.__('uploaded')
                    : `${upload.percent}%`}
              </span>
            </li>
          ))}
        </ul>
      )}
      {model.listingError && (
        <p className="kamld-Form-error" role="alert">
          {model.listingError}
        </p>
      )}
      {listing && (
        <table className="kamld-Table kamld-FileTable">
          <thead>
            <tr>
              <th scope="col" className="kamld-FileTable-name">
                {trans.__('Name')}
              </th>
              <th scope="col" className="kamld-Num">
                {trans.__('Size')}
              </th>
              <th scope="col">{trans.__('Modified')}</th>
              <th scope="col">
                <span className="kamld-VisuallyHidden">
                  {trans.__('Download')}
                </span>
              </th>
            </tr>
          </thead>
          <tbody>
            {listing.folders.map(folder => (
              <tr key={folder} data-kamld-folder={folder}>
                <td colSpan={4}>
                  <a
                    href="#"
                    className="kamld-Files-folder"
                    onClick={event => {
                      event.preventDefault();
                      void model.openFolder(folder);
                    }}
                  >
                    <folderIcon.react
                      tag="span"
                      className="kamld-FileIcon"
                      elementPosition="center"
                    />
                    {baseName(folder)}/
                  </a>
                </td>
              </tr>
            ))}
            {listing.files.map(file => (
              <tr key={file.path} data-kamld-file={file.path}>
                <td className="kamld-FileTable-name">
                  <span className="kamld-FileName">
                    <fileIcon.react
                      tag="span"
                      className="kamld-FileIcon"
                      elementPosition="center"
                    />
                    {baseName(file.path)}
                  </span>
                  {isTabular(file.path) && (
                    <a
                      href="#"
                      className="kamld-Files-preview"
                      title={trans.__('Preview %1', file.path)}
                      onClick={event => {
                        event.preventDefault();
                        void model.preview.open(file.path, model.ref);
                      }}
                    >
                      {trans.__('Preview')}
                    </a>
                  )}
                </td>
                <td className="kamld-Num">{formatBytes(file.size)}</td>
                <td>{formatTime(file.modifyTime)}</td>
                <td>
                  <a
                    className="kamld-Files-download"
                    href={model.downloadUrl(file.path)}
                    download={baseName(file.path)}
                    title={trans.__('Download %1', file.path)}
                  >
                    <downloadIcon.react
                      tag="span"
                      className="kamld-FileIcon"
                      elementPosition="center"
                    />
                    {trans.__('Download')}
                  </a>
                </td>
              </tr>
            ))}
            {listing.files.length === 0 && listing.folders.length === 0 && (
              <tr>
                <td colSpan={4} className="kamld-Muted">
                  {model.ref !== DRAFT_REF
                    ? trans.__('No files here.')
                    : trans.__(
                        'No files here yet. Drop files on this section or use Upload….'
                      )}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {listing?.nextPageToken && (
        <Button
          small
          className="kamld-Files-more"
          onClick={() => void model.loadMoreFiles()}
        >
          {trans.__('Load more files')}
        </Button>
      )}
    </section>
  );
}

function History(props: IBodyProps): React.ReactElement {
  const { model, trans, onRestore, onTag } = props;
  return (
    <section className="kamld-Section kamld-History">
      <h3>{trans.__('History')}</h3>
      {model.snapshots.length === 0 ? (
        <p className="kamld-Muted">
          {trans.__('No snapshots yet. Use Snapshot… to record the draft.')}
        </p>
      ) : (
        <table className="kamld-Table kamld-HistoryTable">
          <thead>
            <tr>
              <th scope="col">{trans.__('Version')}</th>
              <th scope="col">{trans.__('Message')}</th>
              <th scope="col">{trans.__('Author')}</th>
              <th scope="col">{trans.__('Time')}</th>
              <th scope="col" className="kamld-Num">
                {trans.__('Size')}
              </th>
              <th scope="col">
                <span className="kamld-VisuallyHidden">
                  {trans.__('Actions')}
                </span>
              </th>
            </tr>
          </thead>
          <tbody>
            {model.snapshots.map(snapshot => (
              <tr key={snapshot.name} data-kamld-snapshot={snapshot.version}>
                <td className="kamld-Mono">{snapshot.version}</td>
                <td>
                  {snapshot.message}
                  {snapshot.lineage && (
                    <div className="kamld-Lineage">
                      {snapshotLineage(
                        model.datasetId,
                        snapshot.version,
                        snapshot.lineage
                      )}
                    </div>
                  )}
                  {model.tags
                    .filter(tag => tag.snapshot === snapshot.name)
                    .map(tag => (
                      <span
                        key={tag.id}
                        className="kamld-Tag kamld-SnapshotTag"
                        data-kamld-tag={tag.id}
                      >
                        {tag.id}
                      </span>
                    ))}
                </td>
                <td>{snapshot.author}</td>
                <td>{formatTime(snapshot.createTime)}</td>
                <td className="kamld-Num">
                  {formatBytes(snapshot.stats.totalBytes)}
                </td>
                <td className="kamld-History-actions">
                  <Button
                    small
                    minimal
                    className="kamld-History-tag"
                    onClick={() => onTag(snapshot.version)}
                    title={trans.__('Tag %1', snapshot.version)}
                  >
                    {trans.__('Tag…')}
                  </Button>
                  <Button
                    small
                    minimal
                    className="kamld-History-restore"
                    onClick={() => onRestore(snapshot.version)}
                    title={trans.__(
                      'Restore %1 into the draft',
                      snapshot.version
                    )}
                  >
                    {trans.__('Restore…')}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DiffSection(props: {
  model: DatasetViewModel;
  trans: TranslationBundle;
}): React.ReactElement | null {
  const { model, trans } = props;
  if (model.snapshots.length < 2) {
    return null;
  }
  const versions = model.snapshots.map(snapshot => snapshot.version);
  const picker = (
    name: string,
    label: string,
    value: string,
    onChange: (value: string) => void
  ): React.ReactElement => (
    <label className="kamld-Diff-pick">
      <span>{label}</span>
      <select
        className="jp-mod-styled"
        name={name}
        value={value}
        onChange={event => onChange(event.target.value)}
      >
        {versions.map(version => (
          <option key={version} value={version}>
            {version}
          </option>
        ))}
      </select>
    </label>
  );
  const diff = model.diff;
  return (
    <section className="kamld-Section kamld-Diff">
      <h3>{trans.__('Compare snapshots')}</h3>
      <div className="kamld-Diff-toolbar">
        {picker('from', trans.__('From'), model.diffFrom, from =>
          model.setDiffRefs(from, model.diffTo)
        )}
        {picker('to', trans.__('To'), model.diffTo, to =>
          model.setDiffRefs(model.diffFrom, to)
        )}
        <Button
          small
          className="kamld-Diff-compare"
          onClick={() => void model.compare()}
        >
          {trans.__('Compare')}
        </Button>
      </div>
      {model.diffError && (
        <p className="kamld-Form-error" role="alert">
          {model.diffError}
        </p>
      )}
      {diff && (
        <div className="kamld-Diff-result">
          <p className="kamld-Diff-stats">
            {trans.__(
              '%1 added, %2 modified, %3 removed (%4)',
              diff.stats.added,
              diff.stats.modified,
              diff.stats.removed,
              formatBytesDelta(diff.stats.bytesDelta)
            )}
          </p>
          {diff.empty ? (
            <p className="kamld-Muted">{trans.__('No differences.')}</p>
          ) : (
            <table className="kamld-Table kamld-DiffTable">
              <thead>
                <tr>
                  <th scope="col">{trans.__('Change')}</th>
                  <th scope="col">{trans.__('Path')}</th>
                  <th scope="col" className="kamld-Num">
                    {trans.__('Before')}
                  </th>
                  <th scope="col" className="kamld-Num">
                    {trans.__('After')}
                  </th>
                  <th scope="col" className="kamld-Num">
                    {trans.__('Δ')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {diff.rows.map(row => (
                  <tr
                    key={row.path}
                    data-kamld-change={row.type}
                    data-kamld-path={row.path}
                  >
                    <td>
                      <span className={`kamld-Change kamld-mod-${row.type}`}>
                        {changeLabel(row.type, trans)}
                      </span>
                    </td>
                    <td className="kamld-Mono">{row.path}</td>
                    <td className="kamld-Num">
                      {row.fromSize === null ? '—' : formatBytes(row.fromSize)}
                    </td>
                    <td className="kamld-Num">
                      {row.toSize === null ? '—' : formatBytes(row.toSize)}
                    </td>
                    <td className="kamld-Num">{formatBytesDelta(row.delta)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {model.diffHasMore && (
            <Button
              small
              className="kamld-Diff-more"
              onClick={() => void model.loadMoreDiff()}
            >
              {trans.__('Load more changes')}
            </Button>
          )}
        </div>
      )}
    </section>
  );
}

function changeLabel(type: string, trans: TranslationBundle): string {
  switch (type) {
    case 'added':
      return trans.__('added');
    case 'removed':
      return trans.__('removed');
    case 'modified':
      return trans.__('modified');
    default:
      return trans.__('changed');
  }
}
