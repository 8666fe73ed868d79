/**
 * The audit view's filter form: user, dataset, method, outcome and a time
 * range. It keeps what is typed until Apply (or Enter) hands it to the model,
 * which sends it to the server.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { OUTCOMES } from './auditApi';
import { EMPTY_FILTERS, FilterProblem, IAuditFilters } from './auditModel';

function problemText(problem: FilterProblem, trans: TranslationBundle): string {
  switch (problem) {
    case 'bad-since':
      return trans.__('“From” is not a date and time.');
    case 'bad-until':
      return trans.__('“Until” is not a date and time.');
    case 'empty-range':
      return trans.__('“Until” must come after “From”.');
    case '':
      return '';
  }
}

export function AuditFilters(props: {
  initial: IAuditFilters;
  problem: FilterProblem;
  onApply: (filters: IAuditFilters) => void;
  trans: TranslationBundle;
}): React.ReactElement {
  const { trans, problem } = props;
  const [filters, setFilters] = React.useState<IAuditFilters>(props.initial);
  const set =
    (key: keyof IAuditFilters) =>
    (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>): void =>
      setFilters({ ...filters, [key]: event.target.value });
  const text = (
    key: 'subject' | 'dataset' | 'method',
    label: string,
    placeholder: string
  ): React.ReactElement => (
    <label className="kamld-AuditFilters-field">
      <span className="kamld-Form-label">{label}</span>
      <input
        className="jp-mod-styled"
        value={filters[key]}
        placeholder={placeholder}
        onChange={set(key)}
      />
    </label>
  );
  const time = (key: 'since' | 'until', label: string): React.ReactElement => (
    <label className="kamld-AuditFilters-field">
      <span className="kamld-Form-label">{label}</span>
      <input
        className="jp-mod-styled"
        type="datetime-local"
        value={filters[key]}
        aria-invalid={
          (key === 'since' && problem === 'bad-since') ||
          (key === 'until' && problem !== '' && problem !== 'bad-since')
        }
        onChange={set(key)}
      />
    </label>
  );
  return (
    <form
      className="kamld-AuditFilters"
      aria-label={trans.__('Audit filters')}
      onSubmit={event => {
        event.preventDefault();
        props.onApply(filters);
      }}
    >
      {text('subject', trans.__('User'), trans.__('account name'))}
      {text('dataset', trans.__('Dataset'), trans.__('dataset id'))}
      {text('method', trans.__('Method'), trans.__('e.g. CreateDataset'))}
      <label className="kamld-AuditFilters-field">
        <span className="kamld-Form-label">{trans.__('Outcome')}</span>
        <select
          className="jp-mod-styled"
          value={filters.outcome}
          onChange={set('outcome')}
        >
          <option value="">{trans.__('any')}</option>
          {OUTCOMES.map(o => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      {time('since', trans.__('From'))}
      {time('until', trans.__('Until'))}
      <div className="kamld-AuditFilters-buttons">
        <Button type="submit" small>
          {trans.__('Apply')}
        </Button>
        <Button
          small
          minimal
          onClick={() => {
            setFilters(EMPTY_FILTERS);
            props.onApply(EMPTY_FILTERS);
          }}
        >
          {trans.__('Clear')}
        </Button>
      </div>
      {problem && (
        <p className="kamld-Form-error" role="alert">
          {problemText(problem, trans)}
        </p>
      )}
    </form>
  );
}
