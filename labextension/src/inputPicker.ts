/**
 * The input picker of the "Run as job…" dialog: a dataset, one of its versions or tags, and the folder it
 * appears in; **Add** writes the `dataset@ref:/folder` line into the inputs box (which stays editable).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { formField } from './formField';
import { IInputChoices, inputLine, withInputLine } from './inputChoices';

export function inputPicker(
  choices: IInputChoices,
  inputs: HTMLTextAreaElement,
  trans: TranslationBundle
): HTMLElement {
  const row = document.createElement('div');
  row.className = 'kamld-Form-row kamld-InputPicker';
  const dataset = select('pick-dataset');
  const ref = select('pick-ref');
  const folder = document.createElement('input');
  folder.name = 'pick-folder';
  folder.className = 'jp-mod-styled';
  folder.value = '/data';
  const add = document.createElement('button');
  add.type = 'button';
  add.className = 'jp-mod-styled jp-mod-reject kamld-InputPicker-add';
  add.textContent = trans.__('Add input');
  add.disabled = true;

  const loadRefs = async (): Promise<void> => {
    ref.replaceChildren();
    add.disabled = true;
    if (!dataset.value) {
      return;
    }
    const refs = await choices.refs(dataset.value);
    fill(ref, refs);
    add.disabled = refs.length === 0;
  };
  dataset.addEventListener('change', () => void loadRefs());
  add.addEventListener('click', () => {
    inputs.value = withInputLine(
      inputs.value,
      inputLine(dataset.value, ref.value, folder.value)
    );
  });
  void choices.datasets().then(ids => {
    fill(dataset, ['', ...ids], trans.__('Choose a dataset…'));
  });

  row.appendChild(formField(trans.__('Dataset'), dataset, ''));
  row.appendChild(formField(trans.__('Version or tag'), ref, ''));
  row.appendChild(formField(trans.__('Folder in the job'), folder, ''));
  row.appendChild(add);
  return row;
}

function select(name: string): HTMLSelectElement {
  const s = document.createElement('select');
  s.name = name;
  s.className = 'jp-mod-styled';
  return s;
}

/** Replaces the options of `s` with `values` ('' shown as `empty`). */
function fill(s: HTMLSelectElement, values: string[], empty = ''): void {
  s.replaceChildren(
    ...values.map(v => {
      const option = document.createElement('option');
      option.value = v;
      option.textContent = v || empty;
      return option;
    })
  );
}
