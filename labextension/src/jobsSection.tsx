/**
 * The "Jobs" section of the panel: the recent jobs, one line each (state,
 * name, id and start, duration); a job opens its tab in the main area, and
 * "All jobs" opens the Jobs table.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatTime } from './datasetModel';
import { jobDuration, jobTitle } from './jobApi';
import { JobsModel } from './jobsModel';
import { JobStateBadge } from './jobStateBadge';

/** Jobs the section lists; the table shows them all. */
const SHOWN = 8;

export class JobsSectionWidget extends ReactWidget {
  constructor(
    private readonly _model: JobsModel,
    private readonly _trans: TranslationBundle,
    private readonly _openJob: (id: string) => void,
    private readonly _openTable: () => void
  ) {
    super();
    this.addClass('kamld-JobsSection');
    this.title.label = _trans.__('Jobs');
    this.title.caption = _trans.__('Training jobs run by the kamld sidecar');
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const model = this._model;
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
            <ul
              className="kamld-JobsList-items"
              aria-label={trans.__('Recent jobs')}
            >
              {model.jobs.slice(0, SHOWN).map(job => (
                <li
                  key={job.id}
                  className={`kamld-JobRow kamld-mod-${job.state.toLowerCase()}`}
                  data-kamld-job={job.id}
                >
                  <button
                    type="button"
                    className="kamld-JobRow-summary"
                    title={trans.__('Open job %1', job.id)}
                    onClick={() => this._openJob(job.id)}
                  >
                    <span className="kamld-JobRow-line">
                      <JobStateBadge state={job.state} />
                      <span className="kamld-JobRow-title">
                        {jobTitle(job)}
                      </span>
                      <span className="kamld-JobRow-duration">
                        {jobDuration(job)}
                      </span>
                    </span>
                    <span className="kamld-JobRow-meta kamld-Muted">
                      {job.id} · {formatTime(job.startTime || job.createTime)}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
            {model.jobs.length > 0 && (
              <Button
                small
                minimal
                className="kamld-JobsList-all"
                onClick={this._openTable}
              >
                {trans.__('All jobs (%1)', model.jobs.length)}
              </Button>
            )}
          </div>
        )}
      </UseSignal>
    );
  }
}
