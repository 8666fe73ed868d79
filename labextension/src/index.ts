/**
 * kamld:plugin — adds the Datasets panel to the left sidebar (the sidecar
 * connection and the dataset list), keeps it connected to the kamld sidecar
 * through the kamld server extension, and opens dataset views in the main
 * area.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Clipboard,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Debouncer } from '@lumino/polling';
import {
  addIcon,
  fileUploadIcon,
  refreshIcon,
  tableRowsIcon,
  ToolbarButton
} from '@jupyterlab/ui-components';

import { AccessClient } from './accessApi';
import { addToDatasetDialog, runWorkspaceUpload } from './addToDataset';
import { KamldClient } from './api';
import { ChangeFeed } from './changeFeed';
import { CommandIds } from './commandIds';
import {
  ConnectionModel,
  DEFAULT_POLL_SETTINGS,
  IPollSettings
} from './connectionModel';
import { DatasetClient, IDataset } from './datasetApi';
import { DRAFT_REF, loadCell } from './datasetModel';
import { DatasetDrag } from './datasetDrag';
import { DatasetsPanel } from './datasetsPanel';
import { DatasetBrowserModel } from './datasetBrowserModel';
import { DATASET_PAGE_SIZE, DatasetListModel } from './datasetListModel';
import { DatasetsSectionWidget } from './datasetsSection';
import { SearchClient } from './searchApi';
import { shareDialog } from './shareDialog';
import { SearchModel } from './searchModel';
import { DatasetViewWidget } from './datasetView';
import { DatasetViewModel } from './datasetViewModel';
import { drivePlugin } from './drive/drivePlugin';
import { datasetsIcon } from './icons';
import { setupJobs } from './jobsPlugin';
import { setupPipelines } from './pipelines/plugin';
import { NotebookInserter } from './notebookInsert';
import { setupPlatform } from './platform/platformPlugin';
import { setupAudit } from './audit/auditPlugin';
import { SqlCatalog } from './sqlCatalog';
import { SqlEditorWidget } from './sqlEditor';
import { SqlEditorModel } from './sqlEditorModel';
import { KamldStatusItem } from './statusItem';
import { parsePerson, people } from './people';
import { jupyterTransport, uploadWithProgress } from './transport';
import { EXTENSION_VERSION } from './version';
import { registerWorkbenchCommands, targetOf } from './workbenchCommands';
import { addStatusItem, addWorkbenchMenus } from './workbenchMenus';

export const PLUGIN_ID = 'kamld:plugin';

export { CommandIds };

/** Changes that arrive within this many ms reload the lists once. */
const CHANGE_DEBOUNCE_MS = 150;

/** How soon a live reload held back by an open dialog tries again. */
const DIALOG_RETRY_MS = 1000;

/** Where the panel sits among the left sidebar's tabs (after the built-ins). */
const SIDEBAR_RANK = 600;

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'The Datasets panel (sidecar connection and dataset list) and the dataset views.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ISettingRegistry,
    ITranslator,
    IDefaultFileBrowser,
    ICommandPalette,
    ILauncher,
    IStatusBar
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    fileBrowser: IDefaultFileBrowser | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    statusBar: IStatusBar | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('kamld');
    const connection = new ConnectionModel({
      client: new KamldClient({
        serverSettings: app.serviceManager.serverSettings
      }),
      trans,
      extensionVersion: EXTENSION_VERSION
    });
    const panel = new DatasetsPanel(connection, trans);
    panel.disposed.connect(() => connection.dispose());

    const serverSettings = app.serviceManager.serverSettings;
    // Who the panel acts as (the same account as the kernels), shown by display name.
    void jupyterTransport(serverSettings)(
      `${serverSettings.baseUrl}kamld/whoami`,
      {}
    )
      .then(response => (response.ok ? response.json() : undefined))
      .then(body => {
        const person = parsePerson(body);
        if (person) {
          people.add(person);
        }
      })
      .catch(() => undefined);
    const datasetClient = new DatasetClient({
      baseUrl: serverSettings.baseUrl,
      transport: jupyterTransport(serverSettings)
    });
    const accessClient = new AccessClient({
      baseUrl: serverSettings.baseUrl,
      transport: jupyterTransport(serverSettings)
    });
    const datasetList = new DatasetListModel(datasetClient);
    const inserter = new NotebookInserter(
      app,
      () => fileBrowser?.model.path ?? ''
    );
    const views = new WidgetTracker<MainAreaWidget<DatasetViewWidget>>({
      namespace: 'kamld-dataset'
    });

    const insertLoadCell = (datasetId: string, ref: string): void => {
      inserter
        .insert(loadCell(datasetId, ref))
        .catch(reason =>
          Notification.error(
            trans.__('Could not insert into a notebook: %1', String(reason))
          )
        );
    };

    const openDataset = (id: string, ref?: string): void => {
      const existing = views.find(view => view.content.model.datasetId === id);
      if (existing) {
        app.shell.activateById(existing.id);
        if (ref && existing.content.model.ref !== ref) {
          existing.content.model.setTab('files');
          void existing.content.model.setRef(ref);
        }
        return;
      }
      const model = new DatasetViewModel(
        id,
        datasetClient,
        (url, body, onProgress) =>
          uploadWithProgress({
            url,
            body,
            settings: serverSettings,
            onProgress
          }),
        trans
      );
      model.datasetChanged.connect((_, dataset) => datasetList.upsert(dataset));
      const content = new DatasetViewWidget(
        model,
        {
          insertIntoNotebook: insertLoadCell,
          openDataset,
          openJob: jobId =>
            void app.commands.execute(CommandIds.showJob, { id: jobId }),
          copyToClipboard: text => {
            Clipboard.copyToSystem(text);
            Notification.info(trans.__('Load code copied.'), {
              autoClose: 2000
            });
          }
        },
        trans
      );
      const view = new MainAreaWidget({ content });
      view.addClass('kamld-DatasetViewArea');
      view.id = `kamld-dataset-${id}`;
      // The tab names the ref it shows: `iris` (the draft) or `iris@v2`.
      const retitle = (): void => {
        view.title.label = model.ref === DRAFT_REF ? id : `${id}@${model.ref}`;
        view.title.caption = trans.__('Dataset %1 at %2', id, model.ref);
      };
      retitle();
      model.changed.connect(retitle);
      view.title.icon = datasetsIcon;
      view.title.closable = true;
      view.toolbar.addItem(
        'refresh',
        new ToolbarButton({
          className: 'kamld-RefreshButton',
          icon: refreshIcon,
          tooltip: trans.__('Reload the dataset'),
          onClick: () => void model.refresh()
        })
      );
      view.toolbar.addItem(
        'snapshot',
        new ToolbarButton({
          className: 'kamld-SnapshotButton',
          label: trans.__('Snapshot…'),
          tooltip: trans.__('Record the draft as a new snapshot'),
          onClick: () => void content.snapshotDialog()
        })
      );
      view.toolbar.addItem(
        'share',
        new ToolbarButton({
          className: 'kamld-ShareButton',
          label: trans.__('Share…'),
          tooltip: trans.__('Who can read and change this dataset'),
          onClick: () => void shareDialog(accessClient, id, trans)
        })
      );
      view.toolbar.addItem(
        'sql',
        new ToolbarButton({
          className: 'kamld-SqlButton',
          label: trans.__('SQL'),
          tooltip: trans.__('Query this dataset with SQL'),
          onClick: () => openSqlEditor(`SELECT *\nFROM "${id}"\nLIMIT 100`)
        })
      );
      view.toolbar.addItem(
        'insert',
        new ToolbarButton({
          className: 'kamld-InsertButton',
          icon: addIcon,
          label: trans.__('Insert into notebook'),
          tooltip: trans.__(
            'Add a cell that loads this dataset at the ref shown (or its newest snapshot)'
          ),
          onClick: () => content.insertIntoNotebook()
        })
      );
      void views.add(view);
      app.shell.add(view, 'main');
      app.shell.activateById(view.id);
      void model.refresh().then(() => {
        if (ref) {
          model.setTab('files');
          void model.setRef(ref);
        }
      });
    };

    const sqlEditors = new WidgetTracker<MainAreaWidget<SqlEditorWidget>>({
      namespace: 'kamld-sql'
    });
    let sqlEditorCount = 0;
    const openSqlEditor = (sql: string): void => {
      const model = new SqlEditorModel(
        serverSettings.baseUrl,
        jupyterTransport(serverSettings),
        trans,
        sql
      );
      const view = new MainAreaWidget({
        content: new SqlEditorWidget(
          model,
          trans,
          new SqlCatalog(
            serverSettings.baseUrl,
            jupyterTransport(serverSettings)
          )
        )
      });
      view.addClass('kamld-SqlEditorArea');
      view.id = `kamld-sql-${++sqlEditorCount}`;
      view.title.label = trans.__('SQL %1', sqlEditorCount);
      view.title.caption = trans.__('SQL over datasets');
      view.title.icon = datasetsIcon;
      view.title.closable = true;
      void sqlEditors.add(view);
      app.shell.add(view, 'main');
      app.shell.activateById(view.id);
    };
    app.commands.addCommand(CommandIds.sqlEditor, {
      // JupyterLab's convention: "New …" in the palette, the bare noun in the launcher and File › New.
      label: args =>
        args.isPalette ? trans.__('New SQL Editor') : trans.__('SQL Editor'),
      caption: trans.__('Query datasets with SQL'),
      icon: tableRowsIcon,
      execute: args => openSqlEditor(String(args.sql ?? ''))
    });

    const searchClient = new SearchClient({
      baseUrl: serverSettings.baseUrl,
      transport: jupyterTransport(serverSettings)
    });
    const browser = new DatasetBrowserModel(
      datasetList,
      new SearchModel(searchClient)
    );
    const section = new DatasetsSectionWidget({
      connection,
      client: datasetClient,
      model: browser,
      trans,
      suggest: async (field, prefix) => {
        const result = await searchClient.suggest(field, prefix);
        return result.ok ? result.value : [];
      },
      open: openDataset
    });
    panel.addSection(section);
    panel.addRefreshHandler(() => section.reload());
    panel.disposed.connect(() => browser.dispose());

    // Live: anything written to a dataset (here, in a notebook, by a job) reloads the lists and open views.
    const feed = new ChangeFeed(
      serverSettings.baseUrl,
      jupyterTransport(serverSettings)
    );
    const reloadAll: Debouncer = new Debouncer(() => {
      // Never under someone typing in a dialog: a re-render could move their focus. Later, then.
      if (document.querySelector('.jp-Dialog')) {
        window.setTimeout(() => void reloadAll.invoke(), DIALOG_RETRY_MS);
        return;
      }
      section.reload();
      views.forEach(view => void view.content.model.refresh(true));
    }, CHANGE_DEBOUNCE_MS);
    feed.changed.connect(() => void reloadAll.invoke());
    feed.start();
    panel.disposed.connect(() => {
      feed.stop();
      reloadAll.dispose();
    });

    // From the palette or the restorer with args.id; from a context menu, the dataset right-clicked.
    const datasetArg = (args: ReadonlyPartialJSONObject): string =>
      targetOf(app, args, 'id', 'kamldDataset');
    app.commands.addCommand(CommandIds.openDataset, {
      label: args =>
        args.id
          ? trans.__('Open Dataset %1', String(args.id))
          : trans.__('Open Dataset'),
      caption: trans.__('Open the dataset in the main area'),
      icon: datasetsIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: { id: { type: 'string' }, ref: { type: 'string' } }
        }
      },
      isEnabled: args => datasetArg(args) !== '',
      execute: args =>
        openDataset(
          datasetArg(args),
          typeof args.ref === 'string' ? args.ref : undefined
        )
    });
    // Dataset tabs open at the last session come back (they load on their own).
    void restorer?.restore(views, {
      command: CommandIds.openDataset,
      args: view => ({ id: view.content.model.datasetId }),
      name: view => view.content.model.datasetId
    });

    app.commands.addCommand(CommandIds.newDataset, {
      label: args =>
        args.isPalette ? trans.__('New Dataset…') : trans.__('Dataset…'),
      caption: trans.__('Create an empty dataset and open it'),
      icon: addIcon,
      isEnabled: () => section.available,
      execute: () => section.createDataset()
    });

    if (fileBrowser) {
      const selectedPaths = (): string[] =>
        Array.from(fileBrowser.selectedItems(), item => item.path);
      app.commands.addCommand(CommandIds.addToDataset, {
        label: trans.__('Add to dataset…'),
        caption: trans.__(
          'Copy the selected files and folders into a dataset’s draft'
        ),
        icon: fileUploadIcon,
        isEnabled: () => selectedPaths().length > 0,
        execute: async () => {
          const paths = selectedPaths();
          if (paths.length === 0) {
            return;
          }
          // Every dataset, not just the pages the panel has loaded.
          const datasets: IDataset[] = [];
          let pageToken: string | undefined;
          do {
            const page = await datasetClient.listDatasets(
              DATASET_PAGE_SIZE,
              pageToken
            );
            if (!page.ok) {
              Notification.error(
                trans.__('Could not list datasets: %1', page.failure.message)
              );
              return;
            }
            datasets.push(...page.value.items);
            pageToken = page.value.nextPageToken || undefined;
          } while (pageToken);
          if (datasets.length === 0) {
            Notification.warning(
              trans.__('There is no dataset to add to yet.')
            );
            return;
          }
          const choice = await addToDatasetDialog(datasets, paths, trans);
          if (!choice) {
            return;
          }
          const progress = await runWorkspaceUpload(
            { paths, dataset: choice.dataset, prefix: choice.prefix },
            serverSettings,
            trans
          );
          if (progress && progress.doneFiles.length > 0) {
            const view = views.find(
              v => v.content.model.datasetId === choice.dataset
            );
            void view?.content.model.refresh();
            const updated = await datasetClient.getDataset(choice.dataset);
            if (updated.ok) {
              datasetList.upsert(updated.value);
            }
          }
        }
      });
      app.contextMenu.addItem({
        command: CommandIds.addToDataset,
        selector: '.jp-DirListing-item',
        rank: 11
      });
    }

    const { model: jobs, openJob } = setupJobs(app, panel, fileBrowser, trans);
    setupPipelines(app, fileBrowser, trans, openDataset);
    registerWorkbenchCommands({
      app,
      trans,
      panel,
      views,
      sqlEditors,
      jobs,
      openJob,
      refresh: () => panel.refresh(),
      openDataset,
      openSqlEditor,
      insertDataset: id => insertLoadCell(id, '')
    });
    setupPlatform({ app, trans, connection, statusBar, restorer });
    setupAudit({ app, trans, connection, restorer });
    addWorkbenchMenus(app, palette, launcher);
    if (statusBar) {
      const item = new KamldStatusItem(
        connection,
        jobs,
        trans,
        () => void app.commands.execute(CommandIds.openPanel)
      );
      addStatusItem(statusBar, item);
      connection.inStatusBar = true;
    }

    app.shell.add(panel, 'left', { rank: SIDEBAR_RANK });
    // A dataset dragged from the sidebar into a notebook inserts its load cell (at the latest snapshot).
    const drag = new DatasetDrag(panel.node, id => loadCell(id, ''));
    panel.disposed.connect(() => drag.dispose());
    restorer?.add(panel, panel.id);

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = (): void => {
            connection.pollSettings = readPollSettings(settings.composite);
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.error(
            'kamld: could not load settings, using defaults',
            reason
          );
        });
    }
  }
};

/** Settings as the schema defines them, defaults where a value is invalid. */
function readPollSettings(
  composite: Readonly<Record<string, unknown>>
): IPollSettings {
  const seconds = (key: keyof IPollSettings): number => {
    const value = composite[key];
    return typeof value === 'number' && value > 0
      ? value
      : DEFAULT_POLL_SETTINGS[key];
  };
  return {
    pollInterval: seconds('pollInterval'),
    maxPollInterval: seconds('maxPollInterval')
  };
}

export default [plugin, drivePlugin];
