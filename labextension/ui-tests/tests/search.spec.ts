/**
 * Search end to end on the connected JupyterLab's managed sidecar, which
 * imported the sample datasets: search by tag, narrow by a format facet, find
 * by column name, see a highlighted match, open a result.
 */
import { expect, test } from '@playwright/test';

import {
  expectConnection,
  kamldConsoleErrors,
  keepScreenshot,
  openDatasetsPanel
} from './datasetsPanel';

test('search the sample datasets, filter by a facet and open a result', async ({
  page
}, testInfo) => {
  test.setTimeout(120_000);
  const consoleErrors = kamldConsoleErrors(page);
  const datasets = await openDatasetsPanel(page, testInfo);
  await expectConnection(datasets, 'connected');

  // One list: the full list until a query is typed, then the results.
  const section = datasets.list;
  await expect(datasets.rows.first()).toBeVisible();
  const input = datasets.search;
  const results = section.locator('.kamld-Search-result');
  const ids = async () =>
    (
      await results.evaluateAll(nodes =>
        nodes.map(n => n.getAttribute('data-kamld-dataset') ?? '')
      )
    ).sort();

  // By tag.
  await input.fill('tag:classification');
  await input.press('Enter');
  await expect(results.filter({ hasText: 'iris' }).first()).toBeVisible();
  await expect
    .poll(ids)
    .toEqual(expect.arrayContaining(['iris', 'penguins', 'wine']));

  // Narrow with the format facet: only the Parquet ones stay.
  await section.locator('.kamld-Search-filtersToggle').click();
  // One collapsed group per facet: open Formats.
  await section.locator('[data-kamld-facet="format"] summary').click();
  const parquet = section.locator(
    '[data-kamld-facet="format"] .kamld-Search-facetValue',
    { hasText: 'parquet' }
  );
  await parquet.click();
  await expect(parquet.locator('input')).toBeChecked();
  await expect.poll(ids).toEqual(['penguins', 'wine']);
  await keepScreenshot(page, testInfo, 'search-facets', {
    waitForLauncher: false
  });
  await parquet.click();
  await expect(parquet.locator('input')).not.toBeChecked();

  // By column name, and by free text with a highlighted match.
  await input.fill('column:flipper_length_mm');
  await input.press('Enter');
  await expect.poll(ids).toEqual(['penguins']);
  await input.fill('microscopy');
  await input.press('Enter');
  await expect.poll(ids).toEqual(['sample-images']);
  await expect(results.first().locator('mark')).toHaveText(/microscopy/i);

  // A malformed query says where.
  await input.fill('tag:"unbalanced');
  await input.press('Enter');
  await expect(section.locator('.kamld-Search-error')).toContainText(
    'position 5'
  );

  // Open a result.
  await input.fill('penguins');
  await input.press('Enter');
  await results.filter({ hasText: 'penguins' }).first().click();
  const view = page.locator(
    '.kamld-DatasetView[data-kamld-dataset="penguins"]'
  );
  await expect(view.locator('.kamld-DatasetView-title')).toHaveText('penguins');

  // An empty query is the full list again (no search results).
  await input.fill('');
  await input.press('Enter');
  await expect(results).toHaveCount(0);
  await expect(datasets.rows.first()).toBeVisible();
  await keepScreenshot(page, testInfo, 'search-penguins', {
    waitForLauncher: false
  });
  expect(consoleErrors).toEqual([]);
});
