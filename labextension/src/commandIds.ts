/**
 * Every kamld command id, in one place: the plugins register them, menus,
 * the launcher, the status bar, schema/plugin.json (shortcuts, File › New,
 * the notebook toolbar) and the tests refer to them by these strings.
 */
export const CommandIds = {
  /** Shows the Datasets panel. */
  openPanel: 'kamld:open-panel',
  /** Shows the panel and puts the cursor into its search box. */
  focusSearch: 'kamld:focus-search',
  /** Checks the sidecar and reloads the panel's lists. */
  refresh: 'kamld:refresh',
  openDataset: 'kamld:open-dataset',
  newDataset: 'kamld:new-dataset',
  /** Opens a SQL editor over a dataset (args.id, or the one right-clicked). */
  queryDataset: 'kamld:query-dataset',
  /** Adds a cell loading a dataset to the current notebook. */
  insertDataset: 'kamld:insert-dataset',
  copyDatasetId: 'kamld:copy-dataset-id',
  addToDataset: 'kamld:add-to-dataset',
  sqlEditor: 'kamld:sql-editor',
  /** Runs the query of the current SQL editor. */
  runQuery: 'kamld:run-query',
  /** Records the draft of the current dataset view as a snapshot. */
  snapshot: 'kamld:snapshot',
  previewFile: 'kamld:preview-file',
  downloadFile: 'kamld:download-file',
  /** Shows the dataset view's files at the snapshot right-clicked. */
  browseSnapshot: 'kamld:browse-snapshot',
  restoreSnapshot: 'kamld:restore-snapshot',
  tagSnapshot: 'kamld:tag-snapshot',
  /** Opens a job's tab (args.id, or the job right-clicked). */
  showJob: 'kamld:show-job',
  /** Opens the Jobs table in the main area. */
  openJobs: 'kamld:open-jobs',
  cancelJob: 'kamld:cancel-job',
  copyJobId: 'kamld:copy-job-id',
  runAsJob: 'kamld:run-as-job',
  /** Runs the pipeline file selected in the file browser and opens the run. */
  runPipeline: 'kamld:run-pipeline',
  /** Opens a pipeline run's view (args.id). */
  openPipelineRun: 'kamld:open-pipeline-run',
  /** Lists pipeline runs in the main area. */
  pipelineRuns: 'kamld:pipeline-runs',
  /** Opens the Platform view: backend health, latency, errors, jobs, storage. */
  openPlatform: 'kamld:open-platform',
  /** Opens the audit view (platform admins): who did what to which dataset. */
  openAudit: 'kamld:open-audit'
} as const;

/** The command palette's category of every kamld command. */
export const PALETTE_CATEGORY = 'kamld';

/** The commands the palette lists (the others need a right-clicked item). */
export const PALETTE_COMMANDS: readonly string[] = [
  CommandIds.openPanel,
  CommandIds.focusSearch,
  CommandIds.refresh,
  CommandIds.newDataset,
  CommandIds.openJobs,
  CommandIds.sqlEditor,
  CommandIds.runQuery,
  CommandIds.snapshot,
  CommandIds.pipelineRuns,
  CommandIds.openPlatform,
  CommandIds.openAudit
];
