/**
 * Jobs in JupyterLab: the Jobs section of the panel (polled while the panel is visible), the Jobs table
 * and one tab per job in the main area, "Run as job…" on the file browser's context menu for scripts and
 * notebooks, and a notification when a job ends (with "Show log").
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  MainAreaWidget,
  Notification,
  showDialog,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';
import { listIcon, runIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { CommandIds } from './commandIds';
import { DatasetClient } from './datasetApi';
import { DatasetsPanel } from './datasetsPanel';
import { datasetInputChoices, IInputChoices } from './inputChoices';
import { buildRunRequest, IFlavor, JobClient, jobTitle } from './jobApi';
import { JobsModel } from './jobsModel';
import { JobsSectionWidget } from './jobsSection';
import { JobsTableWidget } from './jobsTable';
import { JobViewWidget } from './jobView';
import { JobViewModel } from './jobViewModel';
import { RunForm, RunFormValues } from './runForm';
import { jupyterTransport } from './transport';

/** How often the Jobs section refreshes while the panel is visible. */
const POLL_MS = 1500;

export interface IJobs {
  model: JobsModel;
  /** Opens (or shows) a job's tab. */
  openJob: (id: string) => void;
}

export function setupJobs(
  app: JupyterFrontEnd,
  panel: DatasetsPanel,
  fileBrowser: IDefaultFileBrowser | null,
  trans: TranslationBundle
): IJobs {
  const settings = app.serviceManager.serverSettings;
  const client = new JobClient(settings.baseUrl, jupyterTransport(settings));
  const inputChoices = datasetInputChoices(
    new DatasetClient({
      baseUrl: settings.baseUrl,
      transport: jupyterTransport(settings)
    })
  );
  const model = new JobsModel(client);
  const jobViews = new WidgetTracker<MainAreaWidget<JobViewWidget>>({
    namespace: 'kamld-job'
  });
  const openDataset = (id: string, ref?: string): void =>
    void app.commands.execute(CommandIds.openDataset, {
      id,
      ...(ref ? { ref } : {})
    });
  const openJob = (id: string): void => {
    const existing = jobViews.find(view => view.content.model.jobId === id);
    if (existing) {
      app.shell.activateById(existing.id);
      return;
    }
    const content = new JobViewWidget(
      new JobViewModel(id, client),
      {
        openDataset,
        rerun: job =>
          void model.rerun(job).then(error => {
            if (error) {
              Notification.error(trans.__('Could not run again: %1', error));
            } else if (model.selected) {
              openJob(model.selected.id);
            }
          })
      },
      trans
    );
    const view = new MainAreaWidget({ content });
    view.id = `kamld-job-${id}`;
    view.title.label = id;
    view.title.caption = trans.__('Job %1', id);
    view.title.icon = runIcon;
    view.title.closable = true;
    void jobViews.add(view);
    app.shell.add(view, 'main');
    app.shell.activateById(view.id);
  };
  let table: MainAreaWidget<JobsTableWidget> | null = null;
  const openTable = (): void => {
    if (!table || table.isDisposed) {
      table = new MainAreaWidget({
        content: new JobsTableWidget(model, trans, openJob)
      });
      table.id = 'kamld-jobs-table';
      table.title.label = trans.__('Jobs');
      table.title.icon = listIcon;
      table.title.closable = true;
      app.shell.add(table, 'main');
      void model.refresh();
    }
    app.shell.activateById(table.id);
  };
  app.commands.addCommand(CommandIds.openJobs, {
    label: args =>
      args.isPalette ? trans.__('Open Jobs Table') : trans.__('Jobs'),
    caption: trans.__('Every recent job, sortable and filterable'),
    icon: listIcon,
    execute: openTable
  });
  const section = new JobsSectionWidget(model, trans, openJob, openTable);
  panel.addSection(section);
  panel.addRefreshHandler(() => void model.refresh());
  model.finished.connect((_, job) => {
    const notify =
      job.state === 'SUCCEEDED' ? Notification.success : Notification.error;
    notify(trans.__('%1 (%2) ended %3', jobTitle(job), job.id, job.state), {
      autoClose: 8000,
      actions: [
        {
          label: trans.__('Show log'),
          callback: () => openJob(job.id)
        }
      ]
    });
  });
  // Running jobs are followed while the panel is hidden too: the status bar counts them.
  const timer = window.setInterval(() => {
    if (panel.isVisible || model.runningCount > 0 || table?.isVisible) {
      void model.refresh();
    }
  }, POLL_MS);
  panel.disposed.connect(() => window.clearInterval(timer));

  // From a notebook's toolbar (args.currentNotebook): that notebook; from the file browser: its selection.
  const runnable = (args: ReadonlyPartialJSONObject): string | undefined => {
    let path = '';
    if (args.currentNotebook) {
      const current = app.shell.currentWidget as unknown as {
        context?: { path?: string };
      } | null;
      path = current?.context?.path ?? '';
    } else if (fileBrowser) {
      const items = Array.from(fileBrowser.selectedItems());
      path = items.length === 1 ? items[0].path : '';
    }
    return /\.(py|ipynb)$/.test(path) ? path : undefined;
  };
  app.commands.addCommand(CommandIds.runAsJob, {
    label: trans.__('Run as job…'),
    caption: trans.__('Run this script or notebook as a kamld training job'),
    icon: runIcon,
    // On a notebook's toolbar it is always there; the notebook is looked up when it is clicked.
    isVisible: args =>
      Boolean(args.currentNotebook) || runnable(args) !== undefined,
    execute: async args => {
      const path = runnable(args);
      if (!path) {
        return;
      }
      if (args.currentNotebook) {
        // The job runs the notebook as saved.
        await app.commands.execute('docmanager:save');
      }
      const flavors = await client.listFlavors();
      const values = await runDialog(
        path,
        flavors.ok ? flavors.value : [],
        trans,
        inputChoices
      );
      if (!values) {
        return;
      }
      const file = await app.serviceManager.contents.get(path, {
        type: 'file',
        format: 'text',
        content: true
      });
      let body: Record<string, unknown>;
      try {
        body = buildRunRequest({
          ...values,
          path,
          contentBase64: base64(String(file.content))
        });
      } catch (error) {
        Notification.error(String((error as Error).message));
        return;
      }
      const submitted = await client.submitJob(body);
      if (!submitted.ok) {
        const fields = submitted.failure.fieldViolations
          .map(v => `${v.field}: ${v.description}`)
          .join('; ');
        Notification.error(
          trans.__(
            'Could not run %1: %2',
            path,
            fields || submitted.failure.message
          ),
          { autoClose: false }
        );
        return;
      }
      model.track(submitted.value);
      Notification.info(
        trans.__(
          '%1 (%2) submitted',
          jobTitle(submitted.value),
          submitted.value.id
        ),
        {
          autoClose: 4000
        }
      );
      // The panel lists it, its tab follows it.
      app.shell.activateById(panel.id);
      openJob(submitted.value.id);
    }
  });
  if (fileBrowser) {
    app.contextMenu.addItem({
      command: CommandIds.runAsJob,
      selector: '.jp-DirListing-item',
      rank: 12
    });
  }
  return { model, openJob };
}

/** UTF-8 text → base64 (what proto bytes are in JSON). */
function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary);
}

async function runDialog(
  path: string,
  flavors: IFlavor[],
  trans: TranslationBundle,
  choices: IInputChoices
): Promise<RunFormValues | null> {
  const result = await showDialog({
    title: trans.__('Run as job'),
    body: new RunForm(path, flavors, trans, choices),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Run') })
    ],
    focusNodeSelector: 'select[name="flavor"]'
  });
  return result.button.accept && result.value ? result.value : null;
}
