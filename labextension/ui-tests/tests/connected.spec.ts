/**
 * JupyterLab with a managed sidecar: the Datasets panel connects, shows
 * GetInfo, and reconnects by itself after the sidecar dies and is restarted.
 */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  kamldConsoleErrors,
  keepScreenshot,
  managedSidecarPid,
  openDatasetsPanel,
  expectConnection
} from './datasetsPanel';

// The second test kills the sidecar the first one looks at.
test.describe.configure({ mode: 'serial' });

/** The extension's version; a connected sidecar must report the same. */
const VERSION: string = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')
).version;

test('the Datasets panel shows the connected sidecar and its backends', async ({
  page
}, testInfo) => {
  const consoleErrors = kamldConsoleErrors(page);
  const datasets = await openDatasetsPanel(page, testInfo);

  await expectConnection(datasets, 'connected', 'ok');
  await expect(datasets.title).toContainText(`kamld ${VERSION}`);
  await expect(datasets.panel.locator('.kamld-Versions')).toContainText(
    VERSION
  );

  const blob = datasets.backendRow('blob');
  await expect(blob).toContainText('fs');
  await expect(blob.locator('.kamld-SeverityDot')).toHaveClass(/kamld-mod-ok/);
  // Every capability of the contract has a row, whether it serves yet or not.
  for (const capability of ['blob', 'index', 'sql', 'compute']) {
    await expect(datasets.backendRow(capability)).toHaveCount(1);
  }

  await keepScreenshot(page, testInfo, 'datasets-panel-connected');
  // The plugin activated and loaded its settings without complaint.
  expect(consoleErrors).toEqual([]);
});

test('the Datasets panel reconnects by itself after the sidecar dies', async ({
  page
}, testInfo) => {
  const datasets = await openDatasetsPanel(page, testInfo);
  await expectConnection(datasets, 'connected');
  const facts = datasets.panel.locator('.kamld-SidecarFacts');
  await expect(facts).not.toContainText('Restarts');

  // A crash, not a shutdown: Jupyter must notice and start a new sidecar.
  process.kill(managedSidecarPid('connected'), 'SIGKILL');

  // Without any click the panel picks up the new sidecar, which Jupyter counts as a restart.
  await expect(facts).toContainText('Restarts', { timeout: 45_000 });
  await expectConnection(datasets, 'connected');
  await expect(datasets.backendRow('blob')).toContainText('fs');

  await keepScreenshot(page, testInfo, 'datasets-panel-reconnected');
});
