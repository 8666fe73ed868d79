/**
 * JupyterLab whose KAMLD_BINARY points nowhere: the panel must say that the
 * binary is missing and how to point Jupyter at it.
 */
import { expect, test } from '@playwright/test';

import { MISSING_BINARY } from './constants';
import {
  keepScreenshot,
  openDatasetsPanel,
  expectConnection
} from './datasetsPanel';

test('the Datasets panel explains a missing sidecar binary', async ({
  page
}, testInfo) => {
  const datasets = await openDatasetsPanel(page, testInfo);

  await expectConnection(datasets, 'binary-not-found', 'error');
  await expect(datasets.title).toBeVisible();
  // What was looked for, and both ways to fix it.
  await expect(datasets.details).toContainText(MISSING_BINARY);
  await expect(datasets.details).toContainText('KAMLD_BINARY');
  await expect(datasets.details).toContainText('c.Kamld.binary');
  // No sidecar, so no backend table.
  await expect(datasets.panel.locator('.kamld-Backends')).toHaveCount(0);

  await keepScreenshot(page, testInfo, 'datasets-panel-binary-missing');
});
