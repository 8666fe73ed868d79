/**
 * The "Jobs" section of the panel: recent training jobs with state, flavor and duration; a job opened shows
 * its events, inputs, outputs with their lineage, and its log (refreshed while it runs), and can be
 * cancelled.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  datasetOf,
  IJob,
  isFinal,
  jobDuration,
  jobTitle,
  lineageLine,
  shortSnapshot
} from './jobApi';
import { JobsModel } from './jobsModel';

export class JobsSectionWidget extends ReactWidget {
  constructor(
    private readonly _model: JobsModel,
    private readonly _trans: TranslationBundle,
    /** Opens the view of a dataset id. */
    private readonly _open: (dataset: string) => void
  ) {
    super();
    this.addClass('kamld-JobsSection');
    this.title.label = _trans.__('Jobs');
    this.title.caption = _trans.__('Training jobs run by the kamld sidecar');
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const model = this._model;
    const open = this._open;
    return (
      <UseSignal signal={model.changed}>
        {() => (
          <div className="kamld-JobsList">
            {model.error && (
              <div className="kamld-JobsError" role="alert">
                {model.error}
              </div>
            )}
            {model.jobs.length === 0 && !model.error && (
              <p className="kamld-Empty">
                {trans.__(
                  'No jobs yet. Right-click a script or notebook in the file browser and choose “Run as job…”.'
                )}
              </p>
            )}
            {model.jobs.map(job => (
              <JobRow
                key={job.id}
                job={job}
                open={model.selected?.id === job.id}
                model={model}
                trans={trans}
                openDataset={open}
              />
            ))}
          </div>
        )}
      </UseSignal>
    );
  }
}

interface IJobProps {
  job: IJob;
  model: JobsModel;
  trans: TranslationBundle;
  openDataset: (dataset: string) => void;
}

function JobRow(props: IJobProps & { open: boolean }): React.ReactElement {
  const { job, open, model } = props;
  return (
    <div
      className={`kamld-JobRow kamld-mod-${job.state.toLowerCase()}`}
      data-job={job.id}
      data-kamld-job={job.id}
    >
      <button
        className="kamld-JobRow-summary"
        onClick={() => void model.select(job.id)}
        aria-expanded={open}
      >
        <span className="kamld-JobRow-state">{job.state}</span>
        <span className="kamld-JobRow-title">{jobTitle(job)}</span>
        <span className="kamld-JobRow-flavor">{job.flavor}</span>
        <span className="kamld-JobRow-duration">{jobDuration(job)}</span>
      </button>
      {open && <JobDetail {...props} />}
    </div>
  );
}

function JobDetail(props: IJobProps): React.ReactElement {
  const { job, model, trans, openDataset } = props;
  return (
    <div className="kamld-JobDetail">
      <div className="kamld-JobDetail-facts">
        <span>{job.name}</span>
        <span>{trans.__('image %1', job.image)}</span>
        <span>{trans.__('attempt %1', job.attempt)}</span>
        {!isFinal(job) && (
          <Button
            className="kamld-JobCancel"
            minimal
            onClick={() => void model.cancel(job.id)}
          >
            {trans.__('Cancel')}
          </Button>
        )}
        {isFinal(job) && (
          <Button
            className="kamld-JobRerun"
            minimal
            onClick={() => void model.rerun(job)}
          >
            {trans.__('Run again')}
          </Button>
        )}
      </div>
      {job.inputs.length > 0 && (
        <ul className="kamld-JobDetail-inputs">
          {job.inputs.map(i => (
            <li key={i.path}>
              <button
                className="kamld-Link"
                onClick={() => openDataset(datasetOf(i.snapshot))}
              >
                {trans.__(
                  'input %1 → %2',
                  shortSnapshot(i.snapshot) || i.ref,
                  i.path
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
      {job.outputSnapshots.length > 0 && (
        <ul className="kamld-JobDetail-outputs">
          {job.outputSnapshots.map(s => (
            <li key={s} className="kamld-JobLineage">
              <button
                className="kamld-Link"
                title={trans.__('Open the dataset')}
                onClick={() => openDataset(datasetOf(s))}
              >
                {lineageLine(job, s)}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ol className="kamld-JobEvents">
        {job.events.map((e, n) => (
          <li key={n}>
            <span className="kamld-JobEvents-time">{e.time.slice(11, 19)}</span>{' '}
            {e.state} {e.reason}
            {e.message ? `: ${e.message}` : ''}
          </li>
        ))}
      </ol>
      <pre className="kamld-JobLog" aria-label={trans.__('Log')}>
        {model.log}
      </pre>
    </div>
  );
}
