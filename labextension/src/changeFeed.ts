/**
 * Keeps open lists current: a long poll on the sidecar's ChangeService
 * (GET v1/changes), which answers as soon as any dataset is written — from
 * this page, a notebook, the SQL editor or a job — and `changed` fires. One
 * request is outstanding at a time; after a failure it waits a little (the
 * panel's connection section says what is wrong). No JupyterLab imports.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { proxiedUrl, Transport } from './datasetApi';

/** How long one request waits for a change on the sidecar. */
export const WAIT_SECONDS = 25;

/** Pause after a failed request. */
export const RETRY_MS = 2000;

export interface IChanges {
  epoch: string;
  sequence: number;
}

export function parseChanges(body: unknown): IChanges | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const { epoch, sequence } = body as Record<string, unknown>;
  // int64 travels as a JSON string; a zero sequence is omitted.
  const seq = Number(sequence ?? 0);
  return typeof epoch === 'string' && Number.isFinite(seq)
    ? { epoch, sequence: seq }
    : undefined;
}

/** The route of one long poll after `seen`. */
export function changesRoute(seen: IChanges | null, wait: number): string {
  const query = new URLSearchParams({ waitSeconds: String(wait) });
  if (seen) {
    query.set('epoch', seen.epoch);
    query.set('afterSequence', String(seen.sequence));
  }
  return `v1/changes?${query.toString()}`;
}

export class ChangeFeed {
  constructor(
    private readonly _baseUrl: string,
    private readonly _transport: Transport,
    private readonly _sleep: (ms: number) => Promise<void> = ms =>
      new Promise(resolve => setTimeout(resolve, ms))
  ) {}

  /** Fires after every change seen (not for the first answer). */
  get changed(): ISignal<this, IChanges> {
    return this._changed;
  }

  get isRunning(): boolean {
    return this._running;
  }

  /** Starts polling (again); does nothing while running. */
  start(): void {
    if (this._running) {
      return;
    }
    this._running = true;
    void this._loop();
  }

  stop(): void {
    this._running = false;
    this._abort?.abort();
  }

  /** One request; resolves with what it saw, null after a failure. */
  async once(wait: number = WAIT_SECONDS): Promise<IChanges | null> {
    const abort = new AbortController();
    this._abort = abort;
    try {
      const response = await this._transport(
        proxiedUrl(this._baseUrl, changesRoute(this._seen, wait)),
        { signal: abort.signal }
      );
      if (!response.ok) {
        return null;
      }
      const changes = parseChanges(await response.json());
      if (!changes) {
        return null;
      }
      const moved =
        this._seen !== null &&
        (changes.epoch !== this._seen.epoch ||
          changes.sequence !== this._seen.sequence);
      this._seen = changes;
      if (moved) {
        this._changed.emit(changes);
      }
      return changes;
    } catch {
      return null;
    }
  }

  private async _loop(): Promise<void> {
    while (this._running) {
      const seen = await this.once();
      if (!seen && this._running) {
        await this._sleep(RETRY_MS);
      }
    }
  }

  private _seen: IChanges | null = null;
  private _running = false;
  private _abort: AbortController | null = null;
  private readonly _changed = new Signal<this, IChanges>(this);
}
