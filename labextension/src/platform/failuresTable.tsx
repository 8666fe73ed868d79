/**
 * The most recent server-side failures, newest first, each with the request
 * id to look up in the sidecar's logs (selectable, so it can be copied).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatAge } from './format';
import { IRecentFailure } from './platformApi';

export function FailuresTable(props: {
  failures: readonly IRecentFailure[];
  now: number;
  trans: TranslationBundle;
}): React.ReactElement {
  const { trans, now } = props;
  if (props.failures.length === 0) {
    return (
      <p className="kamld-Platform-empty">
        {trans.__('No server-side failure in the last hour.')}
      </p>
    );
  }
  const newestFirst = [...props.failures].reverse();
  return (
    // Scrolls sideways by itself at narrow widths, so the view never does.
    <div className="kamld-FailuresTable-scroll">
      <table className="kamld-FailuresTable">
        <caption className="kamld-u-visuallyHidden">
          {trans.__('Recent failures, newest first')}
        </caption>
        <thead>
          <tr>
            <th scope="col">{trans.__('When')}</th>
            <th scope="col">{trans.__('Operation')}</th>
            <th scope="col">{trans.__('Code')}</th>
            <th scope="col">{trans.__('Request id')}</th>
            <th scope="col">{trans.__('Message')}</th>
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((f, i) => (
            <tr key={`${f.time}-${i}`}>
              <td title={f.time}>
                {trans.__('%1 ago', formatAge(f.time, now))}
              </td>
              <td className="kamld-FailuresTable-operation">{f.operation}</td>
              <td>{f.code}</td>
              <td className="kamld-FailuresTable-requestId">
                {f.requestId || '—'}
              </td>
              <td className="kamld-FailuresTable-message" title={f.message}>
                {f.message}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
