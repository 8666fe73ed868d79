/**
 * The kamld item of JupyterLab's status bar: the sidecar connection's state
 * and how many jobs are running; a click shows the Datasets panel.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { makeClickable } from './clickable';
import { ConnectionModel } from './connectionModel';
import { datasetsIcon } from './icons';
import { JobsModel } from './jobsModel';

export class KamldStatusItem extends ReactWidget {
  constructor(
    private readonly _connection: ConnectionModel,
    private readonly _jobs: JobsModel,
    private readonly _trans: TranslationBundle,
    onClick: () => void
  ) {
    super();
    this.addClass('kamld-StatusItem');
    makeClickable(this.node, onClick);
  }

  render(): React.ReactElement {
    return (
      <UseSignal signal={this._connection.changed}>
        {() => (
          <UseSignal signal={this._jobs.changed}>
            {() => this._content()}
          </UseSignal>
        )}
      </UseSignal>
    );
  }

  private _content(): React.ReactElement {
    const trans = this._trans;
    const view = this._connection.viewModel;
    const running = this._jobs.runningCount;
    const jobs =
      running > 0 ? trans._n('%1 job running', '%1 jobs running', running) : '';
    const title = [
      view.title,
      jobs,
      trans.__('Click to show the Datasets panel')
    ]
      .filter(Boolean)
      .join(' · ');
    this.node.title = title;
    this.node.setAttribute('aria-label', title);
    this.node.dataset.kamldState = view.state;
    this.node.dataset.kamldSeverity = view.severity;
    this.node.dataset.kamldRunning = String(running);
    return (
      <>
        <datasetsIcon.react tag="span" className="kamld-StatusItem-icon" />
        <span className={`kamld-StatusItem-dot kamld-mod-${view.severity}`} />
        <span className="kamld-StatusItem-text">
          {running > 0
            ? trans.__('kamld · %1 running', running)
            : trans.__('kamld')}
        </span>
      </>
    );
  }
}
