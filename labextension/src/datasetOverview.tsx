/**
 * The Overview tab of a dataset view: description, tags and labels (edited
 * in place), owner, head, size, and the versions as a table.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IDataset } from './datasetApi';
import {
  formatBytes,
  formatLabelsInput,
  formatTime,
  snapshotLabel
} from './datasetModel';
import { DatasetViewModel } from './datasetViewModel';
import { PersonName } from './personName';
import { VersionsTable } from './versionsTable';

export function DatasetOverview(props: {
  model: DatasetViewModel;
  dataset: IDataset;
  trans: TranslationBundle;
  /** Copies the Python that loads this dataset at the ref shown. */
  onCopyLoadCode: () => void;
}): React.ReactElement {
  const { model, dataset, trans } = props;
  const [editing, setEditing] = React.useState(false);
  const [description, setDescription] = React.useState('');
  const [tags, setTags] = React.useState('');
  const [labelsText, setLabelsText] = React.useState('');
  const [baseEtag, setBaseEtag] = React.useState('');
  const startEdit = (): void => {
    setBaseEtag(dataset.etag);
    setDescription(dataset.description);
    setTags(dataset.tags.join(', '));
    setLabelsText(formatLabelsInput(dataset.labels));
    setEditing(true);
  };
  const save = async (): Promise<void> => {
    if (
      await model.saveMetadata(description.trim(), tags, labelsText, baseEtag)
    ) {
      setEditing(false);
    }
  };
  const labels = Object.entries(dataset.labels);
  return (
    <section className="kamld-Section kamld-Metadata">
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
          <div className="kamld-Metadata-actions">
            <Button
              small
              minimal
              className="kamld-Metadata-editButton"
              onClick={startEdit}
            >
              {trans.__('Edit description, tags and labels')}
            </Button>
            <Button
              small
              minimal
              className="kamld-Metadata-copyLoad"
              onClick={props.onCopyLoadCode}
              title={trans.__('Copy the Python that loads this dataset')}
            >
              {trans.__('Copy load code')}
            </Button>
          </div>
        </div>
      )}
      <table className="kamld-Table kamld-Metadata-facts">
        <tbody>
          <tr>
            <th scope="row">{trans.__('Owner')}</th>
            <td>
              <PersonName name={dataset.owner} />
            </td>
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
      <VersionsTable model={model} trans={trans} />
    </section>
  );
}
