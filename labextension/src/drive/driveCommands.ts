/**
 * Context-menu commands on the kamld: drive browser's items: Copy Path, Copy
 * Load Code, Open in SQL Editor (tabular files), Show in Dataset View,
 * Snapshot (in a draft) and Compare with Draft (in a version). Opening a
 * dataset view and a SQL editor reuse the workbench's own commands.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, InputDialog, Notification } from '@jupyterlab/apputils';
import { FileBrowser } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  copyIcon,
  historyIcon,
  saveIcon,
  tableRowsIcon
} from '@jupyterlab/ui-components';

import { CommandIds } from '../commandIds';
import { DatasetClient } from '../datasetApi';
import { datasetsIcon } from '../icons';
import { isTabular } from '../previewModel';
import { showDraftComparison } from './driveCompare';
import {
  DRIVE_NAME,
  DrivePath,
  isDraftRef,
  loadCode,
  parseDrivePath,
  scopedDataset
} from './drivePath';
import { DriveCommandIds } from './driveCommandIds';

const ITEM = '.kamld-DriveBrowser .jp-DirListing-item';

interface ISelection {
  /** `kamld:iris@v1/iris.csv`, as the browser shows it and the kernel reads it. */
  globalPath: string;
  where: DrivePath;
}

/** Registers the commands and their context-menu entries on the drive browser's items. */
export function registerDriveCommands(
  app: JupyterFrontEnd,
  browser: FileBrowser,
  client: DatasetClient,
  trans: TranslationBundle
): void {
  const selected = (): ISelection | undefined => {
    const item = browser.selectedItems().next();
    if (!item || item.done || !item.value) {
      return undefined;
    }
    const local = app.serviceManager.contents.localPath(item.value.path);
    return {
      globalPath: `${DRIVE_NAME}:${local}`,
      where: parseDrivePath(local)
    };
  };
  const datasetOf = (s?: ISelection): string =>
    s && s.where.kind !== 'root' ? s.where.dataset : '';
  const refOf = (s?: ISelection): string =>
    s?.where.kind === 'ref' ? s.where.ref : '';

  app.commands.addCommand(DriveCommandIds.copyPath, {
    label: trans.__('Copy kamld: Path'),
    caption: trans.__('The path kamld.load, kamld.open and %kamld read'),
    icon: copyIcon,
    isEnabled: () => datasetOf(selected()) !== '',
    execute: () => {
      const s = selected();
      if (s) {
        Clipboard.copyToSystem(s.globalPath);
      }
    }
  });
  app.commands.addCommand(DriveCommandIds.copyLoadCode, {
    label: trans.__('Copy Load Code'),
    caption: trans.__('Python that loads this into a DataFrame'),
    icon: copyIcon,
    isEnabled: () => datasetOf(selected()) !== '',
    execute: () => {
      const s = selected();
      if (s) {
        Clipboard.copyToSystem(loadCode(s.globalPath));
      }
    }
  });
  app.commands.addCommand(DriveCommandIds.openSql, {
    label: trans.__('Open in SQL Editor'),
    icon: tableRowsIcon,
    isVisible: () => {
      const s = selected();
      return s?.where.kind === 'ref' && isTabular(s.where.path);
    },
    execute: () => {
      const s = selected();
      if (s?.where.kind === 'ref') {
        const table = s.where.path
          .replace(/\.[^./]+$/, '')
          .replace(/\//g, '__');
        const sql = `SELECT *\nFROM "${s.where.dataset}@${s.where.ref}"."${table}"\nLIMIT 100`;
        return app.commands.execute(CommandIds.sqlEditor, { sql });
      }
      return undefined;
    }
  });
  app.commands.addCommand(DriveCommandIds.showDataset, {
    label: trans.__('Show in Dataset View'),
    icon: datasetsIcon,
    isEnabled: () => datasetOf(selected()) !== '',
    execute: () =>
      app.commands.execute(CommandIds.openDataset, {
        id: datasetOf(selected())
      })
  });
  app.commands.addCommand(DriveCommandIds.snapshot, {
    label: trans.__('Snapshot Draft…'),
    caption: trans.__('Record this draft as a new version'),
    icon: saveIcon,
    isVisible: () => isDraftRef(refOf(selected())),
    execute: async () => {
      const s = selected();
      if (s?.where.kind !== 'ref') {
        return;
      }
      const scoped = scopedDataset(s.where.dataset, s.where.ref);
      const message = await InputDialog.getText({
        title: trans.__('Snapshot %1', scoped),
        label: trans.__('Message'),
        placeholder: trans.__('What changed')
      });
      if (!message.button.accept) {
        return;
      }
      const result = await client.createSnapshot(scoped, message.value ?? '');
      if (result.ok) {
        Notification.success(
          trans.__('%1 recorded as %2', scoped, result.value.version),
          { autoClose: 5000 }
        );
        await browser.model.refresh();
      } else {
        Notification.error(
          trans.__('Snapshot failed: %1', result.failure.message)
        );
      }
    }
  });
  app.commands.addCommand(DriveCommandIds.compareWithDraft, {
    label: trans.__('Compare with Draft'),
    icon: historyIcon,
    isVisible: () => {
      const ref = refOf(selected());
      return ref !== '' && !isDraftRef(ref);
    },
    execute: () => {
      const s = selected();
      if (s?.where.kind === 'ref') {
        return showDraftComparison(client, s.where.dataset, s.where.ref, trans);
      }
      return undefined;
    }
  });

  const entries = [
    DriveCommandIds.copyPath,
    DriveCommandIds.copyLoadCode,
    DriveCommandIds.openSql,
    DriveCommandIds.showDataset,
    DriveCommandIds.snapshot,
    DriveCommandIds.compareWithDraft
  ];
  entries.forEach((command, i) =>
    app.contextMenu.addItem({ command, selector: ITEM, rank: 60 + i })
  );
}
