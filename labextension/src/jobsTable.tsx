/**
 * The Jobs table in the main area: every recent job with state, id, name,
 * owner, flavor, start time, duration and output datasets; sortable by any column header,
 * filtered by a text box; a row opens the job's tab.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatTime } from './datasetModel';
import { jobDuration, jobTitle } from './jobApi';
import { JobsModel } from './jobsModel';
import {
  DEFAULT_JOB_SORT,
  filterJobs,
  IJobSort,
  JobColumn,
  jobOutputs,
  sortJobs,
  toggleSort
} from './jobsTableModel';
import { JobStateBadge } from './jobStateBadge';
import { PersonName } from './personName';

export class JobsTableWidget extends ReactWidget {
  constructor(
    private readonly _model: JobsModel,
    private readonly _trans: TranslationBundle,
    private readonly _openJob: (id: string) => void
  ) {
    super();
    this.addClass('kamld-JobsTable');
  }

  protected render(): React.ReactElement {
    return (
      <UseSignal signal={this._model.changed}>
        {() => (
          <JobsTable
            model={this._model}
            trans={this._trans}
            openJob={this._openJob}
          />
        )}
      </UseSignal>
    );
  }
}

function JobsTable(props: {
  model: JobsModel;
  trans: TranslationBundle;
  openJob: (id: string) => void;
}): React.ReactElement {
  const { model, trans, openJob } = props;
  const [sort, setSort] = React.useState<IJobSort>(DEFAULT_JOB_SORT);
  const [filter, setFilter] = React.useState('');
  const jobs = sortJobs(filterJobs(model.jobs, filter), sort);
  const columns: Array<[JobColumn, string, boolean]> = [
    ['state', trans.__('State'), false],
    ['id', trans.__('Id'), false],
    ['name', trans.__('Name'), false],
    ['owner', trans.__('Owner'), false],
    ['flavor', trans.__('Flavor'), false],
    ['started', trans.__('Started'), false],
    ['duration', trans.__('Duration'), true],
    ['outputs', trans.__('Outputs'), false]
  ];
  return (
    <div className="kamld-JobsTable-body">
      <div className="kamld-JobsTable-toolbar">
        <input
          className="jp-mod-styled kamld-JobsTable-filter"
          type="search"
          aria-label={trans.__('Filter jobs')}
          placeholder={trans.__(
            'Filter by id, name, owner, flavor, state, output'
          )}
          value={filter}
          onChange={event => setFilter(event.target.value)}
        />
        <span className="kamld-Muted">
          {trans._n('%1 job', '%1 jobs', jobs.length)}
        </span>
      </div>
      {model.error && (
        <p className="kamld-Form-error" role="alert">
          {model.error}
        </p>
      )}
      <table className="kamld-Table kamld-JobsGrid">
        <thead>
          <tr>
            {columns.map(([column, label, numeric]) => (
              <th
                key={column}
                scope="col"
                className={numeric ? 'kamld-Num' : undefined}
                aria-sort={
                  sort.column === column
                    ? sort.descending
                      ? 'descending'
                      : 'ascending'
                    : 'none'
                }
              >
                <button
                  type="button"
                  className="kamld-SortButton"
                  data-kamld-sort={column}
                  onClick={() => setSort(toggleSort(sort, column))}
                >
                  {label}
                  {sort.column === column && (sort.descending ? ' ▾' : ' ▴')}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {jobs.map(job => (
            <tr key={job.id} data-kamld-job={job.id}>
              <td>
                <JobStateBadge state={job.state} />
              </td>
              <td className="kamld-Mono">
                <a
                  href="#"
                  className="kamld-JobsGrid-open"
                  onClick={event => {
                    event.preventDefault();
                    openJob(job.id);
                  }}
                >
                  {job.id}
                </a>
              </td>
              <td>{jobTitle(job)}</td>
              <td>
                <PersonName name={job.owner} />
              </td>
              <td>{job.flavor}</td>
              <td>{formatTime(job.startTime || job.createTime)}</td>
              <td className="kamld-Num">{jobDuration(job)}</td>
              <td
                title={
                  job.outputSnapshots.length === 0 && job.outputs.length > 0
                    ? trans.__('written when the job succeeds')
                    : undefined
                }
                className={
                  job.outputSnapshots.length === 0 ? 'kamld-Muted' : undefined
                }
              >
                {jobOutputs(job).join(', ')}
              </td>
            </tr>
          ))}
          {jobs.length === 0 && (
            <tr>
              <td colSpan={columns.length} className="kamld-Muted">
                {filter
                  ? trans.__('No job matches “%1”.', filter)
                  : trans.__(
                      'No jobs yet. Right-click a script or notebook in the file browser and choose “Run as job…”.'
                    )}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
