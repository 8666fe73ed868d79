/**
 * The state of one pipeline run's view: the run (polled until it is final), the selected step and its log
 * (polled while the step runs). No JupyterLab imports.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { JobClient } from '../jobApi';
import {
  IPipelineRun,
  IPipelineStep,
  isFinalRun,
  logJob,
  PipelineClient
} from './pipelineApi';

/** How often a running run (and the selected step's log) is read again. */
export const RUN_POLL_MS = 1000;

export class PipelineRunModel {
  constructor(
    readonly runId: string,
    private readonly _client: PipelineClient,
    private readonly _jobs: JobClient
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get run(): IPipelineRun | undefined {
    return this._run;
  }

  get error(): string {
    return this._error;
  }

  get selected(): IPipelineStep | undefined {
    return this._run?.steps.find(s => s.name === this._selected);
  }

  get log(): string {
    return this._log;
  }

  /** Reads the run (and the selected step's log) now, then every RUN_POLL_MS until both are final. */
  start(): void {
    void this._tick();
  }

  async refresh(): Promise<void> {
    const got = await this._client.getRun(this.runId);
    if (got.ok) {
      this._run = got.value;
      this._error = '';
    } else {
      this._error = got.failure.message;
    }
    await this._readLog();
    this._changed.emit();
  }

  select(step: string): void {
    this._selected = step;
    this._log = '';
    this._changed.emit();
    void this._readLog().then(() => this._changed.emit());
  }

  async cancel(): Promise<void> {
    const got = await this._client.cancelRun(this.runId);
    if (got.ok) {
      this._run = got.value;
    } else {
      this._error = got.failure.message;
    }
    this._changed.emit();
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    this._disposed = true;
  }

  private async _readLog(): Promise<void> {
    const step = this.selected;
    const job = step ? logJob(step) : '';
    if (!job) {
      return;
    }
    const got = await this._jobs.logs(job.replace(/^jobs\//, ''));
    if (got.ok && this.selected?.name === step?.name) {
      this._log = got.value;
    }
  }

  private async _tick(): Promise<void> {
    await this.refresh();
    const stepRunning = this.selected?.state === 'RUNNING';
    if (
      !this._disposed &&
      (!this._run || !isFinalRun(this._run) || stepRunning)
    ) {
      this._timer = window.setTimeout(() => void this._tick(), RUN_POLL_MS);
    }
  }

  private _run: IPipelineRun | undefined;
  private _error = '';
  private _selected = '';
  private _log = '';
  private _timer = 0;
  private _disposed = false;
  private readonly _changed = new Signal<this, void>(this);
}
