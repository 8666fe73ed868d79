/**
 * The preview always shows the rows of the ref named beside it: a dataset
 * with two snapshots whose rows differ, previewed at the draft, then at v1
 * and v2 through the Ref picker — the rows change with the ref, and so do
 * the schema and the name on the grid. Numbers are right-aligned and NULL is
 * shown as NULL.
 */
import { expect, Page, test } from '@playwright/test';

import { E2E_TOKEN } from './constants';
import {
  expectConnection,
  kamldConsoleErrors,
  keepScreenshot,
  openDataset,
  openDatasetsPanel,
  showTab
} from './datasetsPanel';

const AUTH = { Authorization: `token ${E2E_TOKEN}` };
const V1_CSV = 'city,temp\nOslo,1.5\nRome,\n';
const V2_CSV = 'city,temp\nLima,19.25\nKyiv,-3\nNuuk,-12.5\n';

/** Creates `id` with snapshot v1 (V1_CSV) and v2 (V2_CSV) of rows.csv, through the HTTP API. */
async function twoVersions(page: Page, id: string): Promise<void> {
  const api = `/kamld/api/v1/datasets/${id}`;
  const created = await page.request.post(
    `/kamld/api/v1/datasets?datasetId=${id}`,
    {
      headers: AUTH,
      data: { description: 'two versions', tags: [], labels: {} }
    }
  );
  expect(created.status()).toBe(200);
  for (const [csv, message] of [
    [V1_CSV, 'first'],
    [V2_CSV, 'second']
  ]) {
    const put = await page.request.put(`${api}/content/rows.csv`, {
      headers: { ...AUTH, 'Content-Type': 'text/csv' },
      data: csv
    });
    expect(put.status()).toBe(200);
    const snap = await page.request.post(`${api}/snapshots`, {
      headers: AUTH,
      data: { message }
    });
    expect(snap.status()).toBe(200);
  }
}

test('the preview shows the rows of the ref named beside it', async ({
  page
}, testInfo) => {
  test.setTimeout(120_000);
  const consoleErrors = kamldConsoleErrors(page);
  const id = `two-refs-${Date.now().toString(36)}`;
  await twoVersions(page, id);
  const datasets = await openDatasetsPanel(page, testInfo);
  await expectConnection(datasets, 'connected');
  const view = await openDataset(page, datasets, id);
  await showTab(view, 'files');
  await view
    .locator('[data-kamld-file="rows.csv"] .kamld-Files-preview')
    .click();

  const preview = view.locator('[data-kamld-preview="rows.csv"]');
  const rows = preview.locator('tbody tr.kamld-PreviewTable-row');
  await expect(preview).toHaveAttribute('data-kamld-preview-ref', 'draft');
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText('Lima');

  const refPicker = view.locator('.kamld-Files-ref select');
  await refPicker.selectOption('v1');
  await expect(preview).toHaveAttribute('data-kamld-preview-ref', 'v1');
  await expect(preview.locator('.kamld-RefBadge')).toHaveText('v1');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('Oslo');
  await expect(preview).not.toContainText('Lima');
  // Numbers right-aligned, the missing temperature shown as NULL.
  const temp = rows.first().locator('td').nth(1);
  await expect(temp).toHaveText('1.5');
  await expect(temp).toHaveCSS('text-align', 'right');
  await expect(rows.nth(1).locator('td').nth(1)).toHaveAttribute(
    'data-kamld-cell',
    'null'
  );
  await expect(rows.nth(1).locator('td').nth(1)).toHaveText('NULL');
  await expect(rows.nth(1).locator('td').nth(1)).toHaveCSS(
    'text-align',
    'right'
  );
  await keepScreenshot(page, testInfo, 'preview-ref-v1', {
    waitForLauncher: false
  });
  // The schema tab names the same ref.
  await showTab(view, 'schema');
  await expect(view.locator('.kamld-Schema')).toHaveAttribute(
    'data-kamld-schema-ref',
    'v1'
  );
  await showTab(view, 'files');

  await refPicker.selectOption('v2');
  await expect(preview).toHaveAttribute('data-kamld-preview-ref', 'v2');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText('Kyiv');
  await expect(preview).not.toContainText('Oslo');
  expect(consoleErrors).toEqual([]);
});
