/**
 * The `kamld:` drive's file browser: a second JupyterLab FileBrowser on the
 * drive, in the left area with its own icon, with a toolbar (new folder, new
 * file, upload, refresh, a server-side filter box, load more) and the next
 * page of a long folder loaded when the listing is scrolled to its end.
 */
import {
  FileBrowser,
  IFileBrowserFactory,
  Uploader
} from '@jupyterlab/filebrowser';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import {
  newFolderIcon,
  refreshIcon,
  ToolbarButton
} from '@jupyterlab/ui-components';

import { DriveFilterBox } from './driveFilter';
import { driveIcon } from './driveIcon';
import { followWrites } from './followWrites';
import { DRIVE_NAME } from './drivePath';
import { KamldDrive } from './kamldDrive';

export const DRIVE_BROWSER_ID = 'kamld-drive-browser';
/** Pixels from the end of the listing at which the next page is asked for. */
const LOAD_AHEAD_PX = 200;
/** The drive is polled less often than the local disk: each poll is a request to the API. */
const REFRESH_INTERVAL_MS = 30_000;

export function createDriveBrowser(
  factory: IFileBrowserFactory,
  drive: KamldDrive,
  translator: ITranslator,
  trans: TranslationBundle
): FileBrowser {
  const browser = factory.createFileBrowser(DRIVE_BROWSER_ID, {
    driveName: DRIVE_NAME,
    refreshInterval: REFRESH_INTERVAL_MS,
    restore: true
  });
  browser.addClass('kamld-DriveBrowser');
  browser.title.icon = driveIcon;
  browser.title.caption = trans.__('Datasets as files (kamld:)');
  browser.showFileFilter = false;
  browser.showFileSizeColumn = true;
  const local = (): string => browser.model.path.replace(/^kamld:/, '');
  // cd('.') rather than refresh(): the poll drops a refresh while one is in flight.
  followWrites(drive, local, () => browser.model.cd('.'));

  const loadMore = new ToolbarButton({
    className: 'kamld-DriveLoadMore',
    label: trans.__('Load more'),
    tooltip: trans.__('Load the next page of this folder'),
    enabled: false,
    onClick: () => void nextPage()
  });
  loadMore.hide();
  let loading = false;
  const nextPage = async (): Promise<void> => {
    if (loading || !drive.pages.hasMore(local())) {
      return;
    }
    loading = true;
    try {
      if (await drive.loadMore(local())) {
        await browser.model.refresh();
      }
    } finally {
      loading = false;
    }
  };
  const filter = new DriveFilterBox(trans, value => {
    drive.pages.setFilter(local(), value);
    void browser.model.refresh();
  });
  browser.model.refreshed.connect(() => {
    const more = drive.pages.hasMore(local());
    loadMore.enabled = more;
    loadMore.setHidden(!more);
    filter.value = drive.pages.filter(local());
  });

  browser.toolbar.addItem(
    'new-folder',
    new ToolbarButton({
      icon: newFolderIcon,
      tooltip: trans.__('New folder (in a draft)'),
      onClick: () => void browser.createNewDirectory()
    })
  );
  browser.toolbar.addItem(
    'upload',
    new Uploader({ model: browser.model, translator })
  );
  browser.toolbar.addItem(
    'refresh',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip: trans.__('Reload this folder from the server'),
      onClick: () => {
        drive.pages.invalidate(local());
        void browser.model.refresh();
      }
    })
  );
  browser.toolbar.addItem('filter', filter);
  browser.toolbar.addItem('load-more', loadMore);

  // The listing's scrolling element exists once the browser is attached.
  browser.node.addEventListener(
    'scroll',
    event => {
      const el = event.target as HTMLElement;
      if (
        el.classList?.contains('jp-DirListing-content') &&
        el.scrollTop + el.clientHeight >= el.scrollHeight - LOAD_AHEAD_PX
      ) {
        void nextPage();
      }
    },
    true
  );
  return browser;
}
