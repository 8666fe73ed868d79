/**
 * The audit view (main area, platform admins only): who did what to which
 * dataset, from the server's audit log, filtered and paged on the server
 * (docs/security.md, "Audit log"). A caller who is not an admin sees the
 * server's PERMISSION_DENIED, said plainly, and no records.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { AuditFilters } from './auditFilters';
import { AuditModel, EMPTY_FILTERS } from './auditModel';
import { AuditPager } from './auditPager';
import { AuditTable } from './auditTable';

export class AuditViewWidget extends ReactWidget {
  constructor(
    readonly model: AuditModel,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('kamld-Audit');
  }

  render(): React.ReactElement {
    return (
      <UseSignal signal={this.model.changed}>{() => this._content()}</UseSignal>
    );
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.model.status === 'idle') {
      void this.model.apply(EMPTY_FILTERS);
    }
  }

  private _content(): React.ReactElement {
    const trans = this._trans;
    const model = this.model;
    return (
      <div className="kamld-Audit-content" data-kamld-status={model.status}>
        <header className="kamld-Audit-header">
          <h2 className="kamld-Audit-title">{trans.__('Audit log')}</h2>
          <span className="kamld-Audit-hint">
            {trans.__(
              'Every call that changed something and every refused call, oldest first.'
            )}
          </span>
        </header>
        {model.status !== 'denied' && model.status !== 'off' && (
          <AuditFilters
            initial={model.filters}
            problem={model.filterProblem}
            onApply={filters => void model.apply(filters)}
            trans={trans}
          />
        )}
        {this._body()}
      </div>
    );
  }

  private _body(): React.ReactElement | null {
    const trans = this._trans;
    const model = this.model;
    const failure = model.failure;
    switch (model.status) {
      case 'idle':
        return null;
      case 'denied':
        return (
          <div className="kamld-Audit-failure" role="alert">
            <p className="kamld-Audit-failureTitle">
              {trans.__(
                'Permission denied: only platform admins can read the audit log.'
              )}
            </p>
            <p>{failure?.message}</p>
          </div>
        );
      case 'off':
      case 'failed':
        return (
          <p className="kamld-Audit-failure" role="alert">
            {model.status === 'off'
              ? trans.__(
                  'This kamld keeps no audit log: %1',
                  failure?.message ?? ''
                )
              : trans.__(
                  'Could not read the audit log: %1',
                  failure?.message ?? ''
                )}
          </p>
        );
      case 'loading':
      case 'ready':
        if (model.status === 'loading' && model.records.length === 0) {
          return <p className="kamld-Audit-empty">{trans.__('Loading…')}</p>;
        }
        return (
          <div aria-busy={model.status === 'loading'}>
            <AuditTable records={model.records} trans={trans} />
            <AuditPager
              pageIndex={model.pageIndex}
              hasPrevious={model.hasPrevious}
              hasNext={model.hasNext}
              busy={model.status === 'loading'}
              onPrevious={() => void model.previous()}
              onNext={() => void model.next()}
              trans={trans}
            />
          </div>
        );
    }
  }
}
