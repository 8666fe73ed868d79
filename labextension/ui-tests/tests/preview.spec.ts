/**
 * Previewing and querying from the dataset view: the sample iris dataset a
 * new install imports, opened from the panel; its CSV previewed as a grid
 * with typed column headers, then a GROUP BY run from the SQL editor — both
 * read by the managed sidecar's DuckDB.
 */
import { expect, test } from '@playwright/test';

import {
  expectConnection,
  kamldConsoleErrors,
  keepScreenshot,
  openDatasetsPanel
} from './datasetsPanel';

test('a sample CSV is previewed with its column types', async ({
  page
}, testInfo) => {
  test.setTimeout(120_000);
  const consoleErrors = kamldConsoleErrors(page);
  const datasets = await openDatasetsPanel(page, testInfo);
  await expectConnection(datasets, 'connected');

  const section = datasets.panel.locator('.kamld-DatasetsSection');
  await section.locator('.kamld-DatasetList-filter').fill('iris');
  await section.locator('[data-kamld-dataset="iris"] button').first().click();
  const view = page.locator('.kamld-DatasetView[data-kamld-dataset="iris"]');
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
  await expect(grid.locator('tbody tr')).toHaveCount(100);
  await expect(grid.locator('tbody tr').first()).toContainText('setosa');
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
  const section = datasets.panel.locator('.kamld-DatasetsSection');
  await section.locator('.kamld-DatasetList-filter').fill('iris');
  await section.locator('[data-kamld-dataset="iris"] button').first().click();
  await page
    .locator('.jp-MainAreaWidget .kamld-SqlButton')
    .filter({ visible: true })
    .click();

  const editor = page.locator('.kamld-SqlEditor').filter({ visible: true });
  const input = editor.locator('.kamld-SqlEditor-input');
  await expect(input).toHaveValue(/FROM "iris"/);
  await input.fill(
    'SELECT species, count(*) AS n, round(avg(petal_length_cm), 2) AS mean\n' +
      'FROM "iris@v1".iris GROUP BY species ORDER BY species'
  );
  await editor.locator('.kamld-SqlEditor-run').click();
  const grid = editor.locator('.kamld-PreviewTable');
  await expect(grid.locator('tbody tr')).toHaveCount(3);
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

  // A statement the guard refuses: the error says where, nothing runs.
  await input.fill('SELECT 1; DROP TABLE x');
  await input.press('Control+Enter');
  await expect(editor.locator('.kamld-SqlEditor-error')).toContainText(
    'line 1, column 9'
  );
  expect(consoleErrors).toEqual([]);
});
