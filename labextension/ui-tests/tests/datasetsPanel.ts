/**
 * How the tests reach the Datasets panel. The selectors are the panel's
 * stable hooks (ids, `kamld-*` classes and `data-kamld-*` attributes), not
 * its wording, so that a reworded message does not break the e2e.
 */
import { expect, Locator, Page, TestInfo } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { E2E_TOKEN } from './constants';

/** Id of the panel widget, also the `data-id` of its sidebar tab. */
export const PANEL_ID = 'kamld-datasets';

/** Screenshots kept after the run (test-results/ is wiped by every run). */
export const SCREENSHOT_DIR = join(__dirname, '..', 'artefacts', 'screenshots');

export interface IDatasetsPanel {
  panel: Locator;
  /** The panel's one dataset list: the full list, or search results once a query is typed. */
  list: Locator;
  /** The list's search box (the focus-search command and `/` put the cursor here). */
  search: Locator;
  /** Every row of the list in the DOM (windowed: only those in view). */
  rows: Locator;
  /** The connection section; `data-kamld-state` holds the ConnectionState. */
  connection: Locator;
  title: Locator;
  details: Locator;
  backendRow: (capability: string) => Locator;
}

/** Waits until the connection section shows `state` (and `severity`, when given). */
export async function expectConnection(
  datasets: IDatasetsPanel,
  state: string,
  severity?: string
): Promise<void> {
  await expect(datasets.connection).toHaveAttribute('data-kamld-state', state);
  if (severity !== undefined) {
    await expect(datasets.connection).toHaveAttribute(
      'data-kamld-severity',
      severity
    );
  }
}

/**
 * Opens JupyterLab and then the Datasets panel through its left-sidebar tab.
 *
 * Each test gets its own workspace: the layout restorer would otherwise reopen
 * the panel a previous test left open, and the click would close it.
 */
export async function openDatasetsPanel(
  page: Page,
  testInfo: TestInfo
): Promise<IDatasetsPanel> {
  const workspace = `e2e-${testInfo.testId}`;
  await page.goto(`/lab/workspaces/${workspace}?token=${E2E_TOKEN}`);
  // The splash screen goes once JupyterLab has loaded and restored its layout.
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 60_000
  });
  const tab = page.locator(
    `.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${PANEL_ID}"]`
  );
  await expect(tab).toBeVisible();
  await tab.click();
  const panel = page.locator(`#${PANEL_ID}`);
  await expect(panel).toBeVisible();
  const connection = panel.locator('.kamld-Connection');
  const list = panel.locator('.kamld-DatasetsSection');
  return {
    panel,
    list,
    search: list.locator('.kamld-Search-input'),
    rows: list.locator('.kamld-DatasetList-row'),
    connection,
    title: connection.locator('.kamld-Connection-title'),
    details: connection.locator('.kamld-Connection-details'),
    backendRow: (capability: string) =>
      connection.locator(
        `.kamld-Backends tr[data-kamld-capability="${capability}"]`
      )
  };
}

/** The list row of one dataset (in the full list and among search results alike). */
export function datasetRow(datasets: IDatasetsPanel, id: string): Locator {
  return datasets.list.locator(
    `.kamld-DatasetList-row[data-kamld-dataset="${id}"]`
  );
}

/**
 * Searches the panel's list for a dataset id (a phrase, so that `a-b-7` is
 * one term) and returns its row once it is listed; searches again while the
 * index has not caught up with a dataset just made.
 */
export async function findDataset(
  datasets: IDatasetsPanel,
  id: string
): Promise<Locator> {
  const row = datasetRow(datasets, id);
  await expect(async () => {
    await datasets.search.fill(`"${id}"`);
    await datasets.search.press('Enter');
    await expect(row).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  return row;
}

/** Finds a dataset in the panel's list and opens its view; returns the view. */
export async function openDataset(
  page: Page,
  datasets: IDatasetsPanel,
  id: string
): Promise<Locator> {
  await (await findDataset(datasets, id)).click();
  const view = page.locator(`.kamld-DatasetView[data-kamld-dataset="${id}"]`);
  await expect(view).toBeVisible();
  return view;
}

/** Empties the search box: the list is the full list again. */
export async function clearSearch(datasets: IDatasetsPanel): Promise<void> {
  await datasets.search.fill('');
  await datasets.search.press('Enter');
  await expect(datasets.list.locator('.kamld-Search-result')).toHaveCount(0);
}

/** Saves a full-page screenshot under artefacts/ and attaches it to the report. */
export async function keepScreenshot(
  page: Page,
  testInfo: TestInfo,
  name: string,
  options: { waitForLauncher?: boolean } = {}
): Promise<string> {
  // A fresh workspace opens the Launcher once the layout is restored; wait for
  // it (without failing) so the picture shows a settled JupyterLab. Tests
  // that opened their own tabs pass `waitForLauncher: false`.
  if (options.waitForLauncher !== false) {
    await page
      .locator('.jp-Launcher')
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
  return path;
}

/**
 * The pid of the sidecar that JupyterLab `serverName` (a project name in
 * playwright.config.ts) manages, from the connection file the server extension
 * writes into its runtime dir.
 */
export function managedSidecarPid(serverName: string): number {
  const runDir = process.env.KAMLD_E2E_RUN_DIR;
  if (!runDir) {
    throw new Error(
      'KAMLD_E2E_RUN_DIR is not set: run the tests through playwright.config.ts'
    );
  }
  const file = join(runDir, serverName, 'runtime', 'kamld-connection.json');
  const connection = JSON.parse(readFileSync(file, 'utf8')) as {
    pid?: unknown;
  };
  if (typeof connection.pid !== 'number') {
    throw new Error(`${file} has no pid`);
  }
  return connection.pid;
}

/**
 * Collects the browser console's errors that mention kamld (a plugin that
 * failed to activate, settings that did not load), for a test to assert none.
 * Failed requests are left out: the binary-missing case answers 503 on purpose.
 */
export function kamldConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', message => {
    const text = message.text();
    if (
      message.type() === 'error' &&
      /kamld/i.test(text) &&
      !text.startsWith('Failed to load resource')
    ) {
      errors.push(text);
    }
  });
  page.on('pageerror', error => errors.push(error.message));
  return errors;
}

/** Shows one tab of a dataset view (Overview, Files, Schema & profile, History, Compare, Lineage). */
export async function showTab(view: Locator, tab: string): Promise<void> {
  await view.locator(`[role="tab"][data-kamld-tab="${tab}"]`).click();
  await expect(view.locator(`[data-kamld-panel="${tab}"]`)).toBeVisible();
}

/** Picks a theme from Settings › Theme and waits until it applies (a user setting: every test of the server sees it). */
export async function useTheme(page: Page, theme: string): Promise<void> {
  await page.locator('.lm-MenuBar-item', { hasText: 'Settings' }).click();
  await page
    .locator('.lm-Menu-item', { hasText: /^Theme/ })
    .first()
    .hover();
  await page
    .locator('.lm-Menu-item', { hasText: theme })
    .filter({ visible: true })
    .first()
    .click();
  const light = theme.includes('Light');
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    String(light)
  );
}
