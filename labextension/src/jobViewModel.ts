/**
 * One job's tab: the job and its log, reloaded through a Lumino Poll while
 * the job can still change, and the versions of the snapshots it read and
 * wrote (so links open the exact snapshot, not a draft). No JupyterLab
 * imports.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { DatasetResult } from './datasetApi';
import { IJob, isFinal } from './jobApi';
import { IJobSource } from './jobsModel';

/** How often a job that has not ended is reloaded. */
export const JOB_POLL_MS = 1000;

export interface IJobViewSource extends Pick<
  IJobSource,
  'getJob' | 'logs' | 'cancelJob'
> {
  /** `version` (e.g. `v3`) of a snapshot resource name. */
  snapshotVersion(name: string): Promise<DatasetResult<string>>;
}

export class JobViewModel {
  constructor(
    readonly jobId: string,
    private readonly _client: IJobViewSource
  ) {
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: JOB_POLL_MS, backoff: false },
      standby: () => (this._final ? true : 'when-hidden')
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  job: IJob | null = null;
  log = '';
  error = '';
  /** Snapshot resource name → version, for the inputs and outputs. */
  readonly versions = new Map<string, string>();

  async refresh(): Promise<void> {
    const [job, log] = await Promise.all([
      this._client.getJob(this.jobId),
      this._client.logs(this.jobId)
    ]);
    if (job.ok) {
      this.job = job.value;
      this.error = '';
      this._final = isFinal(job.value);
      await this._resolveVersions(job.value);
    } else {
      this.error = job.failure.message;
    }
    if (log.ok) {
      this.log = log.value;
    }
    this._changed.emit();
  }

  async cancel(): Promise<string> {
    const result = await this._client.cancelJob(this.jobId);
    await this.refresh();
    return result.ok ? '' : result.failure.message;
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _resolveVersions(job: IJob): Promise<void> {
    const names = [
      ...job.inputs.map(i => i.snapshot),
      ...job.outputSnapshots
    ].filter(name => name && !this.versions.has(name));
    await Promise.all(
      names.map(async name => {
        const got = await this._client.snapshotVersion(name);
        if (got.ok) {
          this.versions.set(name, got.value);
        }
      })
    );
  }

  private _final = false;
  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
}
