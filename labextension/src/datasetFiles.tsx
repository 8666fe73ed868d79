/**
 * The Files tab of a dataset view: the folder at the ref shown, with icons by
 * file type, sizes, preview of tabular files, open (what the browser can
 * show) and download; files dropped on it are uploaded into the draft.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, downloadIcon, folderIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  baseName,
  breadcrumbs,
  DRAFT_REF,
  formatBytes,
  formatTime
} from './datasetModel';
import { DatasetViewModel } from './datasetViewModel';
import { isViewable } from './fileTypeIcon';
import { FileIcon } from './fileIcon';
import { PreviewSection } from './previewGrid';
import { isTabular } from './previewModel';

/** Uploads `files` into the draft, after asking whether to replace the draft's files of the same names. */
async function uploadAsking(
  model: DatasetViewModel,
  trans: TranslationBundle,
  files: readonly File[]
): Promise<void> {
  const replaced = await model.replacedByUpload(files);
  if (replaced.length > 0) {
    const answer = await showDialog({
      title: trans._n('Replace %1 file?', 'Replace %1 files?', replaced.length),
      body: trans.__(
        'The draft of %1 already has %2. Uploading replaces the draft’s copy; snapshots keep theirs.',
        model.datasetId,
        replaced.join(', ')
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Replace') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
  }
  await model.upload(files);
}

export function DatasetFiles(props: {
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
  const listing = model.listing;
  const onDrop = (event: React.DragEvent): void => {
    event.preventDefault();
    event.stopPropagation();
    setDragging(false);
    const files = Array.from(event.dataTransfer.files);
    void uploadAsking(model, trans, files);
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
      <div className="kamld-Files-toolbar">
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
            void uploadAsking(model, trans, files);
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
                    <FileIcon path={file.path} />
                    {isViewable(file.path) ? (
                      <a
                        href={model.downloadUrl(file.path)}
                        target="_blank"
                        rel="noreferrer"
                        className="kamld-Files-open"
                        title={trans.__(
                          'Open %1 in a new browser tab',
                          file.path
                        )}
                      >
                        {baseName(file.path)}
                      </a>
                    ) : (
                      baseName(file.path)
                    )}
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
      <PreviewSection model={model.preview} trans={trans} />
    </section>
  );
}
