/**
 * One backend in the Platform view: its health (green/amber/red, since when,
 * failed checks, last error), and its latency (p50, p99) and error rate per
 * minute over the window as small charts.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { formatAge, formatPercent, formatSeconds } from './format';
import { HealthDot, levelLabel } from './healthDot';
import { errorRate, IBackendCard } from './platformModel';
import { MiniChart as Chart } from './miniChart';

export function BackendCard(props: {
  card: IBackendCard;
  now: number;
  trans: TranslationBundle;
}): React.ReactElement {
  const { card, now, trans } = props;
  const { health, calls, level } = card;
  const minutes = calls?.minutes ?? [];
  return (
    <section
      className={`kamld-BackendCard kamld-mod-${level}`}
      data-kamld-backend={health.capability}
      data-kamld-level={level}
      aria-label={trans.__('%1 backend %2', health.capability, health.backend)}
    >
      <header className="kamld-BackendCard-header">
        <HealthDot level={level} trans={trans} />
        <span className="kamld-BackendCard-name">{health.backend}</span>
        <span className="kamld-BackendCard-capability">
          {health.capability}
        </span>
        <span className="kamld-BackendCard-state">
          {stateText(card, now, trans)}
        </span>
      </header>
      {!health.serving && health.message && (
        <p className="kamld-BackendCard-error" role="alert">
          {health.message}
        </p>
      )}
      <dl className="kamld-BackendCard-facts">
        <dt>{trans.__('Failed checks')}</dt>
        <dd>{health.failures}</dd>
        {health.lastError && (
          <>
            <dt>{trans.__('Last error')}</dt>
            <dd
              className="kamld-BackendCard-lastError"
              title={health.lastError}
            >
              {trans.__(
                '%1 ago: %2',
                formatAge(health.lastErrorTime, now),
                health.lastError
              )}
            </dd>
          </>
        )}
        {health.location && (
          <>
            <dt>{trans.__('Location')}</dt>
            <dd title={health.location}>{health.location}</dd>
          </>
        )}
      </dl>
      {calls ? (
        <div className="kamld-BackendCard-charts">
          <Chart
            label={trans.__('p50')}
            value={formatSeconds(calls.p50)}
            values={minutes.map(m => m.p50)}
            format={formatSeconds}
            description={trans.__('%1 p50 latency per minute', health.backend)}
          />
          <Chart
            label={trans.__('p99')}
            value={formatSeconds(calls.p99)}
            values={minutes.map(m => m.p99)}
            format={formatSeconds}
            description={trans.__('%1 p99 latency per minute', health.backend)}
          />
          <Chart
            label={trans.__('errors')}
            value={formatPercent(errorRate(calls))}
            values={minutes.map(m => (m.count ? m.errors / m.count : 0))}
            format={formatPercent}
            color="var(--jp-error-color1)"
            description={trans.__('%1 error rate per minute', health.backend)}
          />
        </div>
      ) : (
        <p className="kamld-BackendCard-idle">
          {trans.__('No calls in the last hour.')}
        </p>
      )}
    </section>
  );
}

/** "Down for 2 min", "Recovered 5 min ago", or the level in words. */
function stateText(
  card: IBackendCard,
  now: number,
  trans: TranslationBundle
): string {
  const { health, level } = card;
  if (!health.serving && health.degradedSince) {
    return trans.__('Down for %1', formatAge(health.degradedSince, now));
  }
  const failedAt = Date.parse(health.lastErrorTime);
  if (health.serving && now - failedAt < 3600_000) {
    return trans.__(
      'Recovered, last failure %1 ago',
      formatAge(health.lastErrorTime, now)
    );
  }
  return levelLabel(level, trans);
}
