/**
 * The Compare tab of a dataset view: any two refs, the draft included —
 * which files were added, removed or modified (with sizes), and for a
 * tabular file which rows (RowDiffView).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { DRAFT_REF, formatBytes, formatBytesDelta } from './datasetModel';
import { DatasetViewModel } from './datasetViewModel';
import { RowDiffView } from './rowDiffView';

export function DatasetCompare(props: {
  model: DatasetViewModel;
  trans: TranslationBundle;
}): React.ReactElement | null {
  const { model, trans } = props;
  if (model.snapshots.length === 0) {
    return (
      <p className="kamld-Muted">
        {trans.__(
          'Take a snapshot first: then compare it with the draft or later versions.'
        )}
      </p>
    );
  }
  const versions = [DRAFT_REF, ...model.snapshots.map(s => s.version)];
  const picker = (
    name: string,
    label: string,
    value: string,
    onChange: (value: string) => void
  ): React.ReactElement => (
    <label className="kamld-Diff-pick">
      <span>{label}</span>
      <select
        className="jp-mod-styled"
        name={name}
        value={value}
        onChange={event => onChange(event.target.value)}
      >
        {versions.map(version => (
          <option key={version} value={version}>
            {version === DRAFT_REF ? trans.__('Draft') : version}
          </option>
        ))}
      </select>
    </label>
  );
  const diff = model.diff;
  return (
    <section className="kamld-Section kamld-Diff">
      <h3>{trans.__('Files')}</h3>
      <div className="kamld-Diff-toolbar">
        {picker('from', trans.__('From'), model.diffFrom, from =>
          model.setDiffRefs(from, model.diffTo)
        )}
        {picker('to', trans.__('To'), model.diffTo, to =>
          model.setDiffRefs(model.diffFrom, to)
        )}
        <Button
          small
          className="kamld-Diff-compare"
          onClick={() => {
            void model.compare();
            void model.rows.compare(model.diffFrom, model.diffTo);
          }}
        >
          {trans.__('Compare')}
        </Button>
      </div>
      {model.diffError && (
        <p className="kamld-Form-error" role="alert">
          {model.diffError}
        </p>
      )}
      {diff && (
        <div className="kamld-Diff-result">
          <p className="kamld-Diff-stats">
            {trans.__(
              '%1 added, %2 modified, %3 removed (%4)',
              diff.stats.added,
              diff.stats.modified,
              diff.stats.removed,
              formatBytesDelta(diff.stats.bytesDelta)
            )}
          </p>
          {diff.empty ? (
            <p className="kamld-Muted">{trans.__('No differences.')}</p>
          ) : (
            <table className="kamld-Table kamld-DiffTable">
              <thead>
                <tr>
                  <th scope="col">{trans.__('Change')}</th>
                  <th scope="col">{trans.__('Path')}</th>
                  <th scope="col" className="kamld-Num">
                    {trans.__('Before')}
                  </th>
                  <th scope="col" className="kamld-Num">
                    {trans.__('After')}
                  </th>
                  <th scope="col" className="kamld-Num">
                    {trans.__('Δ')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {diff.rows.map(row => (
                  <tr
                    key={row.path}
                    data-kamld-change={row.type}
                    data-kamld-path={row.path}
                  >
                    <td>
                      <span className={`kamld-Change kamld-mod-${row.type}`}>
                        {changeLabel(row.type, trans)}
                      </span>
                    </td>
                    <td className="kamld-Mono">{row.path}</td>
                    <td className="kamld-Num">
                      {row.fromSize === null ? '—' : formatBytes(row.fromSize)}
                    </td>
                    <td className="kamld-Num">
                      {row.toSize === null ? '—' : formatBytes(row.toSize)}
                    </td>
                    <td className="kamld-Num">{formatBytesDelta(row.delta)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {model.diffHasMore && (
            <Button
              small
              className="kamld-Diff-more"
              onClick={() => void model.loadMoreDiff()}
            >
              {trans.__('Load more changes')}
            </Button>
          )}
        </div>
      )}
      <RowDiffView
        model={model.rows}
        tables={model.schema.tables ?? []}
        from={model.diffFrom}
        to={model.diffTo}
        trans={trans}
      />
    </section>
  );
}

function changeLabel(type: string, trans: TranslationBundle): string {
  switch (type) {
    case 'added':
      return trans.__('added');
    case 'removed':
      return trans.__('removed');
    case 'modified':
      return trans.__('modified');
    default:
      return trans.__('changed');
  }
}
