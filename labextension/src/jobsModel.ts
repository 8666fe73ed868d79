/**
 * The Jobs section's state: the recent jobs, the one opened with its log, and the jobs that ended since the
 * last look (for notifications). Only Lumino signals, no JupyterLab imports: jest drives it with a fake
 * client. `refresh` is called by a poll while the panel is visible.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DatasetResult } from './datasetApi';
import { IJob, isFinal, rerunBody } from './jobApi';

/** What the model needs of the API client. */
export interface IJobSource {
  listJobs(pageSize?: number): Promise<DatasetResult<IJob[]>>;
  getJob(id: string): Promise<DatasetResult<IJob>>;
  cancelJob(id: string): Promise<DatasetResult<IJob>>;
  submitJob(job: Record<string, unknown>): Promise<DatasetResult<IJob>>;
  logs(id: string): Promise<DatasetResult<string>>;
}

export class JobsModel {
  constructor(private readonly _client: IJobSource) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emits each job that reached a final state while the model watched it. */
  get finished(): ISignal<this, IJob> {
    return this._finished;
  }

  get jobs(): readonly IJob[] {
    return this._jobs;
  }

  /** Jobs listed that have not ended yet (queued, starting or running). */
  get runningCount(): number {
    return this._jobs.filter(job => !isFinal(job)).length;
  }

  get selected(): IJob | undefined {
    return this._jobs.find(j => j.id === this._selectedId) ?? this._detail;
  }

  get log(): string {
    return this._log;
  }

  get error(): string {
    return this._error;
  }

  /** Opens a job (its events, inputs, outputs and log); the same id again closes it. */
  async select(id: string): Promise<void> {
    this._selectedId = this._selectedId === id ? '' : id;
    this._log = '';
    this._logFinal = false;
    this._detail = undefined;
    this._changed.emit();
    await this.refresh();
  }

  /** Reloads the list, and the open job's log while it can still change. */
  async refresh(): Promise<void> {
    const listed = await this._client.listJobs(50);
    if (!listed.ok) {
      this._error = listed.failure.message;
      this._changed.emit();
      return;
    }
    this._error = '';
    for (const job of listed.value) {
      const before = this._states.get(job.id);
      if (before !== undefined && !before && isFinal(job)) {
        this._finished.emit(job);
      }
      this._states.set(job.id, isFinal(job));
    }
    this._jobs = listed.value;
    await this._refreshSelected();
    this._changed.emit();
  }

  /** Watches a job just submitted, so that its end is notified even before the list shows it. */
  track(job: IJob): void {
    this._states.set(job.id, isFinal(job));
    this._jobs = [job, ...this._jobs.filter(j => j.id !== job.id)];
    this._changed.emit();
  }

  async cancel(id: string): Promise<string> {
    const result = await this._client.cancelJob(id);
    await this.refresh();
    return result.ok ? '' : result.failure.message;
  }

  /** Submits the job again (same spec and input snapshots) and opens the new one; an error message or "". */
  async rerun(job: IJob): Promise<string> {
    const result = await this._client.submitJob(rerunBody(job));
    if (!result.ok) {
      return result.failure.message;
    }
    this.track(result.value);
    await this.select(result.value.id);
    return '';
  }

  private async _refreshSelected(): Promise<void> {
    const id = this._selectedId;
    if (!id) {
      return;
    }
    let job = this._jobs.find(j => j.id === id);
    if (!job) {
      const got = await this._client.getJob(id);
      job = got.ok ? got.value : undefined;
      this._detail = job;
    }
    if (job && (!this._logFinal || this._log === '')) {
      const logs = await this._client.logs(id);
      if (logs.ok && id === this._selectedId) {
        this._log = logs.value;
        this._logFinal = isFinal(job);
      }
    }
  }

  private _jobs: IJob[] = [];
  private _selectedId = '';
  private _detail: IJob | undefined;
  private _log = '';
  private _logFinal = false;
  private _error = '';
  private readonly _states = new Map<string, boolean>();
  private readonly _changed = new Signal<this, void>(this);
  private readonly _finished = new Signal<this, IJob>(this);
}
