/**
 * Previewing a tabular file from the dataset view: the sample iris dataset a
 * new install imports, opened from the panel; its CSV previewed as a grid
 * with typed column headers, read by the managed sidecar's DuckDB.
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
