/**
 * The drive's writes that take more than one request: new untitled files and
 * folders (a name that is free), copies (from any ref into a draft) and moves
 * (copy, then delete; the API has no rename, and a folder moves file by file).
 * Datasets hold files, not folders: a new folder holds an empty `.keep` file.
 */
import { DatasetClient, IFileInfo, parseFileInfo } from '../datasetApi';
import { DriveFiles } from './driveApi';
import { baseName, scopedDataset } from './drivePath';

/** The file that makes a new, empty folder exist in a dataset. */
export const FOLDER_KEEP = '.keep';
const MAX_NAME_TRIES = 100;
const MOVE_PAGE = 1000;

const EMPTY_NOTEBOOK = {
  cells: [],
  metadata: {},
  nbformat: 4,
  nbformat_minor: 5
};

interface IRef {
  dataset: string;
  ref: string;
}

function join(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name;
}

/** `name` with `suffix` before its extension: `a.csv` → `a-Copy1.csv`. */
export function withSuffix(name: string, suffix: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0
    ? `${name.slice(0, dot)}${suffix}${name.slice(dot)}`
    : `${name}${suffix}`;
}

export class DriveWrites {
  constructor(files: DriveFiles) {
    this._files = files;
  }

  parseInfo(answer: unknown, path: string): IFileInfo {
    const info = parseFileInfo(answer);
    if (!info) {
      throw new Error(`uploading ${path}: the answer is not a file`);
    }
    return info;
  }

  /** A new file, notebook or folder in `folder` under the first free name. */
  async untitled(
    scoped: string,
    folder: string,
    type: string,
    ext?: string
  ): Promise<IFileInfo> {
    const stem =
      type === 'directory'
        ? 'Untitled Folder'
        : type === 'notebook'
          ? 'Untitled'
          : 'untitled';
    const extension =
      type === 'directory'
        ? ''
        : type === 'notebook'
          ? '.ipynb'
          : ext || '.txt';
    const body =
      type === 'notebook'
        ? new TextEncoder().encode(JSON.stringify(EMPTY_NOTEBOOK, null, 1))
        : new Uint8Array();
    for (let i = 0; i < MAX_NAME_TRIES; i++) {
      const name = `${stem}${i === 0 ? '' : i}${extension}`;
      const path =
        type === 'directory'
          ? join(join(folder, name), FOLDER_KEEP)
          : join(folder, name);
      const info = await this._files.write(scoped, path, body, true);
      if (info) {
        return info;
      }
    }
    throw new Error(`no free name for a new ${type} in ${scoped}/${folder}`);
  }

  /** A folder made to exist by its `.keep` file (a save of type directory). */
  async folder(scoped: string, path: string): Promise<IFileInfo | undefined> {
    return this._files.write(
      scoped,
      join(path, FOLDER_KEEP),
      new Uint8Array(),
      true
    );
  }

  /** Copies a file at any ref into `folder` of a draft, as `name-Copy1.ext` (the first free). */
  async copyFile(
    from: IRef,
    path: string,
    toScoped: string,
    folder: string
  ): Promise<IFileInfo> {
    const blob = await (
      await this._files.read(from.dataset, from.ref, path)
    ).blob();
    for (let i = 1; i <= MAX_NAME_TRIES; i++) {
      const target = join(folder, withSuffix(baseName(path), `-Copy${i}`));
      const info = await this._files.write(toScoped, target, blob, true);
      if (info) {
        return info;
      }
    }
    throw new Error(`no free name to copy ${path} into ${toScoped}/${folder}`);
  }

  /**
   * Moves a file, or every file of a folder, within a draft; resolves with
   * the moved file's info, or undefined for a folder.
   */
  async move(
    client: DatasetClient,
    where: IRef,
    from: string,
    to: string
  ): Promise<IFileInfo | undefined> {
    const scoped = scopedDataset(where.dataset, where.ref);
    if (await this._files.stat(where.dataset, where.ref, to)) {
      throw new Error(`${where.dataset}@${where.ref}/${to} exists already`);
    }
    const file = await this._files.stat(where.dataset, where.ref, from);
    if (file) {
      return this._moveOne(where, scoped, from, to);
    }
    for (const path of await this._filesUnder(client, where, from)) {
      await this._moveOne(where, scoped, path, to + path.slice(from.length));
    }
    return undefined;
  }

  private async _moveOne(
    where: IRef,
    scoped: string,
    from: string,
    to: string
  ): Promise<IFileInfo> {
    const blob = await (
      await this._files.read(where.dataset, where.ref, from)
    ).blob();
    const info = await this._files.write(scoped, to, blob, true);
    if (!info) {
      throw new Error(`${where.dataset}@${where.ref}/${to} exists already`);
    }
    await this._files.remove(scoped, from, false);
    return info;
  }

  /** Every file below a folder, all pages (read before any is moved). */
  private async _filesUnder(
    client: DatasetClient,
    where: IRef,
    folder: string
  ): Promise<string[]> {
    const paths: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await client.listFiles(where.dataset, {
        ref: where.ref,
        prefix: `${folder}/`,
        recursive: true,
        pageSize: MOVE_PAGE,
        pageToken
      });
      if (!page.ok) {
        throw new Error(`moving ${folder}: ${page.failure.message}`);
      }
      paths.push(...page.value.files.map(f => f.path));
      pageToken = page.value.nextPageToken || undefined;
    } while (pageToken);
    if (paths.length === 0) {
      throw new Error(`${where.dataset}@${where.ref}/${folder} does not exist`);
    }
    return paths;
  }

  private readonly _files: DriveFiles;
}
