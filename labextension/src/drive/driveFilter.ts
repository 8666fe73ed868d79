/**
 * The drive browser's filter box: narrows the folder shown by name, on the
 * server (ListFiles' `filter`), a short pause after the last key.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

const DEBOUNCE_MS = 250;

export class DriveFilterBox extends Widget {
  constructor(trans: TranslationBundle, onChange: (filter: string) => void) {
    super({ node: document.createElement('div') });
    this.addClass('kamld-DriveFilter');
    this._input = document.createElement('input');
    this._input.type = 'search';
    this._input.className = 'jp-mod-styled kamld-DriveFilter-input';
    this._input.placeholder = trans.__('Filter by name');
    this._input.setAttribute(
      'aria-label',
      trans.__('Filter this folder by name, on the server')
    );
    this._input.addEventListener('input', () => {
      window.clearTimeout(this._timer);
      this._timer = window.setTimeout(
        () => onChange(this._input.value.trim()),
        DEBOUNCE_MS
      );
    });
    this.node.appendChild(this._input);
  }

  /** Shows the filter of the folder now open, without reporting a change. */
  set value(filter: string) {
    if (this._input.value.trim() !== filter) {
      this._input.value = filter;
    }
  }

  private readonly _input: HTMLInputElement;
  private _timer = 0;
}
