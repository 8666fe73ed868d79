/**
 * The paths of the `kamld:` drive, the same short refs the Python client and
 * the magics read (docs/drive.md): `""` lists datasets, `iris` lists its refs,
 * `iris@v1` is the root of a ref and `iris@v1/data/train.csv` a file in it.
 * No JupyterLab imports: jest tests this directly.
 */

/** The drive's name: JupyterLab shows its paths as `kamld:iris@v1/iris.csv`. */
export const DRIVE_NAME = 'kamld';

export type DrivePath =
  | { kind: 'root' }
  | { kind: 'dataset'; dataset: string }
  | { kind: 'ref'; dataset: string; ref: string; path: string };

/** Parses a drive-local path (without `kamld:`); throws an Error saying what is wrong. */
export function parseDrivePath(localPath: string): DrivePath {
  const clean = localPath.replace(/^\/+|\/+$/g, '');
  if (clean === '') {
    return { kind: 'root' };
  }
  const slash = clean.indexOf('/');
  const head = slash < 0 ? clean : clean.slice(0, slash);
  const path = slash < 0 ? '' : clean.slice(slash + 1);
  const at = head.indexOf('@');
  if (at < 0) {
    if (path !== '') {
      throw new Error(
        `"${localPath}" names no ref: files live under a ref, e.g. ${head}@draft/${path}`
      );
    }
    return { kind: 'dataset', dataset: head };
  }
  const ref = head.slice(at + 1);
  if (ref === '') {
    throw new Error(`"${localPath}" has an empty ref after "@"`);
  }
  return { kind: 'ref', dataset: head.slice(0, at), ref, path };
}

/** Whether a ref is a draft (`draft`, `exp~draft`): the only place writes go. */
export function isDraftRef(ref: string): boolean {
  return ref === 'draft' || ref.endsWith('~draft');
}

/**
 * The dataset name write requests take for a draft ref: `iris` for `draft`,
 * `iris@exp` for `exp~draft` (docs/branches.md).
 */
export function scopedDataset(dataset: string, ref: string): string {
  if (ref === 'draft' || ref === 'main~draft') {
    return dataset;
  }
  return `${dataset}@${ref.slice(0, -'~draft'.length)}`;
}

/** The drive path of a ref's file or folder. */
export function joinDrivePath(dataset: string, ref: string, path = ''): string {
  return path ? `${dataset}@${ref}/${path}` : `${dataset}@${ref}`;
}

/** The last segment of a path. */
export function baseName(path: string): string {
  const clean = path.replace(/\/+$/, '');
  return clean.slice(clean.lastIndexOf('/') + 1);
}

/** The folder holding a path, '' at the top. */
export function dirName(path: string): string {
  const clean = path.replace(/\/+$/, '');
  const slash = clean.lastIndexOf('/');
  return slash < 0 ? '' : clean.slice(0, slash);
}

/** Python that loads a drive path in a notebook (the same path, as it is). */
export function loadCode(globalPath: string): string {
  return `import kamld\ndf = kamld.load(${JSON.stringify(globalPath)})\ndf.head()`;
}

/** The message a write into a snapshot or tag answers with. */
export function readOnlyMessage(dataset: string, ref: string): string {
  return (
    `${dataset}@${ref} is a recorded version and is read-only. ` +
    `Save into the draft instead (${dataset}@draft), e.g. with Save As or by copying the file there.`
  );
}
