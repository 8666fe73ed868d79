/**
 * Keeps the drive browser's open folder in step with the drive's own writes.
 * JupyterLab's FileBrowserModel misses them on a named drive: it prefixes the
 * drive name to a path the ContentsManager has already made global, so its
 * comparison never matches and a deleted file stayed listed until the next
 * poll. After a write into the open folder, this lists it again until the
 * listing shown began after the write (one already in flight may not have).
 */
import type { Contents } from '@jupyterlab/services';
import type { ISignal } from '@lumino/signaling';

import { dirName } from './drivePath';
import type { ListingPages } from './listingPages';

/** At most this many listings per write: one in flight, one after it, one spare. */
const MAX_RELISTS = 3;

export interface IWriteFollower {
  fileChanged: ISignal<unknown, Contents.IChangedArgs>;
  pages: ListingPages;
}

export function followWrites(
  drive: IWriteFollower,
  openFolder: () => string,
  relist: () => Promise<void>
): void {
  drive.fileChanged.connect((_, change) => {
    const folder = openFolder();
    const touched = [change.oldValue?.path, change.newValue?.path].some(
      path => typeof path === 'string' && dirName(path) === folder
    );
    if (touched) {
      void relistUntilCurrent(drive.pages, folder, relist);
    }
  });
}

async function relistUntilCurrent(
  pages: ListingPages,
  folder: string,
  relist: () => Promise<void>
): Promise<void> {
  const wrote = pages.epoch;
  for (let i = 0; i < MAX_RELISTS && !pages.listedSince(folder, wrote); i++) {
    await relist();
  }
}
