/**
 * Compare with Draft: what the draft changed against a version (DiffSnapshots
 * from the version to the draft), shown in a dialog — the counts of the whole
 * diff and the first page of changed paths.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { DatasetClient, IDiff } from '../datasetApi';

const SHOWN = 200;
const MARK = { added: '+', removed: '−', modified: '~', unknown: '?' };

function diffBody(diff: IDiff, trans: TranslationBundle): Widget {
  const node = document.createElement('div');
  node.className = 'kamld-DriveCompare';
  const summary = document.createElement('p');
  summary.textContent = trans.__(
    '%1 added, %2 modified, %3 removed',
    diff.stats.added,
    diff.stats.modified,
    diff.stats.removed
  );
  node.appendChild(summary);
  const list = document.createElement('ul');
  list.className = 'kamld-DriveCompare-list';
  for (const change of diff.changes) {
    const item = document.createElement('li');
    item.dataset.change = change.type;
    item.textContent = `${MARK[change.type]} ${change.path}`;
    list.appendChild(item);
  }
  node.appendChild(list);
  if (diff.nextPageToken) {
    const more = document.createElement('p');
    more.textContent = trans.__(
      'The first %1 changes are shown; the dataset view compares every one.',
      SHOWN
    );
    node.appendChild(more);
  }
  return new Widget({ node });
}

export async function showDraftComparison(
  client: DatasetClient,
  dataset: string,
  ref: string,
  trans: TranslationBundle
): Promise<void> {
  const result = await client.diff(dataset, ref, 'draft', SHOWN);
  if (!result.ok) {
    Notification.error(
      trans.__(
        'Could not compare %1@%2 with the draft: %3',
        dataset,
        ref,
        result.failure.message
      )
    );
    return;
  }
  await showDialog({
    title: trans.__('%1@%2 → %1@draft', dataset, ref),
    body: diffBody(result.value, trans),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}
