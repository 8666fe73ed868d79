/**
 * The History tab of a dataset view: every snapshot with its time, author,
 * message, tags and the job that wrote it; tag or restore any of them.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes, formatTime } from './datasetModel';
import { DatasetViewModel } from './datasetViewModel';
import { snapshotLineage } from './jobApi';
import { PersonName } from './personName';

export function DatasetHistory(props: {
  model: DatasetViewModel;
  trans: TranslationBundle;
  onRestore: (version: string) => void;
  onTag: (version: string) => void;
}): React.ReactElement {
  const { model, trans, onRestore, onTag } = props;
  return (
    <section className="kamld-Section kamld-History">
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
                <td>
                  <PersonName name={snapshot.author} />
                </td>
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
