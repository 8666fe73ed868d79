/**
 * Pure view logic of the dataset list and the dataset view: refs, byte
 * sizes, diff summaries, list windowing, form parsing. No JupyterLab imports,
 * so jest tests all of it.
 */
import {
  IBranch,
  IDataset,
  IDatasetApiFailure,
  IDiff,
  IDiffStats,
  IFileChange,
  IPage,
  ISnapshot,
  ITag
} from './datasetApi';

/** A human-readable size: `0 B`, `512 B`, `1.5 KiB`, `12 MiB`. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) {
    return `${sign}${value} B`;
  }
  const digits = value < 10 ? 1 : 0;
  const text = value.toFixed(digits).replace(/\.0$/, '');
  return `${sign}${text} ${units[unit]}`;
}

/** A signed size change: `+9 B`, `-1.5 KiB`, `±0 B`. */
export function formatBytesDelta(delta: number): string {
  if (delta === 0) {
    return '±0 B';
  }
  return delta > 0 ? `+${formatBytes(delta)}` : formatBytes(delta);
}

/** The ref of the draft, the working state (common.proto). */
export const DRAFT_REF = 'draft';

/** What a ref string names (common.proto's ref grammar). A `tag` may be a branch: they share one namespace. */
export type Ref =
  | { kind: 'head' }
  | { kind: 'draft'; branch?: string }
  | { kind: 'version'; sequence: number }
  | { kind: 'tag'; tag: string }
  | { kind: 'id'; id: string };

/** A branch's draft is `<branch>~draft` (docs/branches.md). */
const BRANCH_DRAFT = /^([a-z0-9][a-z0-9._-]*)~draft$/;

/**
 * Parses a ref: empty → the head (latest snapshot), `draft`, `exp~draft` (branch
 * exp's draft), `v3`, a snapshot id (prefix of 6+ hex digits), or else a tag or
 * branch name.
 */
export function parseRef(ref: string): Ref {
  const text = ref.trim();
  if (text === '') {
    return { kind: 'head' };
  }
  if (text === DRAFT_REF) {
    return { kind: 'draft' };
  }
  const branchDraft = BRANCH_DRAFT.exec(text);
  if (branchDraft) {
    return { kind: 'draft', branch: branchDraft[1] };
  }
  const version = /^v([1-9][0-9]*)$/.exec(text);
  if (version) {
    return { kind: 'version', sequence: Number(version[1]) };
  }
  if (/^[0-9a-f]{6,64}$/.test(text)) {
    return { kind: 'id', id: text };
  }
  return { kind: 'tag', tag: text };
}

/** The canonical ref string; the head is the empty ref. */
export function formatRef(ref: Ref): string {
  switch (ref.kind) {
    case 'head':
      return '';
    case 'draft':
      return ref.branch ? `${ref.branch}~${DRAFT_REF}` : DRAFT_REF;
    case 'version':
      return `v${ref.sequence}`;
    case 'tag':
      return ref.tag;
    case 'id':
      return ref.id;
  }
}

/** `iris@v3` as kamld.load takes it; the head is the bare id. */
export function datasetRef(datasetId: string, ref: string): string {
  const canonical = formatRef(parseRef(ref));
  return canonical ? `${datasetId}@${canonical}` : datasetId;
}

/** The code cell "Insert into notebook" adds. */
export function loadSnippet(datasetId: string, ref: string): string {
  return `import kamld\ndf = kamld.load(${JSON.stringify(datasetRef(datasetId, ref))})`;
}

/** The cell a notebook gets from "Insert into notebook" or a drop: the load code, then the first rows shown. */
export function loadCell(datasetId: string, ref: string): string {
  return `${loadSnippet(datasetId, ref)}\ndf.head()`;
}

/** The version (`v2`) of a snapshot resource name, or its short id. */
export function snapshotLabel(
  snapshotName: string,
  snapshots: readonly ISnapshot[]
): string {
  if (!snapshotName) {
    return '';
  }
  const known = snapshots.find(
    snapshot => snapshot.name === snapshotName || snapshot.id === snapshotName
  );
  if (known) {
    return known.version;
  }
  const id = snapshotName.slice(snapshotName.lastIndexOf('/') + 1);
  return id.slice(0, 12);
}

export interface IRefOption {
  /** What goes into `?ref=`. */
  value: string;
  label: string;
  group: 'draft' | 'branch' | 'snapshot' | 'tag';
}

/**
 * The ref picker's choices: main's draft, then each other branch's head and
 * draft, then snapshots newest first, then tags. `draftOf` labels a branch's
 * draft (a translated "exp (draft)").
 */
export function refOptions(
  snapshots: readonly ISnapshot[],
  tags: readonly ITag[],
  draftLabel: string,
  branches: readonly IBranch[] = [],
  draftOf: (branch: string) => string = branch => `${branch} (draft)`
): IRefOption[] {
  const options: IRefOption[] = [
    { value: DRAFT_REF, label: draftLabel, group: 'draft' }
  ];
  const others = branches.filter(b => !b.isDefault);
  for (const branch of [...others].sort((a, b) => a.id.localeCompare(b.id))) {
    options.push({
      value: branch.id,
      label: branch.headVersion
        ? `${branch.id} → ${branch.headVersion}`
        : branch.id,
      group: 'branch'
    });
    options.push({
      value: `${branch.id}~${DRAFT_REF}`,
      label: draftOf(branch.id),
      group: 'branch'
    });
  }
  const sorted = [...snapshots].sort((a, b) => b.sequence - a.sequence);
  for (const snapshot of sorted) {
    options.push({
      value: snapshot.version,
      label: snapshot.message
        ? `${snapshot.version} — ${snapshot.message}`
        : snapshot.version,
      group: 'snapshot'
    });
  }
  for (const tag of [...tags].sort((a, b) => a.id.localeCompare(b.id))) {
    const target = snapshotLabel(tag.snapshot, snapshots);
    options.push({
      value: tag.id,
      label: target ? `${tag.id} → ${target}` : tag.id,
      group: 'tag'
    });
  }
  return options;
}

/** The picker's options in their groups, in order, empty groups left out. */
export function refGroups(
  options: readonly IRefOption[]
): [IRefOption['group'], IRefOption[]][] {
  const out: [IRefOption['group'], IRefOption[]][] = [];
  for (const option of options) {
    const last = out[out.length - 1];
    if (last && last[0] === option.group) {
      last[1].push(option);
    } else {
      out.push([option.group, [option]]);
    }
  }
  return out;
}

export interface IDiffRow {
  path: string;
  type: IFileChange['type'];
  fromSize: number | null;
  toSize: number | null;
  /** to − from, with a missing side counted as 0. */
  delta: number;
}

export interface IDiffSummary {
  rows: IDiffRow[];
  stats: IDiffStats;
  /** True when nothing changed. */
  empty: boolean;
}

const TYPE_ORDER: Record<IFileChange['type'], number> = {
  added: 0,
  modified: 1,
  removed: 2,
  unknown: 3
};

/** Rows grouped added, modified, removed (by path within), with size deltas. */
export function summarizeDiff(diff: IDiff): IDiffSummary {
  const rows = diff.changes
    .map(change => {
      const fromSize = change.from ? change.from.size : null;
      const toSize = change.to ? change.to.size : null;
      return {
        path: change.path,
        type: change.type,
        fromSize,
        toSize,
        delta: (toSize ?? 0) - (fromSize ?? 0)
      };
    })
    .sort(
      (a, b) =>
        TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || a.path.localeCompare(b.path)
    );
  return { rows, stats: diff.stats, empty: rows.length === 0 };
}

/** `1 added, 1 modified, 0 removed (+9 B)` — untranslated parts for trans.__. */
export function diffStatsParts(stats: IDiffStats): {
  added: number;
  modified: number;
  removed: number;
  delta: string;
} {
  return {
    added: stats.added,
    modified: stats.modified,
    removed: stats.removed,
    delta: formatBytesDelta(stats.bytesDelta)
  };
}

export interface IWindow {
  /** First rendered index. */
  start: number;
  /** One past the last rendered index. */
  end: number;
  /** Padding above the first rendered row. */
  offsetTop: number;
  /** Height of the whole list. */
  totalHeight: number;
}

/** Which rows of a fixed-row-height list to render for a scroll position. */
export function windowRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 5
): IWindow {
  const totalHeight = count * rowHeight;
  if (count === 0 || rowHeight <= 0) {
    return { start: 0, end: 0, offsetTop: 0, totalHeight: 0 };
  }
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(count - 1, first - overscan));
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offsetTop: start * rowHeight, totalHeight };
}

/** True when the viewport is within `threshold` px of the list's end. */
export function nearEnd(
  scrollTop: number,
  viewportHeight: number,
  totalHeight: number,
  threshold: number
): boolean {
  return scrollTop + viewportHeight >= totalHeight - threshold;
}

/** Case-insensitive substring filter over id, description and tags. */
export function filterDatasets(
  datasets: readonly IDataset[],
  filter: string
): IDataset[] {
  const needle = filter.trim().toLowerCase();
  if (!needle) {
    return [...datasets];
  }
  return datasets.filter(
    dataset =>
      dataset.id.toLowerCase().includes(needle) ||
      dataset.description.toLowerCase().includes(needle) ||
      dataset.tags.some(tag => tag.toLowerCase().includes(needle))
  );
}

/**
 * The loaded pages of a paginated list: appends pages, replaces items that
 * reappear (by name) and knows whether more can be loaded.
 */
export class PagedList<T extends { name: string }> {
  get items(): readonly T[] {
    return this._items;
  }

  /** More pages exist (or none was loaded yet). */
  get hasMore(): boolean {
    return !this._loadedOnce || this._nextPageToken !== '';
  }

  get nextPageToken(): string {
    return this._nextPageToken;
  }

  append(page: IPage<T>): void {
    const index = new Map(this._items.map((item, i) => [item.name, i]));
    for (const item of page.items) {
      const existing = index.get(item.name);
      if (existing === undefined) {
        index.set(item.name, this._items.length);
        this._items.push(item);
      } else {
        this._items[existing] = item;
      }
    }
    this._nextPageToken = page.nextPageToken;
    this._loadedOnce = true;
  }

  /** Puts one item first (a dataset just created) or updates it in place. */
  upsert(item: T): void {
    const existing = this._items.findIndex(other => other.name === item.name);
    if (existing >= 0) {
      this._items[existing] = item;
    } else {
      this._items.unshift(item);
    }
  }

  /** The items of one page that lists from the start again, in place of all loaded. */
  replace(page: IPage<T>): void {
    this._items = [...page.items];
    this._nextPageToken = page.nextPageToken;
    this._loadedOnce = true;
  }

  reset(): void {
    this._items = [];
    this._nextPageToken = '';
    this._loadedOnce = false;
  }

  private _items: T[] = [];
  private _nextPageToken = '';
  private _loadedOnce = false;
}

/** Tags typed as `a, b c` → `['a', 'b', 'c']`, without blanks or repeats. */
export function parseTagsInput(text: string): string[] {
  const tags: string[] = [];
  for (const tag of text.split(/[\s,]+/)) {
    if (tag && !tags.includes(tag)) {
      tags.push(tag);
    }
  }
  return tags;
}

/** The result of parsing the labels field: the labels, or the first line that is not `key=value`. */
export type LabelsInput =
  { ok: true; labels: Record<string, string> } | { ok: false; line: string };

/**
 * Parses labels typed one `key=value` per line (values may hold commas,
 * spaces and `=`; blank lines are skipped; a later key wins). Key syntax is
 * the sidecar's to judge: it answers with a field violation on `labels`.
 */
export function parseLabelsInput(text: string): LabelsInput {
  const labels: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) {
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      return { ok: false, line };
    }
    labels[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return { ok: true, labels };
}

/** Renders labels for the labels field: one `key=value` per line, by key. */
export function formatLabelsInput(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map(key => `${key}=${labels[key]}`)
    .join('\n');
}

/** Which form field a server-side violation is about (proto field names). */
export type DatasetFormField = 'id' | 'description' | 'tags' | 'labels';

const FIELD_ALIASES: Record<string, DatasetFormField> = {
  dataset_id: 'id',
  datasetId: 'id',
  name: 'id',
  description: 'description',
  tags: 'tags',
  labels: 'labels'
};

/**
 * Maps a failed create/update to messages per form field; what belongs to no
 * field (or a failure without violations) goes under `form`.
 */
export function formErrors(
  failure: IDatasetApiFailure
): Partial<Record<DatasetFormField | 'form', string>> {
  const errors: Partial<Record<DatasetFormField | 'form', string>> = {};
  for (const violation of failure.fieldViolations) {
    const key = violation.field.replace(/^dataset\./, '').replace(/\[.*$/, '');
    const field = FIELD_ALIASES[key];
    const message = violation.description || failure.message;
    if (field) {
      errors[field] = errors[field] ? `${errors[field]}; ${message}` : message;
    } else {
      errors.form = message;
    }
  }
  if (Object.keys(errors).length === 0) {
    errors.form = failure.message;
  }
  return errors;
}

/** A client-side check of a dataset id, mirroring the server's rule. */
export function validateDatasetId(id: string): 'empty' | 'invalid' | null {
  if (!id) {
    return 'empty';
  }
  // resource.ValidateDatasetID: a DNS label.
  return /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(id) ? null : 'invalid';
}

export interface IBreadcrumb {
  label: string;
  /** The prefix to list when the crumb is clicked (`` for the root). */
  prefix: string;
}

/** `images/cats/` → root, images, cats. */
export function breadcrumbs(prefix: string, rootLabel: string): IBreadcrumb[] {
  const crumbs: IBreadcrumb[] = [{ label: rootLabel, prefix: '' }];
  let path = '';
  for (const part of prefix.split('/').filter(Boolean)) {
    path += `${part}/`;
    crumbs.push({ label: part, prefix: path });
  }
  return crumbs;
}

/** The prefix one level up from `images/cats/` (`images/`). */
export function parentPrefix(prefix: string): string {
  const parts = prefix.split('/').filter(Boolean);
  parts.pop();
  return parts.length ? `${parts.join('/')}/` : '';
}

/** The last segment of a file or folder path, without a trailing `/`. */
export function baseName(path: string): string {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The dataset path an uploaded file lands at, under the current folder. */
export function uploadPath(prefix: string, fileName: string): string {
  const name = fileName.replace(/^.*[\\/]/, '');
  return `${prefix}${name}`;
}

/** Upload progress as a whole percentage, 0–100. */
export function percent(loaded: number, total: number): number {
  if (total <= 0) {
    return 0;
  }
  return Math.max(0, Math.min(100, Math.round((loaded / total) * 100)));
}

/** A short local date-time for timestamps (RFC 3339 in, `YYYY-MM-DD HH:MM` out, UTC). */
export function formatTime(rfc3339: string): string {
  const date = new Date(rfc3339);
  if (!rfc3339 || Number.isNaN(date.getTime())) {
    return '';
  }
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The ref a notebook should load: the one shown, except the draft, which
 * changes under the notebook's feet; then the newest snapshot is used (the
 * head, when there is none yet).
 */
export function notebookRef(shownRef: string, newestVersion: string): string {
  const ref = parseRef(shownRef);
  if (ref.kind === 'draft' || ref.kind === 'head') {
    return newestVersion || (ref.kind === 'draft' ? DRAFT_REF : '');
  }
  return formatRef(ref);
}

/** Where a new cell goes: below the active one, or at the end without one. */
export function insertionIndex(activeIndex: number, cellCount: number): number {
  if (activeIndex < 0 || activeIndex >= cellCount) {
    return cellCount;
  }
  return activeIndex + 1;
}
