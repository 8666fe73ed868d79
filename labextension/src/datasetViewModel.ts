/**
 * State and actions of one dataset view: the dataset, its history and tags,
 * the file listing at a ref, uploads, the diff and the last action's notice.
 * Only Lumino signals, no JupyterLab imports: jest drives it against a fake
 * transport.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ITranslate } from './connectionState';
import {
  DatasetClient,
  IBranch,
  IMergeConflict,
  mergeConflicts,
  MergeStrategy,
  IDataset,
  IDatasetApiFailure,
  IDiff,
  IDiffStats,
  IFileListing,
  isConflict,
  ISnapshot,
  ITag,
  routes
} from './datasetApi';
import {
  DRAFT_REF,
  IDiffSummary,
  parseLabelsInput,
  parseTagsInput,
  percent,
  summarizeDiff,
  uploadPath
} from './datasetModel';
import { jobTitle, parseJob } from './jobApi';
import { datasetOfSnapshot, ILineageNames } from './lineageModel';
import { PreviewModel } from './previewModel';
import { ProfileModel } from './profileModel';
import { RowDiffModel } from './rowDiffModel';
import { SchemaModel } from './schemaModel';

/** The tabs of a dataset view, in their order. */
export const DATASET_TABS = [
  'overview',
  'files',
  'schema',
  'history',
  'compare',
  'lineage'
] as const;

export type DatasetTab = (typeof DATASET_TABS)[number];

/** Files per ListFiles page (the sidecar caps pages at 1000). */
export const FILE_PAGE_SIZE = 500;

/** Changes per DiffSnapshots page. */
export const DIFF_PAGE_SIZE = 500;

/** PUTs `body` to `url`, reporting progress; resolves with the failure or null. */
export type Uploader = (
  url: string,
  body: Blob,
  onProgress: (loaded: number, total: number) => void
) => Promise<IDatasetApiFailure | null>;

export interface IUpload {
  path: string;
  percent: number;
  done: boolean;
  error: string;
}

/** A notice shown at the top of the view (the outcome of the last action). */
export interface INotice {
  kind: 'info' | 'error' | 'conflict';
  message: string;
}

export class DatasetViewModel {
  constructor(
    readonly datasetId: string,
    private readonly _client: DatasetClient,
    private readonly _upload: Uploader,
    private readonly _trans: ITranslate
  ) {
    this.preview = new PreviewModel(datasetId, _client, _trans);
    this.schema = new SchemaModel(datasetId, _client, _trans);
    this.profile = new ProfileModel(
      datasetId,
      _client.baseUrl,
      _client.transport
    );
    this.rows = new RowDiffModel(
      datasetId,
      _client.baseUrl,
      _client.transport,
      _trans
    );
  }

  /** Histograms of the numeric columns shown in Schema & profile. */
  readonly profile: ProfileModel;

  /** The row-level comparison of one table between the two compared refs. */
  readonly rows: RowDiffModel;

  /** The tab shown. */
  tab: DatasetTab = 'overview';

  /** Readable names of the snapshots and jobs the lineage graph links to. */
  lineageNames: ILineageNames = { snapshots: new Map(), jobs: new Map() };

  setTab(tab: DatasetTab): void {
    this.tab = tab;
    this._changed.emit();
  }

  /** The preview of a tabular file of the listing. */
  readonly preview: PreviewModel;

  /** Tables, columns and statistics at the ref shown. */
  readonly schema: SchemaModel;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emits the dataset after every successful read or write of it. */
  get datasetChanged(): ISignal<this, IDataset> {
    return this._datasetChanged;
  }

  dataset: IDataset | null = null;
  loadError = '';
  snapshots: ISnapshot[] = [];
  tags: ITag[] = [];
  branches: IBranch[] = [];
  /** The ref the file browser shows. */
  ref: string = DRAFT_REF;
  prefix = '';
  listing: IFileListing | null = null;
  listingError = '';
  uploads: IUpload[] = [];
  diffFrom = '';
  diffTo = '';
  diff: IDiffSummary | null = null;
  diffError = '';
  notice: INotice | null = null;

  /** URL of a file's bytes at the current ref, through Jupyter's proxy. */
  downloadUrl(path: string): string {
    return this._client.url(routes.content(this.datasetId, path, this.ref));
  }

  /** Bumped by every reload the user asked for: an open metadata editor closes then, not on live updates. */
  editorEpoch = 0;

  /** Reloads everything; `live` for a change seen elsewhere (keeps an open editor). */
  async refresh(live = false): Promise<void> {
    if (!live) {
      this.editorEpoch++;
      // Finished uploads are old news once the user reloads; a live reload (often caused by the upload
      // itself) keeps them, so "uploaded" stays on screen.
      this.uploads = this.uploads.filter(upload => !upload.done);
    }
    this.profile.clear();
    await Promise.all([
      this._loadDataset(),
      this._loadHistory(),
      this.schema.load(this.ref),
      this._followRef()
    ]);
    await this.listFiles();
  }

  async setRef(ref: string): Promise<void> {
    this.ref = ref;
    this.prefix = '';
    await Promise.all([
      this.listFiles(),
      this.schema.load(ref),
      this._followRef()
    ]);
  }

  /**
   * Reloads an open preview at the ref shown: data on screen must always be
   * that of the ref named beside it, never the rows of an earlier ref.
   */
  private async _followRef(): Promise<void> {
    if (this.preview.path) {
      await this.preview.open(this.preview.path, this.ref);
    }
  }

  async openFolder(prefix: string): Promise<void> {
    this.prefix = prefix;
    await this.listFiles();
  }

  /** Lists the first page of the folder shown at the ref shown. */
  async listFiles(): Promise<void> {
    const result = await this._client.listFiles(this.datasetId, {
      ref: this.ref,
      prefix: this.prefix || undefined,
      pageSize: FILE_PAGE_SIZE
    });
    if (result.ok) {
      this.listing = result.value;
      this.listingError = '';
    } else {
      this.listing = null;
      this.listingError = result.failure.message;
    }
    this._changed.emit();
  }

  /** Appends the next page of the listing, if there is one. */
  async loadMoreFiles(): Promise<void> {
    const listing = this.listing;
    if (!listing || !listing.nextPageToken) {
      return;
    }
    const result = await this._client.listFiles(this.datasetId, {
      ref: this.ref,
      prefix: this.prefix || undefined,
      pageSize: FILE_PAGE_SIZE,
      pageToken: listing.nextPageToken
    });
    // The view moved on meanwhile: this page belongs to another listing.
    if (this.listing !== listing) {
      return;
    }
    if (result.ok) {
      this.listing = {
        ...result.value,
        files: [...listing.files, ...result.value.files],
        folders: [
          ...listing.folders,
          ...result.value.folders.filter(f => !listing.folders.includes(f))
        ]
      };
      this.listingError = '';
    } else {
      this.listingError = result.failure.message;
    }
    this._changed.emit();
  }

  /**
   * Saves description, tags and (when given) labels — one `key=value` per
   * line — if nobody changed the dataset meanwhile.
   */
  async saveMetadata(
    description: string,
    tagsText: string,
    labelsText?: string,
    /** The etag the edit started from: a change since then is a conflict, not overwritten. */
    baseEtag?: string
  ): Promise<boolean> {
    if (!this.dataset) {
      return false;
    }
    const labels =
      labelsText === undefined ? undefined : parseLabelsInput(labelsText);
    if (labels && !labels.ok) {
      this.notice = {
        kind: 'error',
        message: this._trans.__(
          'Labels are written key=value, one per line; "%1" is not.',
          labels.line
        )
      };
      this._changed.emit();
      return false;
    }
    const result = await this._client.updateDataset(
      this.datasetId,
      {
        description,
        tags: parseTagsInput(tagsText),
        ...(labels ? { labels: labels.labels } : {})
      },
      baseEtag ?? this.dataset.etag
    );
    if (result.ok) {
      this._setDataset(result.value);
      this.notice = null;
      this._changed.emit();
      return true;
    }
    this.notice = isConflict(result.failure)
      ? {
          kind: 'conflict',
          message: this._trans.__(
            'Someone else changed this dataset since it was loaded. Reload to see their change, then edit again.'
          )
        }
      : {
          kind: 'error',
          message: this._trans.__('Could not save: %1', result.failure.message)
        };
    this._changed.emit();
    return false;
  }

  /**
   * The draft paths that uploading `files` under the folder shown would replace: the view asks before it
   * overwrites them. A path whose check fails is not reported (the upload itself then says what is wrong).
   */
  async replacedByUpload(files: readonly File[]): Promise<string[]> {
    const prefix = this.prefix;
    const found = await Promise.all(
      files.map(async file => {
        const path = uploadPath(prefix, file.name);
        const stat = await this._client.getJson(
          routes.file(this.datasetId, path, DRAFT_REF),
          body => body
        );
        return stat.ok ? path : '';
      })
    );
    return found.filter(path => path !== '');
  }

  /** Uploads files into the draft, under the folder shown. */
  async upload(files: readonly File[]): Promise<void> {
    if (files.length === 0) {
      return;
    }
    // Uploads go to the draft: show it, so the new files are seen.
    this.ref = DRAFT_REF;
    const prefix = this.prefix;
    const batch = files.map(file => ({
      file,
      entry: {
        path: uploadPath(prefix, file.name),
        percent: 0,
        done: false,
        error: ''
      } as IUpload
    }));
    // Finished uploads of earlier batches make way for this one.
    this.uploads = [
      ...batch.map(item => item.entry),
      ...this.uploads.filter(upload => !upload.done)
    ];
    this._changed.emit();
    for (const { file, entry } of batch) {
      const failure = await this._upload(
        this._client.url(routes.content(this.datasetId, entry.path)),
        file,
        (loaded, total) => {
          entry.percent = percent(loaded, total);
          this._changed.emit();
        }
      );
      entry.done = true;
      entry.error = failure ? failure.message : '';
      if (!failure) {
        entry.percent = 100;
      }
      this._changed.emit();
    }
    await Promise.all([
      this._loadDataset(),
      this.listFiles(),
      this.schema.load(this.ref),
      this._followRef()
    ]);
  }

  async snapshot(message: string): Promise<ISnapshot | null> {
    const result = await this._client.createSnapshot(this.datasetId, message);
    if (!result.ok) {
      this.notice = {
        kind: 'error',
        message: this._trans.__(
          'Could not take a snapshot: %1',
          result.failure.message
        )
      };
      this._changed.emit();
      return null;
    }
    this.notice = {
      kind: 'info',
      message: this._trans.__('Snapshot %1 taken.', result.value.version)
    };
    await this.refresh();
    return result.value;
  }

  /** What branch changed against main's head: the merge dialog's preview. */
  async mergePreview(branch: string): Promise<IDiff | null> {
    const result = await this._client.diff(this.datasetId, 'main', branch, 200);
    return result.ok ? result.value : null;
  }

  /**
   * Merges branch into main. Returns its conflicts when it failed on them
   * (nothing was merged), [] when it merged, null on another failure (shown).
   */
  async merge(
    branch: string,
    strategy: MergeStrategy = ''
  ): Promise<IMergeConflict[] | null> {
    const result = await this._client.mergeBranch(
      this.datasetId,
      branch,
      strategy
    );
    if (!result.ok) {
      const conflicts = mergeConflicts(result.failure);
      if (conflicts) {
        return conflicts;
      }
      this.notice = {
        kind: 'error',
        message: this._trans.__(
          'Could not merge %1: %2',
          branch,
          result.failure.message
        )
      };
      this._changed.emit();
      return null;
    }
    const merged = result.value;
    const stats = merged.stats;
    this.notice = {
      kind: 'info',
      message: merged.upToDate
        ? this._trans.__('%1 is merged into main already.', branch)
        : this._trans.__(
            'Merged %1 into main (%2): %3 added, %4 modified, %5 removed.',
            branch,
            merged.fastForward
              ? this._trans.__('fast-forward to %1', merged.version)
              : merged.version,
            stats.added,
            stats.modified,
            stats.removed
          )
    };
    await this.refresh();
    return [];
  }

  async restore(ref: string): Promise<IDiffStats | null> {
    const result = await this._client.restoreSnapshot(this.datasetId, ref);
    if (!result.ok) {
      this.notice = {
        kind: 'error',
        message: this._trans.__(
          'Could not restore %1: %2',
          ref,
          result.failure.message
        )
      };
      this._changed.emit();
      return null;
    }
    const stats = result.value;
    this.notice = {
      kind: 'info',
      message: this._trans.__(
        'Restored %1 into the draft: %2 added, %3 modified, %4 removed.',
        ref,
        stats.added,
        stats.modified,
        stats.removed
      )
    };
    this.ref = DRAFT_REF;
    await this.refresh();
    return stats;
  }

  /** Points tag `tagId` at snapshot `version`; false (with a notice) on failure. */
  async tag(version: string, tagId: string): Promise<boolean> {
    const result = await this._client.createTag(this.datasetId, tagId, version);
    if (!result.ok) {
      this.notice = {
        kind: 'error',
        message: this._trans.__(
          'Could not tag %1 as “%2”: %3',
          version,
          tagId,
          result.failure.message
        )
      };
      this._changed.emit();
      return false;
    }
    this.notice = {
      kind: 'info',
      message: this._trans.__('Tagged %1 as “%2”.', version, tagId)
    };
    await this._loadHistory();
    return true;
  }

  setDiffRefs(from: string, to: string): void {
    this.diffFrom = from;
    this.diffTo = to;
    this._changed.emit();
  }

  /** Loads the first page of the diff between the two chosen refs. */
  async compare(): Promise<void> {
    if (!this.diffFrom || !this.diffTo) {
      return;
    }
    const [from, to] = [this.diffFrom, this.diffTo];
    const result = await this._client.diff(
      this.datasetId,
      from,
      to,
      DIFF_PAGE_SIZE
    );
    if (result.ok) {
      this._diffPages = { from, to, diff: result.value };
      this.diff = summarizeDiff(result.value);
      this.diffError = '';
    } else {
      this._diffPages = null;
      this.diff = null;
      this.diffError = result.failure.message;
    }
    this._changed.emit();
  }

  /** More changes than one page holds. */
  get diffHasMore(): boolean {
    return !!this._diffPages?.diff.nextPageToken;
  }

  /** Appends the next page of changes (the totals stay those of page one). */
  async loadMoreDiff(): Promise<void> {
    const pages = this._diffPages;
    if (!pages || !pages.diff.nextPageToken) {
      return;
    }
    const result = await this._client.diff(
      this.datasetId,
      pages.from,
      pages.to,
      DIFF_PAGE_SIZE,
      pages.diff.nextPageToken
    );
    if (this._diffPages !== pages) {
      return;
    }
    if (result.ok) {
      const diff = {
        changes: [...pages.diff.changes, ...result.value.changes],
        stats: pages.diff.stats,
        nextPageToken: result.value.nextPageToken
      };
      this._diffPages = { ...pages, diff };
      this.diff = summarizeDiff(diff);
      this.diffError = '';
    } else {
      this.diffError = result.failure.message;
    }
    this._changed.emit();
  }

  dismissNotice(): void {
    this.notice = null;
    this._changed.emit();
  }

  private async _loadDataset(): Promise<void> {
    const result = await this._client.getDataset(this.datasetId);
    if (result.ok) {
      this._setDataset(result.value);
      this.loadError = '';
    } else {
      this.loadError = result.failure.message;
    }
    this._changed.emit();
  }

  private _setDataset(dataset: IDataset): void {
    this.dataset = dataset;
    this._datasetChanged.emit(dataset);
  }

  private async _loadHistory(): Promise<void> {
    const [snapshots, tags, branches] = await Promise.all([
      this._client.listSnapshots(this.datasetId, 1000),
      this._client.listTags(this.datasetId),
      this._client.listBranches(this.datasetId)
    ]);
    if (snapshots.ok) {
      this.snapshots = [...snapshots.value.items].sort(
        (a, b) => b.sequence - a.sequence
      );
      // Default comparison: the two newest snapshots, or the only one and the draft.
      const known = new Set([DRAFT_REF, ...this.snapshots.map(s => s.version)]);
      const [newest, previous] = this.snapshots;
      if (!known.has(this.diffTo) || !this.diffTo) {
        this.diffTo = previous ? newest.version : DRAFT_REF;
      }
      if (!known.has(this.diffFrom) || !this.diffFrom) {
        this.diffFrom = (previous ?? newest)?.version ?? '';
      }
      void this._loadLineageNames();
    }
    if (tags.ok) {
      this.tags = tags.value.items;
    }
    if (branches.ok) {
      this.branches = branches.value.items;
    }
    this._changed.emit();
  }

  /** Names the graph shows for other datasets' snapshots and for jobs. */
  private async _loadLineageNames(): Promise<void> {
    const snapshots = new Map<string, string>();
    const jobs = new Map<string, { label: string; detail: string }>();
    const foreign = new Set<string>();
    const jobNames = new Set<string>();
    for (const snapshot of this.snapshots) {
      for (const input of snapshot.lineage?.inputs ?? []) {
        foreign.add(input);
      }
      if (snapshot.lineage?.job) {
        jobNames.add(snapshot.lineage.job);
      }
    }
    for (const snapshot of this.snapshots) {
      foreign.delete(snapshot.name);
    }
    if (foreign.size === 0 && jobNames.size === 0) {
      return;
    }
    await Promise.all([
      ...[...foreign].map(async name => {
        const got = await this._client.getJson(`v1/${name}`, body =>
          isVersioned(body) ? body.version : undefined
        );
        if (got.ok) {
          snapshots.set(name, `${datasetOfSnapshot(name)}@${got.value}`);
        }
      }),
      ...[...jobNames].map(async name => {
        const got = await this._client.getJson(`v1/${name}`, parseJob);
        if (got.ok) {
          jobs.set(name, {
            label: jobTitle(got.value),
            detail: got.value.state.toLowerCase()
          });
        }
      })
    ]);
    this.lineageNames = { snapshots, jobs };
    this._changed.emit();
  }

  private _diffPages: { from: string; to: string; diff: IDiff } | null = null;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _datasetChanged = new Signal<this, IDataset>(this);
}

function isVersioned(body: unknown): body is { version: string } {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { version?: unknown }).version === 'string'
  );
}
