/**
 * The versions of a dataset as a compact table (newest first): version and
 * tags, when, who, files, size and message; a version opens the Files tab at
 * that version.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatBytes, formatTime } from './datasetModel';
import { DatasetViewModel } from './datasetViewModel';
import { PersonName } from './personName';

export function VersionsTable(props: {
  model: DatasetViewModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  if (model.snapshots.length === 0) {
    return (
      <p className="kamld-Muted">
        {trans.__('No versions yet. Use Snapshot… to record the draft.')}
      </p>
    );
  }
  return (
    <>
      <h3 className="kamld-Overview-heading">{trans.__('Versions')}</h3>
      <table className="kamld-Table kamld-VersionsTable">
        <thead>
          <tr>
            <th scope="col">{trans.__('Version')}</th>
            <th scope="col">{trans.__('Created')}</th>
            <th scope="col">{trans.__('By')}</th>
            <th scope="col" className="kamld-Num">
              {trans.__('Files')}
            </th>
            <th scope="col" className="kamld-Num">
              {trans.__('Size')}
            </th>
            <th scope="col">{trans.__('Message')}</th>
          </tr>
        </thead>
        <tbody>
          {model.snapshots.map(snapshot => (
            <tr key={snapshot.name} data-kamld-version={snapshot.version}>
              <td>
                <a
                  href="#"
                  className="kamld-Mono"
                  title={trans.__('Show the files of %1', snapshot.version)}
                  onClick={event => {
                    event.preventDefault();
                    model.setTab('files');
                    void model.setRef(snapshot.version);
                  }}
                >
                  {snapshot.version}
                </a>
                {model.tags
                  .filter(tag => tag.snapshot === snapshot.name)
                  .map(tag => (
                    <span key={tag.id} className="kamld-Tag">
                      {tag.id}
                    </span>
                  ))}
              </td>
              <td>{formatTime(snapshot.createTime)}</td>
              <td>
                <PersonName name={snapshot.author} />
              </td>
              <td className="kamld-Num">{snapshot.stats.fileCount}</td>
              <td className="kamld-Num">
                {formatBytes(snapshot.stats.totalBytes)}
              </td>
              <td>{snapshot.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
