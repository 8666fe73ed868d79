/**
 * Pipelines in JupyterLab: "Run pipeline…" on a .yaml file in the file browser starts a run and opens it in
 * the main area (the DAG of its steps with live states; a step shows its log and outputs), and a list of
 * pipeline runs (in the command palette through PALETTE_COMMANDS).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';
import { runIcon } from '@jupyterlab/ui-components';

import { CommandIds } from '../commandIds';
import { JobClient } from '../jobApi';
import { jupyterTransport } from '../transport';
import { folderOf, isPipelineFile, PipelineClient } from './pipelineApi';
import { PipelineRunModel } from './pipelineRunModel';
import { PipelineRunView } from './pipelineRunView';
import { PipelineRunsView } from './pipelineRunsView';

export function setupPipelines(
  app: JupyterFrontEnd,
  fileBrowser: IDefaultFileBrowser | null,
  trans: TranslationBundle,
  openDataset: (id: string) => void
): void {
  const settings = app.serviceManager.serverSettings;
  const transport = jupyterTransport(settings);
  const client = new PipelineClient(settings.baseUrl, transport);
  const jobs = new JobClient(settings.baseUrl, transport);
  const views = new Map<string, PipelineRunView>();

  const openRun = (id: string): void => {
    let view = views.get(id);
    if (!view || view.isDisposed) {
      view = new PipelineRunView(
        new PipelineRunModel(id, client, jobs),
        trans,
        openDataset
      );
      views.set(id, view);
      app.shell.add(view, 'main');
    }
    app.shell.activateById(view.id);
  };

  const selectedPipeline = (): string | undefined => {
    const items = fileBrowser ? Array.from(fileBrowser.selectedItems()) : [];
    return items.length === 1 && isPipelineFile(items[0].path)
      ? items[0].path
      : undefined;
  };

  app.commands.addCommand(CommandIds.runPipeline, {
    label: trans.__('Run pipeline…'),
    caption: trans.__(
      'Run this pipeline file: each step as a kamld job, unchanged steps from the cache'
    ),
    icon: runIcon,
    isVisible: () => selectedPipeline() !== undefined,
    execute: async () => {
      const path = selectedPipeline();
      if (!path) {
        return;
      }
      const file = await app.serviceManager.contents.get(path, {
        type: 'file',
        format: 'text',
        content: true
      });
      const started = await client.runPipeline(
        String(file.content),
        folderOf(path)
      );
      if (!started.ok) {
        const fields = started.failure.fieldViolations
          .map(v => `${v.field}: ${v.description}`)
          .join('; ');
        Notification.error(
          trans.__(
            'Could not run %1: %2',
            path,
            fields || started.failure.message
          ),
          { autoClose: false }
        );
        return;
      }
      openRun(started.value.id);
    }
  });

  app.commands.addCommand(CommandIds.openPipelineRun, {
    label: trans.__('Open pipeline run'),
    execute: args => {
      const id = String(args.id ?? '').replace(/^pipelineRuns\//, '');
      if (id) {
        openRun(id);
      }
    }
  });

  let runsView: PipelineRunsView | undefined;
  app.commands.addCommand(CommandIds.pipelineRuns, {
    label: trans.__('Pipeline runs'),
    caption: trans.__('Recent pipeline runs, newest first'),
    execute: () => {
      if (!runsView || runsView.isDisposed) {
        runsView = new PipelineRunsView(client, trans, openRun);
        app.shell.add(runsView, 'main');
      } else {
        void runsView.refresh();
      }
      app.shell.activateById(runsView.id);
    }
  });

  if (fileBrowser) {
    app.contextMenu.addItem({
      command: CommandIds.runPipeline,
      selector: '.jp-DirListing-item',
      rank: 13
    });
  }
}
