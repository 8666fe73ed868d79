/**
 * Chooses where the Platform view's figures come from: this sidecar's own
 * window, or Prometheus for the whole fleet. A radio group: arrow keys move
 * between the two, as ARIA's radio pattern says.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { SummarySource } from './platformApi';

export function SourceSwitch(props: {
  value: SummarySource;
  onChange: (source: SummarySource) => void;
  trans: TranslationBundle;
}): React.ReactElement {
  const { trans } = props;
  const options: { value: SummarySource; label: string; title: string }[] = [
    {
      value: 'local',
      label: trans.__('This sidecar'),
      title: trans.__('The last hour this sidecar keeps in memory')
    },
    {
      value: 'prometheus',
      label: trans.__('Fleet'),
      title: trans.__(
        'Every sidecar, from the Prometheus configured as observe.prometheus_url'
      )
    }
  ];
  return (
    <div
      className="kamld-SourceSwitch"
      role="radiogroup"
      aria-label={trans.__('Source of the figures')}
    >
      {options.map(o => (
        <label
          key={o.value}
          className={`kamld-SourceSwitch-option${o.value === props.value ? ' kamld-mod-selected' : ''}`}
          title={o.title}
        >
          <input
            type="radio"
            name="kamld-platform-source"
            value={o.value}
            checked={o.value === props.value}
            onChange={() => props.onChange(o.value)}
          />
          {o.label}
        </label>
      ))}
    </div>
  );
}
