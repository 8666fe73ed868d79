/**
 * Drag a dataset out of the sidebar into a notebook: pressing on any element
 * that carries `data-kamld-dataset` inside `node` and moving starts a Lumino
 * drag carrying one code cell (JupyterLab's cell MIME type). The notebook's
 * own drop handling for cells from elsewhere inserts it where it lands, as
 * for cells dragged between notebooks; a click without movement still opens
 * the dataset.
 */
import { MimeData } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Drag } from '@lumino/dragdrop';

import { CELLS_MIME, DATASET_MIME, isDrag, loadCells } from './dragGesture';

interface IPress {
  datasetId: string;
  x: number;
  y: number;
}

export class DatasetDrag implements IDisposable {
  /** `cellSource` gives the code of the cell a drop of the dataset inserts. */
  constructor(
    private readonly _node: HTMLElement,
    private readonly _cellSource: (datasetId: string) => string
  ) {
    _node.addEventListener('pointerdown', this);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._node.removeEventListener('pointerdown', this);
    this._release();
    this._drag?.dispose();
  }

  handleEvent(event: Event): void {
    switch (event.type) {
      case 'pointerdown':
        this._press(event as PointerEvent);
        break;
      case 'pointermove':
        this._move(event as PointerEvent);
        break;
      case 'pointerup':
        this._release();
        break;
    }
  }

  private _press(event: PointerEvent): void {
    if (event.button !== 0 || this._drag) {
      return;
    }
    const target = event.target as Element | null;
    const row = target?.closest?.('[data-kamld-dataset]');
    const datasetId = (row as HTMLElement | null)?.dataset.kamldDataset;
    if (!row || !datasetId || !this._node.contains(row)) {
      return;
    }
    this._pressed = { datasetId, x: event.clientX, y: event.clientY };
    document.addEventListener('pointermove', this, true);
    document.addEventListener('pointerup', this, true);
  }

  private _move(event: PointerEvent): void {
    const pressed = this._pressed;
    if (
      !pressed ||
      !isDrag(pressed.x, pressed.y, event.clientX, event.clientY)
    ) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    this._release();
    this._start(pressed.datasetId, event.clientX, event.clientY);
  }

  private _start(datasetId: string, x: number, y: number): void {
    const mimeData = new MimeData();
    mimeData.setData(CELLS_MIME, loadCells(this._cellSource(datasetId)));
    mimeData.setData(DATASET_MIME, datasetId);
    const image = document.createElement('div');
    image.className = 'kamld-DragImage';
    image.textContent = datasetId;
    this._drag = new Drag({
      mimeData,
      dragImage: image,
      proposedAction: 'copy',
      supportedActions: 'copy',
      source: this
    });
    void this._drag.start(x, y).then(() => {
      this._drag = null;
    });
  }

  /** Forgets a press (released, or turned into a drag). */
  private _release(): void {
    this._pressed = null;
    document.removeEventListener('pointermove', this, true);
    document.removeEventListener('pointerup', this, true);
  }

  private _pressed: IPress | null = null;
  private _drag: Drag | null = null;
  private _disposed = false;
}
