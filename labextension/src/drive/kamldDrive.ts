/**
 * The `kamld:` drive: datasets, their refs and files as a JupyterLab Contents
 * drive beside the server's own (registered with addDrive; the server's
 * ContentsManager is untouched). Versions and tags are read-only; a draft takes
 * saves, new files and folders, renames, copies, deletes and chunked uploads,
 * each a draft write through the API with the API's checks (docs/drive.md).
 */
import type { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { DatasetClient, IFileInfo, Transport } from '../datasetApi';
import { ChunkedUploads } from './chunkedUploads';
import { DriveFiles } from './driveApi';
import { datasetsLoader, folderLoader, refsLoader } from './driveListings';
import {
  contentBytes,
  directoryModel,
  FileKinds,
  fileModel,
  toBase64,
  withContent
} from './driveModels';
import {
  dirName,
  DRIVE_NAME,
  DrivePath,
  isDraftRef,
  joinDrivePath,
  parseDrivePath,
  readOnlyMessage,
  scopedDataset
} from './drivePath';
import { DriveWrites } from './driveWrites';
import { ListingPages, PageLoader } from './listingPages';

type RefPath = Extract<DrivePath, { kind: 'ref' }>;

export interface IKamldDriveOptions {
  client: DatasetClient;
  transport: Transport;
  serverSettings: ServerConnection.ISettings;
  /** A path's content type, format and MIME type (JupyterLab's document registry). */
  kinds: FileKinds;
}

export class KamldDrive implements Contents.IDrive {
  constructor(options: IKamldDriveOptions) {
    const baseUrl = options.serverSettings.baseUrl;
    this.serverSettings = options.serverSettings;
    this._client = options.client;
    this._kinds = options.kinds;
    this._files = new DriveFiles(baseUrl, options.transport);
    this._writes = new DriveWrites(this._files);
    this._uploads = new ChunkedUploads(baseUrl, options.transport);
  }

  readonly name = DRIVE_NAME;
  readonly serverSettings: ServerConnection.ISettings;
  /** The pages each folder has loaded, and its server-side filter. */
  readonly pages = new ListingPages();

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (!this._isDisposed) {
      this._isDisposed = true;
      Signal.clearData(this);
    }
  }

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const where = parseDrivePath(localPath);
    if (where.kind === 'ref' && where.path && options?.type !== 'directory') {
      const file = await this._files.stat(where.dataset, where.ref, where.path);
      if (file) {
        return this._fileWithContent(where, file, options);
      }
    }
    const path = localPath.replace(/^\/+|\/+$/g, '');
    const content =
      options?.content === false
        ? null
        : await this.pages.items(path, this._loader(where));
    if (where.kind === 'ref' && where.path && content?.length === 0) {
      throw new Error(`${DRIVE_NAME}:${path} does not exist`);
    }
    const writable = where.kind === 'ref' && isDraftRef(where.ref);
    return directoryModel(path, writable, undefined, undefined, content);
  }

  /** Loads the next page of a folder; false when it had no more. */
  async loadMore(localPath: string): Promise<boolean> {
    const path = localPath.replace(/^\/+|\/+$/g, '');
    return this.pages.more(path, this._loader(parseDrivePath(path)));
  }

  async getDownloadUrl(localPath: string): Promise<string> {
    const where = this._refPath(localPath);
    return this._files.contentUrl(where.dataset, where.ref, where.path);
  }

  async newUntitled(
    options: Contents.ICreateOptions = {}
  ): Promise<Contents.IModel> {
    const where = this._draftPath(options.path ?? '');
    const info = await this._writes.untitled(
      scopedDataset(where.dataset, where.ref),
      where.path,
      options.type ?? 'file',
      options.ext
    );
    const model =
      options.type === 'directory'
        ? directoryModel(
            joinDrivePath(where.dataset, where.ref, dirName(info.path)),
            true
          )
        : fileModel(where.dataset, where.ref, info, this._kinds);
    this._changed('new', null, model, model.path);
    return model;
  }

  async delete(localPath: string): Promise<void> {
    const where = this._draftPath(localPath);
    const scoped = scopedDataset(where.dataset, where.ref);
    const file = await this._files.stat(where.dataset, where.ref, where.path);
    await this._files.remove(scoped, where.path, file === undefined);
    this._changed('delete', { path: localPath }, null, localPath);
  }

  async rename(
    oldLocalPath: string,
    newLocalPath: string
  ): Promise<Contents.IModel> {
    const from = this._draftPath(oldLocalPath);
    const to = this._draftPath(newLocalPath);
    if (from.dataset !== to.dataset || from.ref !== to.ref) {
      throw new Error(
        `${DRIVE_NAME}: a file moves only within one draft; copy it to ${to.dataset}@${to.ref} instead`
      );
    }
    const moved = await this._writes.move(
      this._client,
      { dataset: from.dataset, ref: from.ref },
      from.path,
      to.path
    );
    const model = moved
      ? fileModel(to.dataset, to.ref, moved, this._kinds)
      : directoryModel(newLocalPath, true);
    this._changed('rename', { path: oldLocalPath }, model, oldLocalPath);
    this.pages.invalidate(dirName(newLocalPath));
    return model;
  }

  async save(
    localPath: string,
    options: Partial<Contents.IModel> = {}
  ): Promise<Contents.IModel> {
    const where = this._draftPath(localPath);
    const scoped = scopedDataset(where.dataset, where.ref);
    let info: IFileInfo | undefined;
    if (options.type === 'directory') {
      info = await this._writes.folder(scoped, where.path);
    } else {
      const bytes = contentBytes(options.format ?? 'text', options.content);
      info =
        options.chunk === undefined
          ? await this._files.write(scoped, where.path, bytes)
          : await this._chunk(scoped, where.path, options.chunk, bytes);
    }
    const model = fileModel(
      where.dataset,
      where.ref,
      info ?? {
        path: where.path,
        size: 0,
        digest: '',
        mediaType: '',
        modifyTime: ''
      },
      this._kinds
    );
    if (info) {
      this._changed('save', null, model, localPath);
    }
    return model;
  }

  async copy(localPath: string, toLocalDir: string): Promise<Contents.IModel> {
    const from = this._refPath(localPath);
    const to = this._draftPath(toLocalDir, true);
    const info = await this._writes.copyFile(
      { dataset: from.dataset, ref: from.ref },
      from.path,
      scopedDataset(to.dataset, to.ref),
      to.path
    );
    const model = fileModel(to.dataset, to.ref, info, this._kinds);
    this._changed('new', null, model, model.path);
    return model;
  }

  /** Drafts are saved as they are written: checkpoints are the snapshots, taken on purpose. */
  async createCheckpoint(
    _localPath: string
  ): Promise<Contents.ICheckpointModel> {
    return { id: 'draft', last_modified: new Date().toISOString() };
  }

  async listCheckpoints(
    _localPath: string
  ): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  async restoreCheckpoint(
    _localPath: string,
    _checkpointID: string
  ): Promise<void> {
    throw new Error(
      `${DRIVE_NAME}: restore a snapshot into the draft from the dataset view instead`
    );
  }

  async deleteCheckpoint(
    _localPath: string,
    _checkpointID: string
  ): Promise<void> {
    return;
  }

  private async _chunk(
    scoped: string,
    path: string,
    chunk: number,
    bytes: Uint8Array<ArrayBuffer>
  ): Promise<IFileInfo | undefined> {
    const answer = await this._uploads.send(scoped, path, chunk, bytes);
    return chunk === -1 ? this._writes.parseInfo(answer, path) : undefined;
  }

  private async _fileWithContent(
    where: RefPath,
    file: IFileInfo,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const model = fileModel(where.dataset, where.ref, file, this._kinds);
    if (options?.content === false) {
      return model;
    }
    const format =
      options?.format ??
      this._kinds(file.path, file.mediaType).format ??
      'text';
    const response = await this._files.read(
      where.dataset,
      where.ref,
      where.path
    );
    if (format === 'base64') {
      const bytes = new Uint8Array(await response.arrayBuffer());
      return withContent(model, format, toBase64(bytes));
    }
    const text = await response.text();
    return withContent(
      model,
      format,
      format === 'json' ? (JSON.parse(text) as unknown) : text
    );
  }

  private _loader(where: DrivePath): PageLoader {
    switch (where.kind) {
      case 'root':
        return datasetsLoader(this._client);
      case 'dataset':
        return refsLoader(this._client, where.dataset);
      case 'ref':
        return folderLoader(
          this._client,
          this._kinds,
          where.dataset,
          where.ref,
          where.path
        );
    }
  }

  private _refPath(localPath: string): RefPath {
    const where = parseDrivePath(localPath);
    if (where.kind !== 'ref') {
      throw new Error(
        `${DRIVE_NAME}:${localPath} is not inside a ref of a dataset (e.g. iris@draft/)`
      );
    }
    return where;
  }

  /** The path as a place in a draft; a clear Error for a version, a tag or the dataset list. */
  private _draftPath(localPath: string, folderOk = false): RefPath {
    const where = parseDrivePath(localPath);
    if (where.kind !== 'ref') {
      throw new Error(
        `${DRIVE_NAME}: files are written inside a draft, e.g. ${
          where.kind === 'dataset' ? where.dataset : 'iris'
        }@draft/ — not at ${localPath || 'the top'}`
      );
    }
    if (!isDraftRef(where.ref)) {
      throw new Error(readOnlyMessage(where.dataset, where.ref));
    }
    if (!folderOk && where.path === '' && localPath.includes('/')) {
      throw new Error(`${DRIVE_NAME}:${localPath} names no file`);
    }
    return where;
  }

  private _changed(
    type: Contents.IChangedArgs['type'],
    oldValue: Partial<Contents.IModel> | null,
    newValue: Partial<Contents.IModel> | null,
    path: string
  ): void {
    this.pages.invalidate(dirName(path));
    this._fileChanged.emit({ type, oldValue, newValue });
  }

  private readonly _client: DatasetClient;
  private readonly _kinds: FileKinds;
  private readonly _files: DriveFiles;
  private readonly _writes: DriveWrites;
  private readonly _uploads: ChunkedUploads;
  private readonly _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
  private _isDisposed = false;
}
