/**
 * A windowed table of typed rows, shared by the file preview and the SQL
 * editor: the header stays, only the rows in view (plus a margin) are in the
 * DOM, and spacer rows keep the scroll height of the whole result.
 */
import * as React from 'react';

import { cellView, isNumericType } from './cellFormat';
import { GRID_ROW_HEIGHT, gridWindow } from './gridWindow';
import { IPreviewColumn } from './previewModel';

/** The viewport's height before the box is measured. */
const DEFAULT_VIEWPORT = 360;

export function ResultGrid(props: {
  columns: IPreviewColumn[];
  rows: unknown[][];
  className?: string;
  label: string;
}): React.ReactElement {
  const { columns, rows } = props;
  const box = React.useRef<HTMLDivElement>(null);
  const [view, setView] = React.useState({
    top: 0,
    height: DEFAULT_VIEWPORT
  });
  const measure = (): void => {
    const el = box.current;
    if (el) {
      setView({ top: el.scrollTop, height: el.clientHeight });
    }
  };
  React.useLayoutEffect(measure, [rows]);
  const w = gridWindow(view.top, view.height, rows.length);
  const numeric = columns.map(c => isNumericType(c.type));
  return (
    <div
      ref={box}
      className={`kamld-Preview-scroll ${props.className ?? ''}`}
      onScroll={measure}
    >
      <table
        className="kamld-Table kamld-PreviewTable"
        aria-label={props.label}
        aria-rowcount={rows.length + 1}
      >
        <thead>
          <tr aria-rowindex={1}>
            {columns.map((c, i) => (
              <th
                key={i}
                scope="col"
                title={c.type}
                className={numeric[i] ? 'kamld-Cell-number' : undefined}
              >
                <span className="kamld-PreviewTable-name">{c.name}</span>
                <span className="kamld-PreviewTable-type">{c.type}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {w.padTop > 0 && <tr aria-hidden style={{ height: w.padTop }} />}
          {rows.slice(w.start, w.end).map((row, i) => (
            <tr
              key={w.start + i}
              className="kamld-PreviewTable-row"
              aria-rowindex={w.start + i + 2}
              style={{ height: GRID_ROW_HEIGHT }}
            >
              {row.map((cell, c) => (
                <GridCell
                  key={c}
                  value={cell}
                  type={columns[c]?.type ?? ''}
                  numeric={numeric[c] ?? false}
                />
              ))}
            </tr>
          ))}
          {w.padBottom > 0 && (
            <tr aria-hidden style={{ height: w.padBottom }} />
          )}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One cell (cellFormat.ts): NULL marked as such; numbers, and everything in a
 * numeric column (its NULLs too), right-aligned.
 */
function GridCell(props: {
  value: unknown;
  type: string;
  numeric: boolean;
}): React.ReactElement {
  const cell = cellView(props.value, props.type);
  const right = props.numeric || cell.kind === 'number';
  return (
    <td
      className={right ? 'kamld-Cell-number' : undefined}
      data-kamld-cell={cell.kind}
    >
      {cell.kind === 'null' ? (
        <span className="kamld-Cell-null">{cell.text}</span>
      ) : (
        cell.text
      )}
    </td>
  );
}
