/** Previous / next page of the audit records, with the page's number. */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

export function AuditPager(props: {
  pageIndex: number;
  hasPrevious: boolean;
  hasNext: boolean;
  busy: boolean;
  onPrevious: () => void;
  onNext: () => void;
  trans: TranslationBundle;
}): React.ReactElement {
  const { trans } = props;
  return (
    <nav className="kamld-AuditPager" aria-label={trans.__('Audit pages')}>
      <Button
        small
        minimal
        disabled={props.busy || !props.hasPrevious}
        onClick={props.onPrevious}
      >
        {trans.__('Previous page')}
      </Button>
      <span className="kamld-AuditPager-page">
        {trans.__('Page %1', props.pageIndex + 1)}
      </span>
      <Button
        small
        minimal
        disabled={props.busy || !props.hasNext}
        onClick={props.onNext}
      >
        {trans.__('Next page')}
      </Button>
    </nav>
  );
}
