/**
 * The merge dialog of the dataset view: what a branch changed against main (the
 * diff), then the merge; when it fails on conflicts, every conflicting path with
 * both sides, and the choice of a side for all of them (docs/branches.md).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IDiff, IFileInfo, IMergeConflict } from './datasetApi';
import { formatBytes } from './datasetModel';
import { DatasetViewModel } from './datasetViewModel';

/** How many changed paths and conflicts the dialogs list before "and N more". */
const MOST_ROWS = 50;

function side(info: IFileInfo | null, trans: TranslationBundle): string {
  if (!info) {
    return trans.__('(absent)');
  }
  return `${info.digest.replace('sha256:', '').slice(0, 12)} ${formatBytes(info.size)}`;
}

function DiffPreview(props: {
  diff: IDiff | null;
  trans: TranslationBundle;
}): React.ReactElement {
  const { diff, trans } = props;
  if (!diff) {
    return <p>{trans.__('The changes could not be listed.')}</p>;
  }
  const { stats, changes } = diff;
  return (
    <div className="kamld-Merge-diff">
      <p>
        {trans.__(
          'Against main: %1 added, %2 modified, %3 removed.',
          stats.added,
          stats.modified,
          stats.removed
        )}
      </p>
      <ul>
        {changes.slice(0, MOST_ROWS).map(change => (
          <li key={change.path} data-kamld-change={change.type}>
            {change.type} {change.path}
          </li>
        ))}
      </ul>
      {changes.length > MOST_ROWS && (
        <p>{trans.__('and %1 more', changes.length - MOST_ROWS)}</p>
      )}
    </div>
  );
}

function ConflictList(props: {
  conflicts: IMergeConflict[];
  trans: TranslationBundle;
}): React.ReactElement {
  const { conflicts, trans } = props;
  return (
    <div className="kamld-Merge-conflicts">
      <p>
        {trans.__(
          '%1 paths changed differently on both sides. Choose a side for all of them, or cancel and resolve them yourself.',
          conflicts.length
        )}
      </p>
      <table>
        <thead>
          <tr>
            <th>{trans.__('Path')}</th>
            <th>{trans.__('main')}</th>
            <th>{trans.__('branch')}</th>
          </tr>
        </thead>
        <tbody>
          {conflicts.slice(0, MOST_ROWS).map(c => (
            <tr key={c.path}>
              <td>{c.path}</td>
              <td>{side(c.ours, trans)}</td>
              <td>{side(c.theirs, trans)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {conflicts.length > MOST_ROWS && (
        <p>{trans.__('and %1 more', conflicts.length - MOST_ROWS)}</p>
      )}
    </div>
  );
}

/** Shows the diff, merges on confirmation, and offers a side when it conflicts. */
export async function mergeDialog(
  model: DatasetViewModel,
  branch: string,
  trans: TranslationBundle
): Promise<void> {
  const diff = await model.mergePreview(branch);
  const confirm = await showDialog({
    title: trans.__('Merge %1 into main?', branch),
    body: <DiffPreview diff={diff} trans={trans} />,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Merge') })
    ]
  });
  if (!confirm.button.accept) {
    return;
  }
  const conflicts = await model.merge(branch);
  if (!conflicts || conflicts.length === 0) {
    return;
  }
  const choice = await showDialog({
    title: trans.__('Merging %1 conflicts', branch),
    body: <ConflictList conflicts={conflicts} trans={trans} />,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__("Keep main's"), actions: ['ours'] }),
      Dialog.warnButton({
        label: trans.__("Take %1's", branch),
        actions: ['theirs']
      })
    ]
  });
  if (choice.button.accept) {
    await model.merge(
      branch,
      choice.button.actions.includes('ours') ? 'ours' : 'theirs'
    );
  }
}
