/**
 * "Add to dataset…" on the file browser's context menu: a dialog to choose
 * the dataset and the target folder, then the server-side copy with its
 * progress in a notification.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { formField } from './formField';
import { IDataset } from './datasetApi';
import {
  IWorkspaceUploadRequest,
  normalisePrefix,
  readLines,
  UploadProgress,
  WORKSPACE_UPLOAD_PATH
} from './workspaceUpload';

export interface IAddToDatasetValues {
  dataset: string;
  prefix: string;
}

/** The dialog's body: a dataset select and a folder input. */
class AddToDatasetForm extends Widget {
  constructor(
    datasets: readonly IDataset[],
    paths: readonly string[],
    trans: TranslationBundle
  ) {
    super();
    this.addClass('kamld-AddToDatasetForm');
    const form = document.createElement('div');
    form.className = 'kamld-Form';

    const summary = document.createElement('p');
    summary.className = 'kamld-AddToDataset-summary';
    summary.textContent =
      paths.length === 1
        ? trans.__('Copy “%1” into the draft of:', paths[0])
        : trans.__('Copy %1 items into the draft of:', paths.length);
    form.appendChild(summary);

    this._select = document.createElement('select');
    this._select.name = 'dataset';
    this._select.className = 'jp-mod-styled';
    for (const dataset of datasets) {
      const option = document.createElement('option');
      option.value = dataset.id;
      option.textContent = dataset.id;
      this._select.appendChild(option);
    }
    form.appendChild(
      formField(trans.__('Dataset'), this._select, '', 'dataset')
    );

    this._folder = document.createElement('input');
    this._folder.name = 'prefix';
    this._folder.className = 'jp-mod-styled';
    this._folder.placeholder = trans.__('(the dataset’s root)');
    form.appendChild(
      formField(
        trans.__('Target folder'),
        this._folder,
        trans.__('Inside the dataset, e.g. data/raw; empty for its root.'),
        'prefix'
      )
    );
    this.node.appendChild(form);
  }

  getValue(): IAddToDatasetValues {
    return {
      dataset: this._select.value,
      prefix: normalisePrefix(this._folder.value)
    };
  }

  private readonly _select: HTMLSelectElement;
  private readonly _folder: HTMLInputElement;
}

/** Asks for the dataset and folder; null when cancelled. */
export async function addToDatasetDialog(
  datasets: readonly IDataset[],
  paths: readonly string[],
  trans: TranslationBundle
): Promise<IAddToDatasetValues | null> {
  const result = await showDialog({
    title: trans.__('Add to dataset'),
    body: new AddToDatasetForm(datasets, paths, trans),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Add') })
    ],
    focusNodeSelector: 'select[name="dataset"]'
  });
  if (!result.button.accept || !result.value || !result.value.dataset) {
    return null;
  }
  return result.value;
}

/**
 * Runs the server-side copy, showing its progress in a notification; resolves
 * with the aggregated progress (null when the request itself failed).
 */
export async function runWorkspaceUpload(
  request: IWorkspaceUploadRequest,
  settings: ServerConnection.ISettings,
  trans: TranslationBundle
): Promise<UploadProgress | null> {
  const id = Notification.emit(
    trans.__('Adding to dataset %1…', request.dataset),
    'in-progress',
    { autoClose: false, progress: 0 }
  );
  const progress = new UploadProgress();
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      URLExt.join(settings.baseUrl, WORKSPACE_UPLOAD_PATH),
      { method: 'POST', body: JSON.stringify(request) },
      settings
    );
  } catch (reason) {
    Notification.update({
      id,
      message: trans.__('Could not add to dataset: %1', String(reason)),
      type: 'error',
      autoClose: false
    });
    return null;
  }
  if (!response.ok || !response.body) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      message = String(body.message ?? message);
    } catch {
      // not JSON: the status says enough
    }
    Notification.update({
      id,
      message: trans.__('Could not add to dataset: %1', message),
      type: 'error',
      autoClose: false
    });
    return null;
  }
  let shown = -1;
  await readLines(response.body, line => {
    progress.applyLine(line);
    const percent = Math.floor(progress.fraction * 100);
    if (percent !== shown) {
      shown = percent;
      Notification.update({
        id,
        message: trans.__(
          'Adding to dataset %1: %2 of %3 files',
          request.dataset,
          progress.finishedFiles,
          progress.files
        ),
        type: 'in-progress',
        progress: progress.fraction,
        autoClose: false
      });
    }
  });
  // A new notification for the outcome (the progress one goes away).
  Notification.dismiss(id);
  const errors = progress.errors;
  if (errors.length > 0) {
    Notification.error(
      trans.__(
        'Added %1 of %2 files to dataset %3; %4: %5',
        progress.doneFiles.length,
        progress.files,
        request.dataset,
        errors[0].path,
        errors[0].message
      ),
      { autoClose: false }
    );
  } else {
    Notification.success(
      trans.__(
        'Added %1 files to dataset %2.',
        progress.doneFiles.length,
        request.dataset
      ),
      { autoClose: 5000 }
    );
  }
  return progress;
}
