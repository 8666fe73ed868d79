/**
 * A coloured dot for a health level (green, amber, red), with the level in
 * words for screen readers: colour is never the only signal.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { HealthLevel } from './platformModel';

export function levelLabel(
  level: HealthLevel,
  trans: TranslationBundle
): string {
  switch (level) {
    case 'green':
      return trans.__('Healthy');
    case 'amber':
      return trans.__('Degraded');
    case 'red':
      return trans.__('Down');
  }
}

export function HealthDot(props: {
  level: HealthLevel;
  trans: TranslationBundle;
}): React.ReactElement {
  return (
    <span
      className={`kamld-HealthDot kamld-mod-${props.level}`}
      role="img"
      aria-label={levelLabel(props.level, props.trans)}
      title={levelLabel(props.level, props.trans)}
    />
  );
}
