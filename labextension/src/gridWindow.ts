/**
 * Which rows a windowed grid renders: only those in view plus a margin, so
 * a 10,000-row result costs the DOM a few dozen rows. Pure arithmetic, for
 * jest; the grid itself is resultGrid.tsx.
 */

/** Height of one body row in pixels; the CSS pins rows to it. */
export const GRID_ROW_HEIGHT = 24;

/** Rows rendered beyond each edge of the viewport. */
export const GRID_OVERSCAN = 10;

export interface IGridWindow {
  /** First rendered row. */
  start: number;
  /** One past the last rendered row. */
  end: number;
  /** Pixels of the rows skipped above and below. */
  padTop: number;
  padBottom: number;
}

export function gridWindow(
  scrollTop: number,
  viewportHeight: number,
  rowCount: number,
  rowHeight = GRID_ROW_HEIGHT,
  overscan = GRID_OVERSCAN
): IGridWindow {
  const top = Math.max(0, scrollTop);
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight);
  const start = Math.min(rowCount, Math.max(0, first - overscan));
  const end = Math.min(rowCount, Math.max(start, last + overscan));
  return {
    start,
    end,
    padTop: start * rowHeight,
    padBottom: (rowCount - end) * rowHeight
  };
}
