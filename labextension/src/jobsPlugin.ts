/**
 * Jobs in the panel: the Jobs section (polled while the panel is visible), "Run as job…" on the file
 * browser's context menu for scripts and notebooks, and a notification when a job ends.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { TranslationBundle } from '@jupyterlab/translation';
import { runIcon } from '@jupyterlab/ui-components';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { CommandIds } from './commandIds';
import { DatasetsPanel } from './datasetsPanel';
import { buildRunRequest, IFlavor, IRunValues, JobClient } from './jobApi';
import { JobsModel } from './jobsModel';
import { JobsSectionWidget } from './jobsSection';
import { jupyterTransport } from './transport';

/** How often the Jobs section refreshes while the panel is visible. */
const POLL_MS = 1500;

export function setupJobs(
  app: JupyterFrontEnd,
  panel: DatasetsPanel,
  fileBrowser: IDefaultFileBrowser | null,
  trans: TranslationBundle
): JobsModel {
  const settings = app.serviceManager.serverSettings;
  const client = new JobClient(settings.baseUrl, jupyterTransport(settings));
  const model = new JobsModel(client);
  const section = new JobsSectionWidget(model, trans, id => {
    void app.commands.execute(CommandIds.openDataset, { id });
  });
  panel.addSection(section);
  panel.addRefreshHandler(() => void model.refresh());
  model.finished.connect((_, job) => {
    const notify =
      job.state === 'SUCCEEDED' ? Notification.success : Notification.error;
    notify(trans.__('Job %1 ended %2', job.name, job.state), {
      autoClose: 8000
    });
  });
  // Running jobs are followed while the panel is hidden too: the status bar counts them.
  const timer = window.setInterval(() => {
    if (panel.isVisible || model.runningCount > 0) {
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
        trans
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
      Notification.info(trans.__('Job %1 submitted', submitted.value.name), {
        autoClose: 4000
      });
      app.shell.activateById(panel.id);
      void model.select(submitted.value.id);
    }
  });
  if (fileBrowser) {
    app.contextMenu.addItem({
      command: CommandIds.runAsJob,
      selector: '.jp-DirListing-item',
      rank: 12
    });
  }
  return model;
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

type RunFormValues = Omit<IRunValues, 'path' | 'contentBase64'>;

class RunForm extends Widget {
  constructor(path: string, flavors: IFlavor[], trans: TranslationBundle) {
    super();
    this.addClass('kamld-RunForm');
    const form = document.createElement('div');
    form.className = 'kamld-Form';
    const summary = document.createElement('p');
    summary.textContent = trans.__('Run “%1” as a training job.', path);
    form.appendChild(summary);

    this._flavor = document.createElement('select');
    this._flavor.name = 'flavor';
    this._flavor.className = 'jp-mod-styled';
    for (const f of flavors.length ? flavors : [{ name: 'cpu' } as IFlavor]) {
      const option = document.createElement('option');
      option.value = f.name;
      option.textContent = f.description
        ? `${f.name} — ${f.description}`
        : f.name;
      option.disabled = f.available === false;
      this._flavor.appendChild(option);
    }
    form.appendChild(row(trans.__('Flavor'), this._flavor, ''));
    this._inputs = area('inputs', trans.__('iris@v1:/data (one per line)'));
    form.appendChild(
      row(
        trans.__('Inputs'),
        this._inputs,
        trans.__('A dataset at a ref and the folder it appears in.')
      )
    );
    this._outputs = area('outputs', trans.__('model:/out (one per line)'));
    form.appendChild(
      row(
        trans.__('Outputs'),
        this._outputs,
        trans.__(
          'A dataset and the folder committed to it when the job succeeds.'
        )
      )
    );
    this._cpu = input('cpu', '1');
    form.appendChild(row(trans.__('CPU'), this._cpu, ''));
    this._memory = input('memory', '1Gi');
    form.appendChild(row(trans.__('Memory'), this._memory, ''));
    this.node.appendChild(form);
  }

  getValue(): RunFormValues {
    const lines = (t: HTMLTextAreaElement): string[] => t.value.split('\n');
    return {
      flavor: this._flavor.value,
      inputs: lines(this._inputs),
      outputs: lines(this._outputs),
      cpu: this._cpu.value,
      memory: this._memory.value
    };
  }

  private readonly _flavor: HTMLSelectElement;
  private readonly _inputs: HTMLTextAreaElement;
  private readonly _outputs: HTMLTextAreaElement;
  private readonly _cpu: HTMLInputElement;
  private readonly _memory: HTMLInputElement;
}

function area(name: string, placeholder: string): HTMLTextAreaElement {
  const t = document.createElement('textarea');
  t.name = name;
  t.rows = 2;
  t.className = 'jp-mod-styled';
  t.placeholder = placeholder;
  return t;
}

function input(name: string, placeholder: string): HTMLInputElement {
  const i = document.createElement('input');
  i.name = name;
  i.className = 'jp-mod-styled';
  i.placeholder = placeholder;
  return i;
}

function row(label: string, control: HTMLElement, hint: string): HTMLElement {
  const wrapper = document.createElement('label');
  wrapper.className = 'kamld-Form-field';
  const caption = document.createElement('span');
  caption.className = 'kamld-Form-label';
  caption.textContent = label;
  wrapper.appendChild(caption);
  wrapper.appendChild(control);
  if (hint) {
    const help = document.createElement('span');
    help.className = 'kamld-Form-hint';
    help.textContent = hint;
    wrapper.appendChild(help);
  }
  return wrapper;
}

async function runDialog(
  path: string,
  flavors: IFlavor[],
  trans: TranslationBundle
): Promise<RunFormValues | null> {
  const result = await showDialog({
    title: trans.__('Run as job'),
    body: new RunForm(path, flavors, trans),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Run') })
    ],
    focusNodeSelector: 'select[name="flavor"]'
  });
  return result.button.accept && result.value ? result.value : null;
}
