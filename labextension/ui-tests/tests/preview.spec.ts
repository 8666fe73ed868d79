/**
 * Previewing and querying from the dataset view: the sample iris dataset a
 * new install imports, opened from the panel; its CSV previewed as a grid
 * with typed column headers, then a GROUP BY run from the SQL editor — both
 * read by the managed sidecar's DuckDB.
 */
import { expect, test } from '@playwright/test';

import { E2E_TOKEN } from './constants';
import {
  expectConnection,
  kamldConsoleErrors,
  keepScreenshot,
  openDataset,
  openDatasetsPanel,
  showTab
} from './datasetsPanel';

test('a sample CSV is previewed with its column types', async ({
  page
}, testInfo) => {
  test.setTimeout(120_000);
  const consoleErrors = kamldConsoleErrors(page);
  const datasets = await openDatasetsPanel(page, testInfo);
  await expectConnection(datasets, 'connected');

  const view = await openDataset(page, datasets, 'iris');
  await showTab(view, 'files');
  const file = view.locator('[data-kamld-file="iris.csv"]');
  await expect(file).toBeVisible();
  await file.locator('.kamld-Files-preview').click();

  const preview = view.locator('[data-kamld-preview="iris.csv"]');
  const grid = preview.locator('.kamld-PreviewTable');
  await expect(grid.locator('thead th').first()).toContainText(
    'sepal_length_cm'
  );
  await expect(grid.locator('thead th').first()).toContainText('DOUBLE');
  await expect(grid.locator('thead th').last()).toContainText('VARCHAR');
  // Windowed: all 100 rows are counted, only those in view are rendered.
  const rows = grid.locator('tbody tr.kamld-PreviewTable-row');
  await expect(grid).toHaveAttribute('aria-rowcount', '101');
  await expect(rows.first()).toContainText('setosa');
  expect(await rows.count()).toBeLessThan(100);
  await preview
    .locator('.kamld-Preview-scroll')
    .evaluate(box => (box.scrollTop = box.scrollHeight));
  await expect(grid.locator('tr[aria-rowindex="101"]')).toBeVisible();
  await expect(preview).toContainText('first 100 rows');
  await keepScreenshot(page, testInfo, 'preview-iris-csv', {
    waitForLauncher: false
  });

  await preview.getByRole('button', { name: 'Close' }).click();
  await expect(preview).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});

test('a GROUP BY runs from the SQL editor', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const consoleErrors = kamldConsoleErrors(page);
  const datasets = await openDatasetsPanel(page, testInfo);
  await expectConnection(datasets, 'connected');
  await openDataset(page, datasets, 'iris');
  await page
    .locator('.jp-MainAreaWidget .kamld-SqlButton')
    .filter({ visible: true })
    .click();

  const editor = page.locator('.kamld-SqlEditor').filter({ visible: true });
  // CodeMirror's editable content, as in JupyterLab's own editors.
  const input = editor.locator('.kamld-SqlEditor-input .cm-content');
  await expect(input).toContainText('FROM "iris"');
  // Highlighted: the keyword is a styled token of its own.
  await expect(
    input.locator('span').filter({ hasText: /^SELECT$/ })
  ).toBeVisible();
  await input.fill(
    'SELECT species, count(*) AS n, round(avg(petal_length_cm), 2) AS mean\n' +
      'FROM "iris@v1".iris GROUP BY species ORDER BY species'
  );
  await editor.locator('.kamld-SqlEditor-run').click();
  const grid = editor.locator('.kamld-PreviewTable');
  await expect(grid.locator('tbody tr')).toHaveCount(3);
  await expect(grid).toHaveAttribute('aria-rowcount', '4');
  await expect(grid.locator('thead th').nth(1)).toContainText('BIGINT');
  await expect(grid.locator('tbody tr').first()).toContainText('setosa');
  await expect(grid.locator('tbody tr').first()).toContainText('50');
  await expect(grid.locator('tbody tr').last()).toContainText('5.55');
  await expect(editor.locator('.kamld-SqlEditor-status')).toContainText(
    '3 rows'
  );
  await keepScreenshot(page, testInfo, 'sql-editor-group-by', {
    waitForLauncher: false
  });

  // A longer result is windowed too: 150 rows counted, fewer rendered.
  await input.fill('SELECT * FROM "iris@v1".iris');
  await input.press('Control+Enter');
  await expect(editor.locator('.kamld-SqlEditor-status')).toContainText(
    '150 rows'
  );
  await expect(grid).toHaveAttribute('aria-rowcount', '151');
  expect(await grid.locator('tr.kamld-PreviewTable-row').count()).toBeLessThan(
    150
  );

  // Completion: the dataset's tables after its schema, from ListTables.
  await input.fill('SELECT * FROM "iris@v1".');
  await input.press('Control+Space');
  const completions = page.locator('.cm-tooltip-autocomplete');
  await expect(completions).toContainText('iris');
  await keepScreenshot(page, testInfo, 'sql-editor-completion', {
    waitForLauncher: false
  });
  await input.press('Escape');

  // Saved as a new dataset's snapshot: the server runs the GROUP BY again and stores it as Parquet.
  await input.fill(
    'SELECT species, count(*) AS n FROM "iris@v1".iris GROUP BY species ORDER BY species'
  );
  await input.press('Control+Enter');
  await expect(editor.locator('.kamld-SqlEditor-status')).toContainText(
    '3 rows'
  );
  // A new name on every attempt: a retry must not find the last one's file.
  const saved = `iris-counts-${Date.now().toString(36)}`;
  await editor.locator('.kamld-SqlEditor-save').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="dataset"]').fill(saved);
  await dialog.locator('input[name="path"]').fill('by_species.parquet');
  await dialog.locator('input[name="message"]').fill('counts per species');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(editor.locator('.kamld-SqlEditor-saved')).toContainText(
    `Saved 3 rows to ${saved} v1`
  );
  const auth = { Authorization: `token ${E2E_TOKEN}` };
  const snaps = await (
    await page.request.get(`/kamld/api/v1/datasets/${saved}/snapshots`, {
      headers: auth
    })
  ).json();
  expect(snaps.snapshots).toHaveLength(1);
  expect(snaps.snapshots[0].message).toBe('counts per species');
  const files = await (
    await page.request.get(`/kamld/api/v1/datasets/${saved}/files?ref=v1`, {
      headers: auth
    })
  ).json();
  expect(files.files.map((f: { path: string }) => f.path)).toEqual([
    'by_species.parquet'
  ]);
  await keepScreenshot(page, testInfo, 'sql-editor-saved', {
    waitForLauncher: false
  });

  // A statement the guard refuses: the error says where, nothing runs.
  await input.fill('SELECT 1; DROP TABLE x');
  await input.press('Control+Enter');
  await expect(editor.locator('.kamld-SqlEditor-error')).toContainText(
    'line 1, column 9'
  );
  expect(consoleErrors).toEqual([]);
});
