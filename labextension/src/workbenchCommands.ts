/**
 * The workbench's commands beyond opening things: the panel, search, SQL,
 * snapshots, and the actions of the panel's context menus (datasets, files,
 * snapshots, jobs). A context-menu command finds its target from the
 * `data-kamld-*` attribute of the element right-clicked, or from its args
 * (so the palette and tests can run it too).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Clipboard,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  copyIcon,
  downloadIcon,
  historyIcon,
  inspectorIcon,
  LabIcon,
  launchIcon,
  refreshIcon,
  runIcon,
  saveIcon,
  searchIcon,
  stopIcon,
  tableRowsIcon,
  tagIcon
} from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { CommandIds } from './commandIds';
import { DatasetsPanel } from './datasetsPanel';
import { DatasetViewWidget } from './datasetView';
import { datasetsIcon } from './icons';
import { isFinal } from './jobApi';
import { JobsModel } from './jobsModel';
import { isTabular } from './previewModel';
import { SqlEditorWidget } from './sqlEditor';

export interface IWorkbenchCommandsOptions {
  app: JupyterFrontEnd;
  trans: TranslationBundle;
  panel: DatasetsPanel;
  views: WidgetTracker<MainAreaWidget<DatasetViewWidget>>;
  sqlEditors: WidgetTracker<MainAreaWidget<SqlEditorWidget>>;
  jobs: JobsModel;
  /** Whether the sidecar is connected and serves datasets. */
  refresh: () => void;
  openDataset: (id: string) => void;
  /** Opens a job's tab. */
  openJob: (id: string) => void;
  openSqlEditor: (sql: string) => void;
  insertDataset: (id: string) => void;
}

/** The element right-clicked carrying `data-<key>`, if any. */
function hitNode(app: JupyterFrontEnd, key: string): HTMLElement | undefined {
  return app.contextMenuHitTest(node => node.dataset[key] !== undefined);
}

/** A string arg, else the right-clicked element's `data-<key>`, else ''. */
export function targetOf(
  app: JupyterFrontEnd,
  args: ReadonlyPartialJSONObject,
  arg: string,
  key: string
): string {
  const given = args[arg];
  if (typeof given === 'string' && given) {
    return given;
  }
  return hitNode(app, key)?.dataset[key] ?? '';
}

export function registerWorkbenchCommands(o: IWorkbenchCommandsOptions): void {
  registerPanelCommands(o);
  registerDatasetCommands(o);
  registerViewCommands(o);
  registerJobCommands(o);
}

function registerPanelCommands(o: IWorkbenchCommandsOptions): void {
  const { app, trans, panel } = o;
  app.commands.addCommand(CommandIds.openPanel, {
    label: trans.__('Datasets'),
    caption: trans.__('Show the kamld Datasets panel'),
    icon: datasetsIcon,
    execute: () => app.shell.activateById(panel.id)
  });
  app.commands.addCommand(CommandIds.focusSearch, {
    label: trans.__('Search Datasets'),
    caption: trans.__(
      'Show the Datasets panel with the cursor in its search box'
    ),
    icon: searchIcon,
    execute: () => {
      app.shell.activateById(panel.id);
      // The search box of the dataset list.
      const box = panel.node.querySelector<HTMLInputElement>(
        '.kamld-Search-input'
      );
      // After the frame: the palette, when it ran this, hands focus back as it closes.
      requestAnimationFrame(() => {
        box?.focus();
        box?.select();
      });
    }
  });
  app.commands.addCommand(CommandIds.refresh, {
    label: trans.__('Refresh Datasets and Jobs'),
    caption: trans.__('Check the kamld sidecar and reload the lists now'),
    icon: refreshIcon,
    execute: () => o.refresh()
  });
}

function registerDatasetCommands(o: IWorkbenchCommandsOptions): void {
  const { app, trans } = o;
  const dataset = (args: ReadonlyPartialJSONObject): string =>
    targetOf(app, args, 'id', 'kamldDataset') ||
    (o.views.currentWidget?.content.model.datasetId ?? '');
  app.commands.addCommand(CommandIds.queryDataset, {
    label: trans.__('Query with SQL'),
    caption: trans.__('Open a SQL editor over this dataset'),
    icon: tableRowsIcon,
    isEnabled: args => dataset(args) !== '',
    execute: args =>
      o.openSqlEditor(`SELECT *\nFROM "${dataset(args)}"\nLIMIT 100`)
  });
  app.commands.addCommand(CommandIds.insertDataset, {
    label: trans.__('Insert into Notebook'),
    caption: trans.__(
      'Add a cell that loads this dataset to the current notebook'
    ),
    icon: launchIcon,
    isEnabled: args => dataset(args) !== '',
    execute: args => o.insertDataset(dataset(args))
  });
  app.commands.addCommand(CommandIds.copyDatasetId, {
    label: trans.__('Copy Dataset Id'),
    caption: trans.__('Copy the dataset’s id to the clipboard'),
    icon: copyIcon,
    isEnabled: args => dataset(args) !== '',
    execute: args => Clipboard.copyToSystem(dataset(args))
  });
}

/** The dataset view holding the element right-clicked, else the current one. */
function viewOf(
  o: IWorkbenchCommandsOptions,
  node: HTMLElement | undefined
): DatasetViewWidget | undefined {
  const id =
    node?.closest<HTMLElement>('.kamld-DatasetView')?.dataset.kamldDataset;
  const view = id
    ? o.views.find(v => v.content.model.datasetId === id)
    : o.views.currentWidget;
  return view?.content;
}

/** The content of the tracker's widget when it is the main area's current tab. */
function inFocus<T extends Widget>(
  app: JupyterFrontEnd,
  tracker: WidgetTracker<MainAreaWidget<T>>
): T | undefined {
  const current = tracker.currentWidget;
  return current && app.shell.currentWidget === current
    ? current.content
    : undefined;
}

function registerViewCommands(o: IWorkbenchCommandsOptions): void {
  const { app, trans } = o;
  const currentSql = (): SqlEditorWidget | undefined =>
    inFocus(app, o.sqlEditors);
  app.commands.addCommand(CommandIds.runQuery, {
    label: trans.__('Run Query'),
    caption: trans.__('Run the query of the current SQL editor'),
    icon: runIcon,
    isEnabled: () => currentSql() !== undefined,
    execute: () => void currentSql()?.model.run()
  });
  const currentView = (): DatasetViewWidget | undefined =>
    inFocus(app, o.views);
  app.commands.addCommand(CommandIds.snapshot, {
    label: trans.__('Snapshot Dataset…'),
    caption: trans.__(
      'Record the draft of the current dataset as a new snapshot'
    ),
    icon: saveIcon,
    isEnabled: () => currentView() !== undefined,
    execute: () => currentView()?.snapshotDialog()
  });

  const file = (args: ReadonlyPartialJSONObject) => {
    const node = hitNode(app, 'kamldFile');
    return {
      path: targetOf(app, args, 'path', 'kamldFile'),
      view: viewOf(o, node)
    };
  };
  app.commands.addCommand(CommandIds.previewFile, {
    label: trans.__('Preview'),
    caption: trans.__('Show the first rows of this file at the ref shown'),
    icon: tableRowsIcon,
    isEnabled: args => isTabular(file(args).path),
    execute: args => {
      const { path, view } = file(args);
      return view?.model.preview.open(path, view.model.ref);
    }
  });
  app.commands.addCommand(CommandIds.downloadFile, {
    label: trans.__('Download'),
    caption: trans.__('Download this file at the ref shown'),
    icon: downloadIcon,
    isEnabled: args => file(args).path !== '',
    execute: args => {
      const { path, view } = file(args);
      if (!view || !path) {
        return;
      }
      const link = document.createElement('a');
      link.href = view.model.downloadUrl(path);
      link.download = path.split('/').pop() ?? path;
      link.click();
    }
  });

  const snapshot = (args: ReadonlyPartialJSONObject) => ({
    version: targetOf(app, args, 'version', 'kamldSnapshot'),
    view: viewOf(o, hitNode(app, 'kamldSnapshot'))
  });
  // One entry per action on a snapshot of a dataset view's history.
  const snapshotActions: Array<
    [
      string,
      string,
      string,
      LabIcon,
      (v: DatasetViewWidget, version: string) => unknown
    ]
  > = [
    [
      CommandIds.browseSnapshot,
      trans.__('Browse Files at This Snapshot'),
      trans.__('Show the files, schema and preview at this snapshot'),
      inspectorIcon,
      (v, version) => {
        v.model.setTab('files');
        return v.model.setRef(version);
      }
    ],
    [
      CommandIds.restoreSnapshot,
      trans.__('Restore into Draft…'),
      trans.__('Make the draft equal to this snapshot'),
      historyIcon,
      (v, version) => v.restoreDialog(version)
    ],
    [
      CommandIds.tagSnapshot,
      trans.__('Tag…'),
      trans.__('Give this snapshot a tag'),
      tagIcon,
      (v, version) => v.tagDialog(version)
    ]
  ];
  for (const [id, label, caption, icon, act] of snapshotActions) {
    app.commands.addCommand(id, {
      label,
      caption,
      icon,
      isEnabled: args => snapshot(args).version !== '',
      execute: async args => {
        const { version, view } = snapshot(args);
        if (view && version) {
          await act(view, version);
        }
      }
    });
  }
}

function registerJobCommands(o: IWorkbenchCommandsOptions): void {
  const { app, trans, jobs } = o;
  const jobId = (args: ReadonlyPartialJSONObject): string =>
    targetOf(app, args, 'id', 'kamldJob');
  const job = (args: ReadonlyPartialJSONObject) =>
    jobs.jobs.find(j => j.id === jobId(args));
  app.commands.addCommand(CommandIds.showJob, {
    label: args =>
      args.id
        ? trans.__('Open Job %1', String(args.id))
        : trans.__('Show Details and Log'),
    caption: trans.__('Open this job’s events, outputs and log in a tab'),
    icon: inspectorIcon,
    describedBy: {
      args: { type: 'object', properties: { id: { type: 'string' } } }
    },
    isEnabled: args => jobId(args) !== '',
    execute: args => o.openJob(jobId(args))
  });
  app.commands.addCommand(CommandIds.cancelJob, {
    label: trans.__('Cancel Job'),
    caption: trans.__('Stop this job'),
    icon: stopIcon,
    isEnabled: args => {
      const found = job(args);
      return found !== undefined && !isFinal(found);
    },
    execute: async args => {
      const found = job(args);
      if (!found) {
        return;
      }
      const error = await jobs.cancel(found.id);
      if (error) {
        Notification.error(
          trans.__('Could not cancel %1: %2', found.name, error)
        );
      }
    }
  });
  app.commands.addCommand(CommandIds.copyJobId, {
    label: trans.__('Copy Job Id'),
    caption: trans.__('Copy the job’s id to the clipboard'),
    icon: copyIcon,
    isEnabled: args => job(args) !== undefined,
    execute: args => Clipboard.copyToSystem(job(args)?.id ?? '')
  });
}
