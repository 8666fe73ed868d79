/**
 * How the Jobs table sorts and filters: by any column, newest first by
 * default; a filter matches id, name, owner, flavor, state and outputs. Pure
 * functions, no JupyterLab imports.
 */
import { datasetOf, IJob, jobTitle } from './jobApi';

export type JobColumn =
  | 'state'
  | 'id'
  | 'name'
  | 'owner'
  | 'flavor'
  | 'started'
  | 'duration'
  | 'outputs';

/** The datasets a job writes, as the table shows them: each output dataset's id, in the order given. */
export function jobOutputs(job: IJob): string[] {
  return job.outputs.map(o => datasetOf(o.dataset) || o.dataset);
}

export interface IJobSort {
  column: JobColumn;
  descending: boolean;
}

export const DEFAULT_JOB_SORT: IJobSort = {
  column: 'started',
  descending: true
};

/** Milliseconds the job ran (so far); -1 before it started. */
export function durationMs(job: IJob, now: number = Date.now()): number {
  if (!job.startTime) {
    return -1;
  }
  const end = job.endTime ? Date.parse(job.endTime) : now;
  return Math.max(0, end - Date.parse(job.startTime));
}

function sortKey(job: IJob, column: JobColumn, now: number): string | number {
  switch (column) {
    case 'state':
      return job.state;
    case 'id':
      return job.id;
    case 'name':
      return jobTitle(job).toLowerCase();
    case 'owner':
      return job.owner;
    case 'flavor':
      return job.flavor;
    case 'duration':
      return durationMs(job, now);
    case 'outputs':
      return jobOutputs(job).join(' ');
    default:
      return job.startTime || job.createTime;
  }
}

export function sortJobs(
  jobs: readonly IJob[],
  sort: IJobSort,
  now: number = Date.now()
): IJob[] {
  const sign = sort.descending ? -1 : 1;
  return [...jobs].sort((a, b) => {
    const x = sortKey(a, sort.column, now);
    const y = sortKey(b, sort.column, now);
    return x < y ? -sign : x > y ? sign : 0;
  });
}

/** Jobs whose id, name, owner, flavor, state or output datasets contain every word of `text`. */
export function filterJobs(jobs: readonly IJob[], text: string): IJob[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return [...jobs];
  }
  return jobs.filter(job => {
    const hay = [
      job.id,
      jobTitle(job),
      job.owner,
      job.flavor,
      job.state,
      ...jobOutputs(job)
    ]
      .join(' ')
      .toLowerCase();
    return words.every(word => hay.includes(word));
  });
}

/** The next sort after a click on `column`'s header. */
export function toggleSort(sort: IJobSort, column: JobColumn): IJobSort {
  return sort.column === column
    ? { column, descending: !sort.descending }
    : { column, descending: column === 'started' || column === 'duration' };
}
