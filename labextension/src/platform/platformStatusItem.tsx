/**
 * The Platform item of JupyterLab's status bar: a dot for the worst backend
 * health the connection poll last saw (green, amber, red); a click opens the
 * Platform view.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { makeClickable } from '../clickable';
import { ConnectionModel } from '../connectionModel';
import { IConnectionViewModel } from '../connectionState';
import { levelLabel } from './healthDot';
import { HealthLevel } from './platformModel';

/** The worst backend's level; unknown (no backends listed) reads as green. */
export function connectionLevel(view: IConnectionViewModel): HealthLevel {
  const severities = view.backends.map(b => b.severity);
  if (severities.includes('error')) {
    return 'red';
  }
  return severities.includes('warning') ? 'amber' : 'green';
}

export class PlatformStatusItem extends ReactWidget {
  constructor(
    private readonly _connection: ConnectionModel,
    private readonly _trans: TranslationBundle,
    onClick: () => void
  ) {
    super();
    this.addClass('kamld-PlatformStatusItem');
    makeClickable(this.node, onClick);
  }

  render(): React.ReactElement {
    return (
      <UseSignal signal={this._connection.changed}>
        {() => this._content()}
      </UseSignal>
    );
  }

  private _content(): React.ReactElement {
    const trans = this._trans;
    const view = this._connection.viewModel;
    const level = view.reachable ? connectionLevel(view) : 'red';
    const title = trans.__(
      'Platform: %1 · Click to open the Platform view',
      levelLabel(level, trans)
    );
    this.node.title = title;
    this.node.setAttribute('aria-label', title);
    this.node.dataset.kamldLevel = level;
    return (
      <>
        <span className={`kamld-HealthDot kamld-mod-${level}`} />
        <span className="kamld-PlatformStatusItem-text">
          {trans.__('Platform')}
        </span>
      </>
    );
  }
}
