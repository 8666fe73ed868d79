/**
 * The pure parts of dragging a dataset into a notebook: when a press became
 * a drag, and the cell the drop inserts. No JupyterLab or DOM imports.
 */

/** JupyterLab's MIME type for notebook cells in a drag: a notebook inserts them where they are dropped. */
export const CELLS_MIME = 'application/vnd.jupyter.cells';

/** The dataset id a drag carries, for drop targets that know kamld. */
export const DATASET_MIME = 'application/x-kamld-dataset';

/** Pixels the pointer must travel with the button down before a press is a drag (JupyterLab's own threshold). */
export const DRAG_THRESHOLD = 5;

/** Whether the pointer moved far enough from (x0, y0) for the press to become a drag. */
export function isDrag(x0: number, y0: number, x: number, y: number): boolean {
  return (
    Math.abs(x - x0) >= DRAG_THRESHOLD || Math.abs(y - y0) >= DRAG_THRESHOLD
  );
}

/** One code cell in nbformat's shape, as a notebook's drop handler inserts it. */
export interface ICodeCellData {
  cell_type: 'code';
  source: string;
  metadata: Record<string, never>;
  outputs: never[];
  execution_count: null;
}

/** The cells a dataset drag inserts: one code cell of `source`. */
export function loadCells(source: string): ICodeCellData[] {
  return [
    {
      cell_type: 'code',
      source,
      metadata: {},
      outputs: [],
      execution_count: null
    }
  ];
}
