/**
 * The pages of each folder the drive has shown. A folder's first `get()`
 * loads one page from the server; `more()` adds the next one when the user
 * scrolls to the end or asks for more, so a folder of 100,000 files is never
 * loaded whole. A filter narrows on the server and starts again at page one.
 */
import type { Contents } from '@jupyterlab/services';

export interface IListingPage {
  items: Contents.IModel[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** Loads one page of a folder: from the start for `''`, else after the token. */
export type PageLoader = (
  pageToken: string,
  filter: string
) => Promise<IListingPage>;

interface IFolderPages {
  items: Contents.IModel[];
  nextPageToken: string;
  filter: string;
}

export class ListingPages {
  /** The items loaded so far: the cached pages, or the first page when none is. */
  async items(path: string, load: PageLoader): Promise<Contents.IModel[]> {
    const epoch = this._epoch;
    this._listedAt.set(path, epoch);
    const cached = this._folders.get(path);
    if (cached) {
      return cached.items;
    }
    const filter = this._filters.get(path) ?? '';
    const page = await load('', filter);
    // A write that invalidated the folder while this page was on its way makes the page stale: show it this
    // once, but do not keep it, or every later refresh would show the file the write removed.
    if (epoch === this._epoch) {
      this._folders.set(path, { ...page, filter });
    }
    return page.items;
  }

  /** Adds the next page of a folder; false when there was none to add. */
  async more(path: string, load: PageLoader): Promise<boolean> {
    const folder = this._folders.get(path);
    if (!folder || !folder.nextPageToken) {
      return false;
    }
    const page = await load(folder.nextPageToken, folder.filter);
    // A concurrent refresh may have replaced the folder meanwhile: append only to the one this page continues.
    if (this._folders.get(path) === folder) {
      folder.items = folder.items.concat(page.items);
      folder.nextPageToken = page.nextPageToken;
    }
    return true;
  }

  /** Counts invalidations and filter changes; a write reads it after its invalidation. */
  get epoch(): number {
    return this._epoch;
  }

  /** Whether the last listing of `path` began at or after `epoch` (so it shows every write before it). */
  listedSince(path: string, epoch: number): boolean {
    return (this._listedAt.get(path) ?? -1) >= epoch;
  }

  hasMore(path: string): boolean {
    return !!this._folders.get(path)?.nextPageToken;
  }

  filter(path: string): string {
    return this._filters.get(path) ?? '';
  }

  /** Narrows a folder to names containing `filter`; its pages load again from the first. */
  setFilter(path: string, filter: string): void {
    if (filter) {
      this._filters.set(path, filter);
    } else {
      this._filters.delete(path);
    }
    this._folders.delete(path);
    this._epoch++;
  }

  /** Forgets the pages of `path` (after a write into it), or of every folder. */
  invalidate(path?: string): void {
    this._epoch++;
    if (path === undefined) {
      this._folders.clear();
    } else {
      this._folders.delete(path);
    }
  }

  private readonly _folders = new Map<string, IFolderPages>();
  private readonly _filters = new Map<string, string>();
  /** The epoch at which each folder's last listing began. */
  private readonly _listedAt = new Map<string, number>();
  /** Counts invalidations and filter changes, so a load can tell it was overtaken by one. */
  private _epoch = 0;
}
