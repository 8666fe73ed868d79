/** The kamld: drive browser's commands (context menu of its items). */
export const DriveCommandIds = {
  /** Copies `kamld:iris@v1/iris.csv`, the path the kernel reads as it is. */
  copyPath: 'kamld:drive-copy-path',
  /** Copies Python that loads the item with kamld.load. */
  copyLoadCode: 'kamld:drive-copy-load-code',
  openSql: 'kamld:drive-open-sql',
  showDataset: 'kamld:drive-show-dataset',
  snapshot: 'kamld:drive-snapshot',
  compareWithDraft: 'kamld:drive-compare-with-draft',
  /** Shows the kamld: drive browser. */
  openBrowser: 'kamld:drive-open'
} as const;
