/**
 * The Platform view (main area): the health of every backend, their latency
 * and error rate over the last hour, RPCs, jobs, storage, index lag and the
 * recent failures, for this sidecar or — with a Prometheus configured — the
 * whole fleet. It refreshes every few seconds while shown.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { tileFigures } from './activityTiles';
import { BackendCard } from './backendCard';
import { FailuresTable } from './failuresTable';
import { formatAge, formatBytes } from './format';
import { MetricTile } from './metricTile';
import { PlatformModel } from './platformModel';
import { SourceSwitch } from './sourceSwitch';

export class PlatformViewWidget extends ReactWidget {
  constructor(
    readonly model: PlatformModel,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('kamld-Platform');
  }

  render(): React.ReactElement {
    return (
      <UseSignal signal={this.model.changed}>{() => this._content()}</UseSignal>
    );
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.start();
  }

  protected onBeforeHide(msg: Message): void {
    this.model.stop();
    super.onBeforeHide(msg);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.model.start();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.stop();
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  private _content(): React.ReactElement {
    const trans = this._trans;
    const model = this.model;
    const now = Date.now();
    const failure = model.healthFailure ?? model.summaryFailure;
    return (
      <div className="kamld-Platform-content" data-kamld-level={model.level}>
        <header className="kamld-Platform-header">
          <h2 className="kamld-Platform-title">{trans.__('Platform')}</h2>
          <SourceSwitch
            value={model.source}
            onChange={source => (model.source = source)}
            trans={trans}
          />
          <span className="kamld-Platform-updated" aria-live="polite">
            {model.updatedAt
              ? trans.__(
                  'Updated %1 ago',
                  formatAge(new Date(model.updatedAt).toISOString(), now)
                )
              : trans.__('Loading…')}
          </span>
        </header>
        {failure && (
          <p className="kamld-Platform-failure" role="alert">
            {model.healthFailure
              ? trans.__(
                  'Cannot read the backends’ health: %1',
                  failure.message
                )
              : trans.__('Cannot read the metrics: %1', failure.message)}
          </p>
        )}
        <h3 className="kamld-Platform-sectionTitle">{trans.__('Backends')}</h3>
        <div className="kamld-Platform-backends">
          {model.cards.map(card => (
            <BackendCard
              key={card.health.capability}
              card={card}
              now={now}
              trans={trans}
            />
          ))}
        </div>
        {this._activity()}
        <h3 className="kamld-Platform-sectionTitle">
          {trans.__('Recent failures')}
        </h3>
        <FailuresTable
          failures={model.summary?.failures ?? []}
          now={now}
          trans={trans}
        />
      </div>
    );
  }

  private _activity(): React.ReactElement | null {
    const trans = this._trans;
    const summary = this.model.summary;
    if (!summary) {
      return null;
    }
    const f = tileFigures(summary);
    const count = (n: number) => String(Math.round(n));
    return (
      <>
        <h3 className="kamld-Platform-sectionTitle">
          {trans.__('Activity, last hour')}
        </h3>
        <div className="kamld-Platform-tiles">
          <MetricTile
            name="rpcs"
            title={trans.__('Calls')}
            facts={[
              { label: trans.__('rate'), value: f.rpcs.rate },
              { label: trans.__('errors'), value: f.rpcs.errors },
              { label: trans.__('p99'), value: f.rpcs.p99 }
            ]}
            chart={{
              label: trans.__('per minute'),
              value: '',
              values: f.rpcs.perMinute,
              format: count,
              description: trans.__('Calls per minute')
            }}
          />
          <MetricTile
            name="jobs"
            title={trans.__('Jobs')}
            facts={[
              { label: trans.__('queued'), value: count(f.jobs.queued) },
              { label: trans.__('started'), value: count(f.jobs.started) },
              { label: trans.__('succeeded'), value: count(f.jobs.succeeded) },
              { label: trans.__('failed'), value: count(f.jobs.failed) }
            ]}
            chart={{
              label: trans.__('ended per minute'),
              value: '',
              values: f.jobs.endedPerMinute,
              format: count,
              description: trans.__('Jobs ended per minute')
            }}
          />
          <MetricTile
            name="storage"
            title={trans.__('Storage')}
            facts={[
              { label: trans.__('used'), value: f.storage.used },
              { label: trans.__('growth'), value: f.storage.growth }
            ]}
            chart={{
              label: trans.__('used'),
              value: '',
              values: f.storage.history,
              format: formatBytes,
              description: trans.__('Storage used per minute')
            }}
          />
          <MetricTile
            name="index"
            title={trans.__('Search index')}
            facts={[
              { label: trans.__('pending'), value: count(f.index.pending) },
              { label: trans.__('lag'), value: f.index.lag }
            ]}
            chart={{
              label: trans.__('pending updates'),
              value: '',
              values: f.index.history,
              format: count,
              description: trans.__('Index updates pending per minute')
            }}
          />
        </div>
        {summary.storageUsedBytes === 0 && (
          <p className="kamld-Platform-note">
            {trans.__(
              'Storage is measured by garbage collection; it shows 0 until one has run.'
            )}
          </p>
        )}
      </>
    );
  }
}
