/**
 * Keeps the connection view model current: polls status + GetInfo, backs off
 * while the sidecar cannot be reached and returns to the normal pace as soon
 * as it answers again.
 */
import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { KamldClient } from './api';
import {
  describeConnection,
  IConnectionViewModel,
  ITranslate
} from './connectionState';

export interface IPollSettings {
  /** Seconds between polls while all is well. */
  pollInterval: number;
  /** Upper bound in seconds of the backoff while the sidecar is unreachable. */
  maxPollInterval: number;
}

export const DEFAULT_POLL_SETTINGS: IPollSettings = {
  pollInterval: 5,
  maxPollInterval: 30
};

/** Growth factor of the interval after each failed poll. */
const BACKOFF_GROWTH = 2;

export interface IConnectionModelOptions {
  client: KamldClient;
  trans: ITranslate;
  extensionVersion: string;
  pollSettings?: IPollSettings;
}

export class ConnectionModel implements IDisposable {
  constructor(options: IConnectionModelOptions) {
    this._client = options.client;
    this._trans = options.trans;
    this._extensionVersion = options.extensionVersion;
    this._viewModel = describeConnection(
      { extensionVersion: this._extensionVersion },
      this._trans
    );
    this._poll = new Poll({
      name: 'kamld:connection',
      factory: () => this._check(),
      frequency: frequencyOf(options.pollSettings ?? DEFAULT_POLL_SETTINGS),
      // Nobody looks at a hidden panel or a background tab: stop asking.
      standby: () => !(this._active || this._inStatusBar) || isDocumentHidden()
    });
  }

  get viewModel(): IConnectionViewModel {
    return this._viewModel;
  }

  /** GetInfo's capabilities from the last successful answer (`[]` otherwise). */
  get capabilities(): readonly string[] {
    return this._capabilities;
  }

  /** Whether GetInfo's last successful answer said the caller is a platform admin. */
  get admin(): boolean {
    return this._admin;
  }

  /** Emits every new view model (also when unchanged, e.g. after a retry). */
  get changed(): ISignal<this, IConnectionViewModel> {
    return this._changed;
  }

  /** Whether the panel is visible; a hidden panel does not poll. */
  set active(active: boolean) {
    const wasActive = this._active;
    this._active = active;
    if (active && !wasActive) {
      void this.refresh();
    }
  }

  /**
   * Whether JupyterLab's status bar shows the state: it is always in view,
   * so the sidecar is then checked while the panel is hidden too.
   */
  set inStatusBar(shown: boolean) {
    const was = this._inStatusBar;
    this._inStatusBar = shown;
    if (shown && !was) {
      void this.refresh();
    }
  }

  set pollSettings(settings: IPollSettings) {
    this._poll.frequency = frequencyOf(settings);
  }

  /** Checks now, whatever the backoff says (the panel's Retry button). */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    // Poll.dispose() leaves its pending timer behind; stopping first clears
    // it (this is what lets jest, and any non-browser host, exit).
    void this._poll.stop();
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _check(): Promise<void> {
    const [status, info] = await Promise.all([
      this._client.getStatus(),
      this._client.getSystemInfo()
    ]);
    if (this.isDisposed) {
      return;
    }
    this._capabilities = info.ok ? info.value.capabilities : [];
    this._admin = info.ok && info.value.admin;
    this._viewModel = describeConnection(
      { extensionVersion: this._extensionVersion, status, info },
      this._trans
    );
    this._changed.emit(this._viewModel);
    if (!this._viewModel.reachable) {
      // A rejected tick is what makes Poll back off.
      throw new Error(this._viewModel.title);
    }
  }

  private _inStatusBar = false;
  private _capabilities: readonly string[] = [];
  private _admin = false;
  private readonly _client: KamldClient;
  private readonly _trans: ITranslate;
  private readonly _extensionVersion: string;
  private readonly _poll: Poll<void, Error>;
  private readonly _changed = new Signal<this, IConnectionViewModel>(this);
  private _viewModel: IConnectionViewModel;
  private _active = false;
}

function isDocumentHidden(): boolean {
  return typeof document !== 'undefined' && document.hidden;
}

function frequencyOf(settings: IPollSettings): IPoll.Frequency {
  const interval = Math.max(1, settings.pollInterval) * 1000;
  return {
    interval,
    backoff: BACKOFF_GROWTH,
    max: Math.max(interval, settings.maxPollInterval * 1000)
  };
}
