/**
 * Where the kamld commands appear in JupyterLab: the command palette, the
 * launcher, the status bar and the context menus of the panel, the dataset
 * views, the file browser and the notebook. File › New and the shortcuts
 * are declared in schema/plugin.json.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';

import { CommandIds, PALETTE_CATEGORY, PALETTE_COMMANDS } from './commandIds';

/** Context-menu entries: selector → commands, in menu order. */
export const CONTEXT_MENUS: ReadonlyArray<{
  selector: string;
  commands: readonly string[];
  args?: Record<string, boolean>;
}> = [
  {
    selector: '.kamld-DatasetsPanel [data-kamld-dataset]',
    commands: [
      CommandIds.openDataset,
      CommandIds.queryDataset,
      CommandIds.insertDataset,
      CommandIds.copyDatasetId
    ]
  },
  {
    selector: '.kamld-DatasetView [data-kamld-file]',
    commands: [CommandIds.previewFile, CommandIds.downloadFile]
  },
  {
    selector: '.kamld-DatasetView [data-kamld-snapshot]',
    commands: [
      CommandIds.browseSnapshot,
      CommandIds.restoreSnapshot,
      CommandIds.tagSnapshot
    ]
  },
  {
    selector: '.kamld-DatasetsPanel [data-kamld-job]',
    commands: [CommandIds.showJob, CommandIds.cancelJob, CommandIds.copyJobId]
  },
  {
    selector: '.jp-Notebook',
    commands: [CommandIds.runAsJob],
    args: { currentNotebook: true }
  }
];

/** Rank of kamld's entries in JupyterLab's context menu (after the built-ins). */
const CONTEXT_RANK = 50;

export function addWorkbenchMenus(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  launcher: ILauncher | null
): void {
  for (const menu of CONTEXT_MENUS) {
    menu.commands.forEach((command, i) =>
      app.contextMenu.addItem({
        command,
        selector: menu.selector,
        rank: CONTEXT_RANK + i,
        ...(menu.args ? { args: menu.args } : {})
      })
    );
  }
  for (const command of PALETTE_COMMANDS) {
    palette?.addItem({
      command,
      category: PALETTE_CATEGORY,
      args: { isPalette: true }
    });
  }
  [
    CommandIds.sqlEditor,
    CommandIds.newDataset,
    CommandIds.openPanel,
    CommandIds.openJobs
  ].forEach((command, rank) =>
    launcher?.add({ command, category: PALETTE_CATEGORY, rank })
  );
}

/** Puts `item` on the right of the status bar, where it stays visible. */
export function addStatusItem(
  statusBar: IStatusBar | null,
  item: Widget
): void {
  statusBar?.registerStatusItem('kamld:status', {
    item,
    align: 'right',
    rank: 10
  });
}
