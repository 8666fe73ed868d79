/**
 * One page of audit records: when, who (by display name), what method, on
 * which dataset, with what outcome, and the request id to find the call in the
 * server's logs (selectable, so it can be copied).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatTimestamp } from '../connectionState';
import { PersonName } from '../personName';
import { IAuditRecord } from './auditApi';
import { shortMethod } from './auditModel';

export function AuditTable(props: {
  records: readonly IAuditRecord[];
  trans: TranslationBundle;
}): React.ReactElement {
  const { trans } = props;
  if (props.records.length === 0) {
    return (
      <p className="kamld-Audit-empty">
        {trans.__('No audit record matches these filters.')}
      </p>
    );
  }
  return (
    // Scrolls sideways by itself at narrow widths, so the view never does.
    <div className="kamld-AuditTable-scroll">
      <table className="kamld-AuditTable">
        <caption className="kamld-u-visuallyHidden">
          {trans.__('Audit records, oldest first')}
        </caption>
        <thead>
          <tr>
            <th scope="col">{trans.__('Time')}</th>
            <th scope="col">{trans.__('User')}</th>
            <th scope="col">{trans.__('Method')}</th>
            <th scope="col">{trans.__('Dataset')}</th>
            <th scope="col">{trans.__('Outcome')}</th>
            <th scope="col">{trans.__('Request id')}</th>
          </tr>
        </thead>
        <tbody>
          {props.records.map((r, i) => (
            <tr
              key={`${r.requestId}-${r.time}-${i}`}
              data-kamld-outcome={r.outcome}
            >
              <td className="kamld-AuditTable-time">
                {formatTimestamp(r.time)}
              </td>
              <td
                title={
                  r.groups.length > 0
                    ? trans.__('Groups: %1', r.groups.join(', '))
                    : undefined
                }
              >
                {r.subject ? (
                  <PersonName name={r.subject} />
                ) : (
                  <span className="kamld-Audit-unknown">
                    {trans.__('(unknown caller)')}
                  </span>
                )}
              </td>
              <td className="kamld-AuditTable-method" title={r.method}>
                {shortMethod(r.method)}
              </td>
              <td>{r.dataset || '—'}</td>
              <td
                className="kamld-AuditTable-outcome"
                data-kamld-ok={r.outcome === 'OK'}
                title={r.reason || undefined}
              >
                {r.outcome}
                {r.reason && r.reason !== r.outcome && (
                  <span className="kamld-AuditTable-reason">{r.reason}</span>
                )}
              </td>
              <td className="kamld-AuditTable-requestId">
                {r.requestId || '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
