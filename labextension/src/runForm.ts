/**
 * The body of the "Run as job…" dialog: flavor, inputs (picked as a dataset at a version or tag, or typed
 * as `iris@v1:/data`, one per line), outputs (`model:/out`) and resources of the script or notebook to run.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { formField } from './formField';
import { IInputChoices } from './inputChoices';
import { inputPicker } from './inputPicker';
import { IFlavor, IRunValues } from './jobApi';

export type RunFormValues = Omit<IRunValues, 'path' | 'contentBase64'>;

export class RunForm extends Widget {
  constructor(
    path: string,
    flavors: IFlavor[],
    trans: TranslationBundle,
    choices?: IInputChoices
  ) {
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
    form.appendChild(formField(trans.__('Flavor'), this._flavor, ''));
    this._inputs = area('inputs', trans.__('iris@v1:/data (one per line)'));
    if (choices) {
      form.appendChild(inputPicker(choices, this._inputs, trans));
    }
    form.appendChild(
      formField(
        trans.__('Inputs'),
        this._inputs,
        trans.__('A dataset at a ref and the folder it appears in.')
      )
    );
    this._outputs = area('outputs', trans.__('model:/out (one per line)'));
    form.appendChild(
      formField(
        trans.__('Outputs'),
        this._outputs,
        trans.__(
          'A dataset and the folder committed to it when the job succeeds.'
        )
      )
    );
    // Resources side by side: the dialog then fits a 900-px-high window without scrolling.
    const resources = document.createElement('div');
    resources.className = 'kamld-Form-row';
    this._cpu = input('cpu', '1');
    resources.appendChild(formField(trans.__('CPU'), this._cpu, ''));
    this._memory = input('memory', '1Gi');
    resources.appendChild(formField(trans.__('Memory'), this._memory, ''));
    form.appendChild(resources);
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
