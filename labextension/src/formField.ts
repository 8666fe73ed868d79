/** One labelled field of a kamld dialog form (DOM, for dialogs built without React). */

/** `control` under a bold `label`, with an optional muted `hint`; `key` becomes `data-kamld-field`. */
export function formField(
  label: string,
  control: HTMLElement,
  hint: string,
  key = ''
): HTMLElement {
  const wrapper = document.createElement('label');
  wrapper.className = 'kamld-Form-field';
  if (key) {
    wrapper.dataset.kamldField = key;
  }
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
