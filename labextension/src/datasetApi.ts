/**
 * Typed client for the sidecar's DatasetService, SnapshotService and
 * FileService REST routes (proto/kamld/v1/{dataset,snapshot,file}.proto), as
 * the browser reaches them through Jupyter's proxy `{base_url}kamld/api/`.
 *
 * No JupyterLab imports: the transport (ServerConnection.makeRequest in the
 * extension, a fake in jest) is handed in, so every route, query string and
 * parser here is tested directly.
 */
import {
  isObject,
  JsonRequester,
  jsonRequester,
  proxiedUrl,
  str,
  strings
} from './apiRequest';
import type { DatasetResult, IDatasetApiFailure, Transport } from './apiTypes';
import { ApiResult, IApiFailure } from './contract';
import { wire } from './wire';

export type {
  DatasetResult,
  IDatasetApiFailure,
  IFieldViolation,
  Transport
} from './apiTypes';

export {
  API_PREFIX,
  httpFailure,
  parseErrorBody,
  proxiedUrl
} from './apiRequest';

export interface IStats {
  fileCount: number;
  totalBytes: number;
  rowCount: number;
}

export interface IDataset {
  /** Resource name, `datasets/{id}`. */
  name: string;
  /** The `{id}` part of `name`. */
  id: string;
  description: string;
  tags: string[];
  labels: Record<string, string>;
  owner: string;
  createTime: string;
  updateTime: string;
  stats: IStats;
  /** Resource name of the newest snapshot, empty when there is none. */
  headSnapshot: string;
  snapshotCount: number;
  hasDraftChanges: boolean;
  etag: string;
}

/** How a job produced a snapshot (Lineage in snapshot.proto). */
export interface ILineage {
  /** `jobs/{job}`. */
  job: string;
  /** Snapshot resource names the job read. */
  inputs: string[];
  image: string;
  codeDigest: string;
}

export interface ISnapshot {
  name: string;
  id: string;
  sequence: number;
  /** `v1`, `v2`, … */
  version: string;
  message: string;
  author: string;
  createTime: string;
  stats: IStats;
  tags: string[];
  /** Resource name of the previous snapshot on its line ('' for the first). */
  parent: string;
  /** The other parent of a merge snapshot ('' otherwise). */
  mergeParent: string;
  /** Set when a job produced the snapshot. */
  lineage?: ILineage;
}

export interface ITag {
  name: string;
  /** The tag's own id, the last segment of `name`. */
  id: string;
  /** Resource name of the tagged snapshot. */
  snapshot: string;
  author: string;
  createTime: string;
}

export interface IFileInfo {
  path: string;
  size: number;
  digest: string;
  mediaType: string;
  modifyTime: string;
}

export interface IFileListing {
  files: IFileInfo[];
  /** Full folder paths ending in `/`. */
  folders: string[];
  nextPageToken: string;
  resolvedSnapshot: string;
}

export type ChangeType = 'added' | 'removed' | 'modified' | 'unknown';

export interface IFileChange {
  path: string;
  type: ChangeType;
  from: IFileInfo | null;
  to: IFileInfo | null;
}

export interface IDiffStats {
  added: number;
  removed: number;
  modified: number;
  bytesDelta: number;
}

export interface IDiff {
  changes: IFileChange[];
  stats: IDiffStats;
  nextPageToken: string;
}

/** ListDatasets' filters and order (a page token belongs to the options it was given with). */
export interface IListDatasetsOptions {
  /** Only the datasets whose id contains this, ignoring case; at most MAX_DATASET_FILTER characters. */
  filter?: string;
  /** "mine": those the caller owns; "shared": those shared with the caller. */
  access?: DatasetAccessFilter;
  /** "name" (the default), "update_time desc", "create_time desc" or "size desc". */
  orderBy?: string;
}

export type DatasetAccessFilter = '' | 'mine' | 'shared';

/** ListDatasets' longest filter (a dataset id's length): a longer one matches nothing. */
export const MAX_DATASET_FILTER = 63;

/** The largest page the sidecar answers (its List* and SearchDatasets calls cap page_size here). */
export const MAX_PAGE_SIZE = 1000;

/**
 * The page size that lists again from the start as many items as are loaded
 * (at least `least`): a live reload keeps the rows the user scrolled through.
 */
export function reloadSize(loaded: number, least: number): number {
  return Math.min(Math.max(loaded, least), MAX_PAGE_SIZE);
}

export interface IPage<T> {
  items: T[];
  nextPageToken: string;
}

/** A path changed differently on both sides of a merge; a null side has no file. */
export interface IMergeConflict {
  path: string;
  ours: IFileInfo | null;
  theirs: IFileInfo | null;
}

export type MergeStrategy = '' | 'ours' | 'theirs';

export interface IMergeResult {
  version: string;
  fastForward: boolean;
  upToDate: boolean;
  stats: IDiffStats;
  resolved: number;
}

export function parseMergeResult(value: unknown): IMergeResult | undefined {
  if (!isObject(value)) {
    return undefined;
  }
  const snapshot = isObject(value.snapshot) ? value.snapshot : {};
  return {
    version: str(snapshot.version),
    fastForward: value.fastForward === true,
    upToDate: value.upToDate === true,
    stats: parseDiffStats(value.stats),
    resolved: Array.isArray(value.resolved) ? value.resolved.length : 0
  };
}

/** Every conflict of a merge that failed on conflicts (its kamld.v1.MergeConflicts detail), or undefined. */
export function mergeConflicts(
  failure: IDatasetApiFailure
): IMergeConflict[] | undefined {
  for (const detail of failure.details ?? []) {
    if (
      isObject(detail) &&
      str(detail['@type']).endsWith('kamld.v1.MergeConflicts')
    ) {
      const list = Array.isArray(detail.conflicts) ? detail.conflicts : [];
      return list.filter(isObject).map(c => ({
        path: str(c.path),
        ours: parseFileInfo(c.ours) ?? null,
        theirs: parseFileInfo(c.theirs) ?? null
      }));
    }
  }
  return undefined;
}

const STRATEGIES: Record<MergeStrategy, string> = {
  '': 'MERGE_STRATEGY_UNSPECIFIED',
  ours: 'MERGE_STRATEGY_OURS',
  theirs: 'MERGE_STRATEGY_THEIRS'
};

/** gRPC codes the dataset views explain specially. */
export const DatasetGrpcCode = {
  InvalidArgument: 3,
  NotFound: 5,
  AlreadyExists: 6,
  FailedPrecondition: 9,
  Aborted: 10
} as const;

/** A concurrent edit: the etag no longer matches. */
export function isConflict(failure: IApiFailure): boolean {
  return (
    failure.grpcCode === DatasetGrpcCode.Aborted ||
    failure.grpcCode === DatasetGrpcCode.FailedPrecondition ||
    failure.httpStatus === 409 ||
    failure.httpStatus === 412
  );
}

export interface IDatasetClientOptions {
  /** Jupyter's base URL, ending in `/`. */
  baseUrl: string;
  transport: Transport;
}

/** proto3 JSON renders int64 as a string. */
function int(value: unknown): number {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

function lastSegment(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) : name;
}

export function parseStats(value: unknown): IStats {
  const stats = isObject(value) ? value : {};
  return {
    fileCount: int(stats.fileCount),
    totalBytes: int(stats.totalBytes),
    rowCount: int(stats.rowCount)
  };
}

export function parseDataset(value: unknown): IDataset | undefined {
  const v = wire<'v1Dataset'>(value);
  if (typeof v.name !== 'string' || !v.name) {
    return undefined;
  }
  const labels: Record<string, string> = {};
  if (isObject(v.labels)) {
    for (const [key, label] of Object.entries(v.labels)) {
      if (typeof label === 'string') {
        labels[key] = label;
      }
    }
  }
  return {
    name: v.name,
    id: lastSegment(v.name),
    description: str(v.description),
    tags: strings(v.tags),
    labels,
    owner: str(v.owner),
    createTime: str(v.createTime),
    updateTime: str(v.updateTime),
    stats: parseStats(v.stats),
    headSnapshot: str(v.headSnapshot),
    snapshotCount: int(v.snapshotCount),
    hasDraftChanges: v.hasDraftChanges === true,
    etag: str(v.etag)
  };
}

export function parseSnapshot(value: unknown): ISnapshot | undefined {
  if (!isObject(value) || typeof value.version !== 'string') {
    return undefined;
  }
  return {
    name: str(value.name),
    id: str(value.id),
    sequence: int(value.sequence),
    version: value.version,
    message: str(value.message),
    author: str(value.author),
    createTime: str(value.createTime),
    stats: parseStats(value.stats),
    tags: strings(value.tags),
    parent: str(value.parent),
    mergeParent: str(value.mergeParent),
    lineage:
      isObject(value.lineage) && str(value.lineage.job)
        ? {
            job: str(value.lineage.job),
            inputs: strings(value.lineage.inputs),
            image: str(value.lineage.image),
            codeDigest: str(value.lineage.codeDigest)
          }
        : undefined
  };
}

/** A branch: a line of history with a draft of its own (docs/branches.md). */
export interface IBranch {
  name: string;
  /** The branch's own id, the last segment of `name`. */
  id: string;
  /** Resource name of its head snapshot; empty before the first. */
  head: string;
  /** `v7`; empty before the first snapshot. */
  headVersion: string;
  isDefault: boolean;
}

export function parseBranch(value: unknown): IBranch | undefined {
  if (!isObject(value) || typeof value.name !== 'string') {
    return undefined;
  }
  return {
    name: value.name,
    id: lastSegment(value.name),
    head: str(value.head),
    headVersion: str(value.headVersion),
    isDefault: value.isDefault === true
  };
}

export function parseTag(value: unknown): ITag | undefined {
  if (!isObject(value) || typeof value.name !== 'string') {
    return undefined;
  }
  return {
    name: value.name,
    id: lastSegment(value.name),
    snapshot: str(value.snapshot),
    author: str(value.author),
    createTime: str(value.createTime)
  };
}

export function parseFileInfo(value: unknown): IFileInfo | undefined {
  if (!isObject(value) || typeof value.path !== 'string') {
    return undefined;
  }
  return {
    path: value.path,
    size: int(value.size),
    digest: str(value.digest),
    mediaType: str(value.mediaType),
    modifyTime: str(value.modifyTime)
  };
}

const CHANGE_TYPES: Record<string, ChangeType> = {
  CHANGE_TYPE_ADDED: 'added',
  CHANGE_TYPE_REMOVED: 'removed',
  CHANGE_TYPE_DELETED: 'removed',
  CHANGE_TYPE_MODIFIED: 'modified'
};

export function parseChange(value: unknown): IFileChange | undefined {
  if (!isObject(value) || typeof value.path !== 'string') {
    return undefined;
  }
  return {
    path: value.path,
    type: CHANGE_TYPES[str(value.type)] ?? 'unknown',
    from: parseFileInfo(value.from) ?? null,
    to: parseFileInfo(value.to) ?? null
  };
}

export function parseDiffStats(value: unknown): IDiffStats {
  const stats = isObject(value) ? value : {};
  return {
    added: int(stats.added),
    removed: int(stats.removed),
    modified: int(stats.modified),
    bytesDelta: int(stats.bytesDelta)
  };
}

/** Parses every element or fails as a whole: a half-read list would mislead. */
function parseList<T>(
  value: unknown,
  parse: (item: unknown) => T | undefined
): T[] | undefined {
  const list = value ?? [];
  if (!Array.isArray(list)) {
    return undefined;
  }
  const items = list.map(parse);
  return items.some(item => item === undefined) ? undefined : (items as T[]);
}

function pageParser<T>(
  key: string,
  parse: (item: unknown) => T | undefined
): (body: unknown) => IPage<T> | undefined {
  return body => {
    if (!isObject(body)) {
      return undefined;
    }
    const items = parseList(body[key], parse);
    return items && { items, nextPageToken: str(body.nextPageToken) };
  };
}

export function parseFileListing(body: unknown): IFileListing | undefined {
  if (!isObject(body)) {
    return undefined;
  }
  const files = parseList(body.files, parseFileInfo);
  if (!files) {
    return undefined;
  }
  return {
    files,
    folders: strings(body.folders),
    nextPageToken: str(body.nextPageToken),
    resolvedSnapshot: str(body.resolvedSnapshot)
  };
}

export function parseDiff(body: unknown): IDiff | undefined {
  if (!isObject(body)) {
    return undefined;
  }
  const changes = parseList(body.changes, parseChange);
  if (!changes) {
    return undefined;
  }
  return {
    changes,
    stats: parseDiffStats(body.stats),
    nextPageToken: str(body.nextPageToken)
  };
}

/** RestoreSnapshot answers `{changes: DiffStats}`. */
export function parseRestore(body: unknown): IDiffStats | undefined {
  return isObject(body) ? parseDiffStats(body.changes) : undefined;
}

function encodePath(path: string): string {
  return path
    .split('/')
    .filter(part => part !== '')
    .map(encodeURIComponent)
    .join('/');
}

function query(params: Record<string, string | number | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') {
      parts.push(
        `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`
      );
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** `datasets/{id}` → path segment for the route. */
function ds(id: string): string {
  return `v1/datasets/${encodeURIComponent(id)}`;
}

/** Sidecar route paths (relative to the proxy prefix), exported for tests and links. */
export const routes = {
  datasets: (
    pageSize?: number,
    pageToken?: string,
    options: IListDatasetsOptions = {}
  ): string =>
    `v1/datasets${query({
      pageSize,
      pageToken,
      filter: options.filter,
      access: options.access,
      orderBy: options.orderBy
    })}`,
  createDataset: (id: string): string =>
    `v1/datasets${query({ datasetId: id })}`,
  dataset: (id: string): string => ds(id),
  updateDataset: (id: string, mask: string[]): string =>
    `${ds(id)}${query({ updateMask: mask.join(',') })}`,
  snapshots: (id: string, pageSize?: number, pageToken?: string): string =>
    `${ds(id)}/snapshots${query({ pageSize, pageToken })}`,
  restore: (id: string, ref: string): string =>
    `${ds(id)}/snapshots/${encodeURIComponent(ref)}:restore`,
  diff: (
    id: string,
    fromRef: string,
    toRef: string,
    pageSize?: number,
    pageToken?: string
  ): string =>
    `${ds(id)}:diff${query({ fromRef, toRef, pageSize, pageToken })}`,
  tags: (id: string, tagId?: string): string =>
    `${ds(id)}/tags${query({ tagId })}`,
  merge: (id: string, target: string): string =>
    `${ds(id)}/branches/${encodeURIComponent(target)}:merge`,
  branches: (id: string): string =>
    `${ds(id)}/branches${query({ pageSize: MAX_PAGE_SIZE })}`,
  files: (
    id: string,
    options: {
      ref?: string;
      prefix?: string;
      pageSize?: number;
      pageToken?: string;
      /** Only names containing this, ignoring case (narrowed on the server). */
      filter?: string;
      /** Every file below prefix instead of one level. */
      recursive?: boolean;
    }
  ): string =>
    `${ds(id)}/files${query({
      ref: options.ref,
      prefix: options.prefix,
      pageSize: options.pageSize,
      pageToken: options.pageToken,
      filter: options.filter,
      recursive: options.recursive ? 'true' : undefined
    })}`,
  content: (id: string, path: string, ref?: string): string =>
    `${ds(id)}/content/${encodePath(path)}${query({ ref })}`,
  /** One file's metadata (size, digest) at a ref. */
  file: (id: string, path: string, ref?: string): string =>
    `${ds(id)}/files/${encodePath(path)}${query({ ref })}`
};

export interface IDatasetPatch {
  description?: string;
  tags?: string[];
  labels?: Record<string, string>;
}

export class DatasetClient {
  constructor(options: IDatasetClientOptions) {
    this.baseUrl = options.baseUrl;
    this.transport = options.transport;
    this._json = jsonRequester(options.transport, options.baseUrl);
  }

  readonly baseUrl: string;
  /** How requests reach the sidecar (also for the query routes). */
  readonly transport: Transport;

  /** Absolute URL of a sidecar route through the proxy. */
  url(route: string): string {
    return proxiedUrl(this.baseUrl, route);
  }

  listDatasets(
    pageSize?: number,
    pageToken?: string,
    options?: IListDatasetsOptions
  ): Promise<DatasetResult<IPage<IDataset>>> {
    return this._json(
      'GET',
      routes.datasets(pageSize, pageToken, options),
      undefined,
      pageParser('datasets', parseDataset)
    );
  }

  getDataset(id: string): Promise<DatasetResult<IDataset>> {
    return this._json('GET', routes.dataset(id), undefined, parseDataset);
  }

  createDataset(
    id: string,
    fields: IDatasetPatch
  ): Promise<DatasetResult<IDataset>> {
    return this._json(
      'POST',
      routes.createDataset(id),
      {
        description: fields.description ?? '',
        tags: fields.tags ?? [],
        labels: fields.labels ?? {}
      },
      parseDataset
    );
  }

  /** Updates the fields present in `patch`, only if `etag` still matches. */
  updateDataset(
    id: string,
    patch: IDatasetPatch,
    etag: string
  ): Promise<DatasetResult<IDataset>> {
    const mask = (['description', 'tags', 'labels'] as const).filter(
      key => patch[key] !== undefined
    );
    return this._json(
      'PATCH',
      routes.updateDataset(id, mask),
      { ...patch, etag },
      parseDataset
    );
  }

  listSnapshots(
    id: string,
    pageSize?: number,
    pageToken?: string
  ): Promise<DatasetResult<IPage<ISnapshot>>> {
    return this._json(
      'GET',
      routes.snapshots(id, pageSize, pageToken),
      undefined,
      pageParser('snapshots', parseSnapshot)
    );
  }

  createSnapshot(
    id: string,
    message: string
  ): Promise<DatasetResult<ISnapshot>> {
    return this._json('POST', routes.snapshots(id), { message }, parseSnapshot);
  }

  restoreSnapshot(id: string, ref: string): Promise<DatasetResult<IDiffStats>> {
    return this._json('POST', routes.restore(id, ref), {}, parseRestore);
  }

  /** One page of differences; `stats` covers the whole diff on the first page only. */
  diff(
    id: string,
    fromRef: string,
    toRef: string,
    pageSize?: number,
    pageToken?: string
  ): Promise<DatasetResult<IDiff>> {
    return this._json(
      'GET',
      routes.diff(id, fromRef, toRef, pageSize, pageToken),
      undefined,
      parseDiff
    );
  }

  /** Merges `source` (a branch) into branch `target` (default main), resolving conflicts by `strategy`. */
  mergeBranch(
    id: string,
    source: string,
    strategy: MergeStrategy = '',
    target = 'main'
  ): Promise<DatasetResult<IMergeResult>> {
    return this._json(
      'POST',
      routes.merge(id, target),
      { source, strategy: STRATEGIES[strategy] },
      parseMergeResult
    );
  }

  listBranches(id: string): Promise<DatasetResult<IPage<IBranch>>> {
    return this._json(
      'GET',
      routes.branches(id),
      undefined,
      pageParser('branches', parseBranch)
    );
  }

  listTags(id: string): Promise<DatasetResult<IPage<ITag>>> {
    return this._json(
      'GET',
      routes.tags(id),
      undefined,
      pageParser('tags', parseTag)
    );
  }

  createTag(
    id: string,
    tagId: string,
    snapshot: string
  ): Promise<DatasetResult<ITag>> {
    return this._json('POST', routes.tags(id, tagId), { snapshot }, parseTag);
  }

  listFiles(
    id: string,
    options: {
      ref?: string;
      prefix?: string;
      pageSize?: number;
      pageToken?: string;
      filter?: string;
      recursive?: boolean;
    }
  ): Promise<DatasetResult<IFileListing>> {
    return this._json(
      'GET',
      routes.files(id, options),
      undefined,
      parseFileListing
    );
  }

  /** GET any sidecar route and parse its JSON answer (for routes of other services, e.g. previews). */
  getJson<T>(
    route: string,
    parse: (body: unknown) => T | undefined
  ): Promise<DatasetResult<T>> {
    return this._json('GET', route, undefined, parse);
  }

  private readonly _json: JsonRequester;
}

/** Type guard used by callers that only care about success. */
export function isOk<T>(result: ApiResult<T> | DatasetResult<T>): result is {
  ok: true;
  value: T;
} {
  return result.ok;
}
