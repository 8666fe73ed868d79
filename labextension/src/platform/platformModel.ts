/**
 * The Platform view's state: each backend's health and calls, RPCs, jobs,
 * storage, index lag and recent failures, from the sidecar's own window
 * ("local") or from Prometheus for the fleet ("prometheus"). A Lumino Poll
 * refreshes it every few seconds while the view is shown.
 *
 * No JupyterLab imports: jest drives it with a fake source.
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type { DatasetResult, IDatasetApiFailure } from '../datasetApi';
import type {
  IBackendHealth,
  ICallStats,
  IMetricsSummary,
  SummarySource
} from './platformApi';

/** What the model needs of the API client (PlatformClient). */
export interface IPlatformSource {
  backends(): Promise<DatasetResult<IBackendHealth[]>>;
  summary(
    source: SummarySource,
    windowSeconds: number
  ): Promise<DatasetResult<IMetricsSummary>>;
}

/**
 * green: serving, and its calls of the last few minutes succeeded; amber:
 * serving, but calls failed server-side in those minutes after its last
 * failed health check (errors an outage does not explain); red: not serving.
 * So a backend that recovers from an outage turns green at once.
 */
export type HealthLevel = 'green' | 'amber' | 'red';

/** How many recent minutes of calls decide amber. */
export const RECENT_MINUTES = 5;

/** One backend's card: its health and its calls in the window. */
export interface IBackendCard {
  health: IBackendHealth;
  level: HealthLevel;
  /** Empty when the backend was not called in the window. */
  calls?: ICallStats;
}

/** The window the view shows: the last hour. */
export const WINDOW_SECONDS = 3600;
/** How often the view refreshes while shown. */
export const REFRESH_MS = 5000;

export function errorRate(calls: ICallStats | undefined): number {
  return calls && calls.count > 0 ? calls.errors / calls.count : 0;
}

/** The health level of a backend at `now` (ms since the epoch). */
export function healthLevel(
  health: IBackendHealth,
  calls: ICallStats | undefined,
  now: number
): HealthLevel {
  if (!health.serving) {
    return 'red';
  }
  const failedAt = Date.parse(health.lastErrorTime);
  const outageMinute = Number.isFinite(failedAt)
    ? Math.floor(failedAt / 60_000) * 60_000
    : -Infinity;
  const since = now - RECENT_MINUTES * 60_000;
  const unexplained = (calls?.minutes ?? []).some(m => {
    const start = Date.parse(m.start);
    return m.errors > 0 && start >= since && start > outageMinute;
  });
  return unexplained ? 'amber' : 'green';
}

/** The worst of some levels ('green' for none). */
export function worstLevel(levels: readonly HealthLevel[]): HealthLevel {
  return levels.includes('red')
    ? 'red'
    : levels.includes('amber')
      ? 'amber'
      : 'green';
}

export class PlatformModel implements IDisposable {
  constructor(
    private readonly _source: IPlatformSource,
    private readonly _now: () => number = Date.now
  ) {
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: REFRESH_MS, backoff: false },
      standby: 'when-hidden',
      auto: false,
      name: 'kamld:platform'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get source(): SummarySource {
    return this._summarySource;
  }

  /** Switches between this sidecar and the fleet, and refreshes. */
  set source(value: SummarySource) {
    if (value !== this._summarySource) {
      this._summarySource = value;
      this._summary = undefined;
      this._summaryFailure = undefined;
      this._changed.emit();
      void this.refresh();
    }
  }

  get cards(): readonly IBackendCard[] {
    return this._cards;
  }

  get summary(): IMetricsSummary | undefined {
    return this._summary;
  }

  /** Why GetInfo failed on the last refresh, if it did. */
  get healthFailure(): IDatasetApiFailure | undefined {
    return this._healthFailure;
  }

  /** Why the summary failed on the last refresh (e.g. no Prometheus configured). */
  get summaryFailure(): IDatasetApiFailure | undefined {
    return this._summaryFailure;
  }

  /** When the last refresh finished (ms since the epoch; 0: never). */
  get updatedAt(): number {
    return this._updatedAt;
  }

  get level(): HealthLevel {
    return this._healthFailure
      ? 'red'
      : worstLevel(this._cards.map(c => c.level));
  }

  /** Starts refreshing every few seconds (at once, then on the poll's pace). */
  start(): void {
    void this._poll.start();
  }

  stop(): void {
    void this._poll.stop();
  }

  /** Reads health and summary once. Never rejects. */
  async refresh(): Promise<void> {
    const source = this._summarySource;
    const [backends, summary] = await Promise.all([
      this._source.backends(),
      this._source.summary(source, WINDOW_SECONDS)
    ]);
    if (this.isDisposed || source !== this._summarySource) {
      return;
    }
    this._healthFailure = backends.ok ? undefined : backends.failure;
    if (summary.ok) {
      this._summary = summary.value;
      this._summaryFailure = undefined;
    } else {
      this._summaryFailure = summary.failure;
    }
    if (backends.ok) {
      this._cards = this._cardsOf(backends.value);
    }
    this._updatedAt = this._now();
    this._changed.emit();
  }

  private _cardsOf(backends: IBackendHealth[]): IBackendCard[] {
    const calls = new Map(
      (this._summary?.backends ?? []).map(b => [b.backend, b.calls])
    );
    const now = this._now();
    return backends.map(health => {
      const c = calls.get(health.backend);
      return { health, calls: c, level: healthLevel(health, c, now) };
    });
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private _summarySource: SummarySource = 'local';
  private _cards: IBackendCard[] = [];
  private _summary: IMetricsSummary | undefined;
  private _healthFailure: IDatasetApiFailure | undefined;
  private _summaryFailure: IDatasetApiFailure | undefined;
  private _updatedAt = 0;
}
