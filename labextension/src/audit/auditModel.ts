/**
 * The audit view's state: the filters as the admin typed them, the page of
 * records the server answered for them, and why there is none (not an admin,
 * the audit log off, a bad filter). Every filter is sent to the server, which
 * pages the result; the model keeps the page tokens to go back. Only Lumino
 * signals, no JupyterLab imports, so jest drives it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { DatasetResult, IDatasetApiFailure } from '../apiTypes';
import type { IAuditPage, IAuditQuery, IAuditRecord } from './auditApi';

/** What the model needs of the API client. */
export interface IAuditLister {
  listRecords(
    query: IAuditQuery,
    pageSize: number,
    pageToken?: string
  ): Promise<DatasetResult<IAuditPage>>;
}

/** The filter form's values: `since`/`until` as an `<input type="datetime-local">` gives them (local time). */
export interface IAuditFilters {
  subject: string;
  dataset: string;
  method: string;
  outcome: string;
  since: string;
  until: string;
}

export const EMPTY_FILTERS: IAuditFilters = {
  subject: '',
  dataset: '',
  method: '',
  outcome: '',
  since: '',
  until: ''
};

/** The query of no filter. */
export const NO_QUERY: IAuditQuery = {
  subject: '',
  dataset: '',
  method: '',
  outcome: '',
  startTime: '',
  endTime: ''
};

/** Why the filters were not sent: a time that is not one, or a range that ends before it starts. */
export type FilterProblem = '' | 'bad-since' | 'bad-until' | 'empty-range';

export type AuditStatus =
  /** Nothing asked yet. */
  | 'idle'
  | 'loading'
  | 'ready'
  /** PERMISSION_DENIED: the caller is not a platform admin. */
  | 'denied'
  /** FAILED_PRECONDITION: the server keeps no audit log (audit.mode). */
  | 'off'
  | 'failed';

/** Records per page. */
export const AUDIT_PAGE_SIZE = 50;

const GRPC_PERMISSION_DENIED = 7;
const GRPC_FAILED_PRECONDITION = 9;

/** A local `datetime-local` value as RFC 3339 (UTC); `undefined` when it is no time. */
export function toRfc3339(local: string): string | undefined {
  const ms = Date.parse(local);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The query the filters make, or the problem that keeps them from being sent. */
export function queryOf(
  filters: IAuditFilters
): { query: IAuditQuery } | { problem: Exclude<FilterProblem, ''> } {
  const since = filters.since.trim();
  const until = filters.until.trim();
  const startTime = since ? toRfc3339(since) : '';
  if (startTime === undefined) {
    return { problem: 'bad-since' };
  }
  const endTime = until ? toRfc3339(until) : '';
  if (endTime === undefined) {
    return { problem: 'bad-until' };
  }
  if (startTime && endTime && endTime <= startTime) {
    return { problem: 'empty-range' };
  }
  return {
    query: {
      subject: filters.subject.trim(),
      dataset: filters.dataset.trim(),
      method: filters.method.trim(),
      outcome: filters.outcome,
      startTime,
      endTime
    }
  };
}

function statusOf(failure: IDatasetApiFailure): AuditStatus {
  if (
    failure.grpcCode === GRPC_PERMISSION_DENIED ||
    (failure.grpcCode === undefined && failure.httpStatus === 403)
  ) {
    return 'denied';
  }
  return failure.grpcCode === GRPC_FAILED_PRECONDITION ? 'off' : 'failed';
}

export class AuditModel {
  constructor(
    private readonly _client: IAuditLister,
    private readonly _pageSize = AUDIT_PAGE_SIZE
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get status(): AuditStatus {
    return this._status;
  }

  get records(): readonly IAuditRecord[] {
    return this._records;
  }

  /** The server's failure when status is denied, off or failed. */
  get failure(): IDatasetApiFailure | undefined {
    return this._failure;
  }

  /** The filters of the records shown (the form may hold newer ones). */
  get filters(): IAuditFilters {
    return this._filters;
  }

  get filterProblem(): FilterProblem {
    return this._problem;
  }

  /** 0 for the first page. */
  get pageIndex(): number {
    return this._tokens.length - 1;
  }

  get hasPrevious(): boolean {
    return this._tokens.length > 1;
  }

  get hasNext(): boolean {
    return this._nextToken !== '';
  }

  /** Shows the first page the filters select; bad filters are not sent. */
  apply(filters: IAuditFilters): Promise<void> {
    const made = queryOf(filters);
    if ('problem' in made) {
      this._problem = made.problem;
      this._changed.emit();
      return Promise.resolve();
    }
    this._problem = '';
    this._filters = filters;
    this._query = made.query;
    this._tokens = [''];
    return this._load();
  }

  /** Asks for the page shown again (new records may have arrived). */
  reload(): Promise<void> {
    return this._load();
  }

  next(): Promise<void> {
    if (!this.hasNext) {
      return Promise.resolve();
    }
    this._tokens.push(this._nextToken);
    return this._load();
  }

  previous(): Promise<void> {
    if (!this.hasPrevious) {
      return Promise.resolve();
    }
    this._tokens.pop();
    return this._load();
  }

  private async _load(): Promise<void> {
    const ticket = ++this._ticket;
    this._status = 'loading';
    this._changed.emit();
    const result = await this._client.listRecords(
      this._query,
      this._pageSize,
      this._tokens[this._tokens.length - 1]
    );
    if (ticket !== this._ticket) {
      return; // a newer request replaced this one
    }
    if (result.ok) {
      this._status = 'ready';
      this._records = result.value.records;
      this._nextToken = result.value.nextPageToken;
      this._failure = undefined;
    } else {
      this._status = statusOf(result.failure);
      this._records = [];
      this._nextToken = '';
      this._failure = result.failure;
    }
    this._changed.emit();
  }

  private _status: AuditStatus = 'idle';
  private _records: IAuditRecord[] = [];
  private _failure: IDatasetApiFailure | undefined;
  private _filters: IAuditFilters = EMPTY_FILTERS;
  private _problem: FilterProblem = '';
  private _query: IAuditQuery = NO_QUERY;
  /** Page token of every page from the first to the one shown. */
  private _tokens: string[] = [''];
  private _nextToken = '';
  private _ticket = 0;
  private readonly _changed = new Signal<this, void>(this);
}

/** A method as the table shows it: "CreateDataset" for "/kamld.v1.DatasetService/CreateDataset"; REST refusals ("HTTP GET /v1/…") as they are. */
export function shortMethod(method: string): string {
  if (method.startsWith('HTTP ')) {
    return method;
  }
  const slash = method.lastIndexOf('/');
  return slash >= 0 ? method.slice(slash + 1) : method;
}
