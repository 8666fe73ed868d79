/**
 * The row-level part of Compare: pick a tabular file and optionally a key
 * column; rows only in the first ref show as removed, rows only in the
 * second as added, and with a key, a row whose other values changed shows as
 * its old and new line together with the changed cells marked.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { cellView } from './cellFormat';
import { IPreviewColumn } from './previewModel';
import { ROW_DIFF_LIMIT, RowDiffModel } from './rowDiffModel';
import { ITable } from './schemaModel';

export function RowDiffView(props: {
  model: RowDiffModel;
  tables: readonly ITable[];
  from: string;
  to: string;
  trans: TranslationBundle;
}): React.ReactElement | null {
  const { model, tables, trans } = props;
  if (tables.length === 0) {
    return null;
  }
  return (
    <UseSignal signal={model.changed}>
      {() => {
        const table = tables.find(t => t.name === model.table) ?? tables[0];
        if (model.table !== table.name) {
          // The first table is the default; no signal needed during render.
          model.table = table.name;
        }
        const result = model.result;
        return (
          <div className="kamld-RowDiff" aria-busy={model.running}>
            <h3>{trans.__('Rows')}</h3>
            <div className="kamld-Diff-toolbar">
              <label className="kamld-Diff-pick">
                <span>{trans.__('Table')}</span>
                <select
                  className="jp-mod-styled"
                  name="table"
                  value={table.name}
                  onChange={event => model.setTable(event.target.value)}
                >
                  {tables.map(t => (
                    <option key={t.name} value={t.name}>
                      {t.path}
                    </option>
                  ))}
                </select>
              </label>
              <label className="kamld-Diff-pick">
                <span>{trans.__('Key')}</span>
                <select
                  className="jp-mod-styled"
                  name="key"
                  value={model.key}
                  onChange={event => model.setKey(event.target.value)}
                >
                  <option value="">{trans.__('whole row')}</option>
                  {table.columns.map(c => (
                    <option key={c.name} value={c.name}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </label>
              <Button
                small
                className="kamld-RowDiff-compare"
                disabled={model.running}
                onClick={() => void model.compare(props.from, props.to)}
              >
                {trans.__('Compare rows')}
              </Button>
            </div>
            {model.error && (
              <p className="kamld-Form-error" role="alert">
                {model.error}
              </p>
            )}
            {result && (
              <>
                <p
                  className="kamld-RowDiff-stats"
                  data-kamld-rowdiff={`${model.from}..${model.to}`}
                >
                  {trans.__(
                    '%1 → %2: %3 added, %4 removed, %5 changed rows',
                    model.from,
                    model.to,
                    result.added.length,
                    result.removed.length,
                    result.changed.length
                  )}
                  {result.truncated &&
                    ` ${trans.__('(first %1 differences)', ROW_DIFF_LIMIT)}`}
                </p>
                <RowDiffTable
                  columns={result.columns}
                  lines={[
                    ...result.changed.flatMap(change => [
                      {
                        kind: 'from' as const,
                        row: change.from,
                        cells: change.cells
                      },
                      {
                        kind: 'to' as const,
                        row: change.to,
                        cells: change.cells
                      }
                    ]),
                    ...result.removed.map(row => ({
                      kind: 'removed' as const,
                      row,
                      cells: []
                    })),
                    ...result.added.map(row => ({
                      kind: 'added' as const,
                      row,
                      cells: []
                    }))
                  ]}
                  trans={trans}
                />
              </>
            )}
          </div>
        );
      }}
    </UseSignal>
  );
}

interface ILine {
  kind: 'removed' | 'added' | 'from' | 'to';
  row: unknown[];
  cells: number[];
}

function RowDiffTable(props: {
  columns: IPreviewColumn[];
  lines: ILine[];
  trans: TranslationBundle;
}): React.ReactElement {
  const { columns, lines, trans } = props;
  if (lines.length === 0) {
    return <p className="kamld-Muted">{trans.__('The rows are the same.')}</p>;
  }
  const marks: Record<ILine['kind'], string> = {
    removed: '−',
    added: '+',
    from: '−',
    to: '+'
  };
  const labels: Record<ILine['kind'], string> = {
    removed: trans.__('removed'),
    added: trans.__('added'),
    from: trans.__('changed, before'),
    to: trans.__('changed, after')
  };
  return (
    <div className="kamld-Preview-scroll">
      <table className="kamld-Table kamld-PreviewTable kamld-RowDiffTable">
        <thead>
          <tr>
            <th scope="col">
              <span className="kamld-VisuallyHidden">{trans.__('Change')}</span>
            </th>
            {columns.map(c => (
              <th scope="col" key={c.name}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {lines.map((line, i) => (
            <tr
              key={i}
              className={`kamld-RowDiff-line kamld-mod-${line.kind}`}
              data-kamld-row-change={line.kind}
            >
              <td className="kamld-RowDiff-mark" title={labels[line.kind]}>
                <span aria-label={labels[line.kind]}>{marks[line.kind]}</span>
              </td>
              {line.row.map((value, j) => {
                const cell = cellView(value, columns[j]?.type);
                const classes = [
                  cell.kind === 'number' ? 'kamld-Cell-number' : '',
                  line.cells.includes(j) ? 'kamld-mod-changedCell' : ''
                ].join(' ');
                return (
                  <td key={j} className={classes.trim() || undefined}>
                    {cell.kind === 'null' ? (
                      <span className="kamld-Cell-null">{cell.text}</span>
                    ) : (
                      cell.text
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
