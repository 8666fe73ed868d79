/**
 * A data scientist's day in the workbench, at 1440×900 with a 250-px
 * sidebar, in the light and the dark theme: the palette → search → open a
 * dataset → its tabs (overview, files, schema & profile, history) → compare
 * v1 with the draft row by row → a job reads it → the Jobs table → the job's
 * tab → its output snapshot → the lineage graph. axe-core checks the sidebar
 * and each main view (no serious or critical violation); every step leaves a
 * screenshot under artefacts/screenshots/dayw-<theme>-*.png.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, Locator, Page, test, TestInfo } from '@playwright/test';

import { E2E_TOKEN } from './constants';
import {
  expectConnection,
  kamldConsoleErrors,
  keepScreenshot,
  openDatasetsPanel,
  showTab,
  useTheme
} from './datasetsPanel';

const auth = { Authorization: `token ${E2E_TOKEN}` };
const V1 = 'id,city,temp\n1,Oslo,4.5\n2,Rome,17.25\n3,Lima,19\n';
const DRAFT = 'id,city,temp\n1,Oslo,5.5\n2,Rome,17.25\n4,Bern,11\n';

/** Serious and critical axe violations inside `selector`. */
async function axe(page: Page, selector: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(selector).analyze();
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
}

/** Drags the left sidebar's edge until the sidebar is `width` px wide. */
async function sidebarWidth(page: Page, width: number): Promise<void> {
  const stack = page.locator('#jp-left-stack');
  const box = (await stack.boundingBox())!;
  const handle = page
    .locator('#jp-main-split-panel > .lm-SplitPanel-handle')
    .first();
  const grip = (await handle.boundingBox())!;
  await page.mouse.move(grip.x + grip.width / 2, grip.y + 200);
  await page.mouse.down();
  await page.mouse.move(box.x + width + grip.width / 2, grip.y + 200, {
    steps: 5
  });
  await page.mouse.up();
  await expect
    .poll(async () => Math.round((await stack.boundingBox())!.width))
    .toBeGreaterThanOrEqual(width - 4);
  await expect
    .poll(async () => Math.round((await stack.boundingBox())!.width))
    .toBeLessThanOrEqual(width + 4);
}

async function api(page: Page, method: string, path: string, data?: unknown) {
  const response = await page.request.fetch(`/kamld/api/v1/${path}`, {
    method,
    headers: { ...auth, 'Content-Type': 'application/json' },
    data: data === undefined ? undefined : JSON.stringify(data)
  });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

/** A dataset with v1 and a changed draft, and a job that read v1 and wrote a model. */
async function prepare(page: Page, id: string): Promise<string> {
  await api(page, 'POST', `datasets?datasetId=${id}`, {
    description: 'Noon temperatures of four cities, in °C.',
    tags: ['weather', 'tabular'],
    labels: { team: 'climate' }
  });
  const put = (body: string) =>
    page.request.put(`/kamld/api/v1/datasets/${id}/content/cities.csv`, {
      headers: { ...auth, 'Content-Type': 'text/csv' },
      data: body
    });
  expect((await put(V1)).status()).toBe(200);
  await api(page, 'POST', `datasets/${id}/snapshots`, {
    message: 'first readings'
  });
  expect((await put(DRAFT)).status()).toBe(200);
  const job = await api(page, 'POST', 'jobs', {
    displayName: `forecast ${id}`,
    flavor: 'cpu',
    command: [
      'python',
      '-c',
      "import os; os.makedirs('out', exist_ok=True); open('out/model.txt','w').write(open('data/cities.csv').read()[:9]); print('trained')"
    ],
    inputs: [{ ref: `${id}@v1`, path: 'data' }],
    outputs: [{ path: 'out', dataset: `datasets/${id}-model` }],
    resources: { cpu: '100m' }
  });
  return (job.name as string).replace(/^jobs\//, '');
}

for (const theme of ['JupyterLab Light', 'JupyterLab Dark']) {
  const tag = theme.includes('Dark') ? 'dark' : 'light';

  test(`a day in the workbench (${tag})`, async ({ page }, testInfo) => {
    test.setTimeout(240_000);
    await page.setViewportSize({ width: 1440, height: 900 });
    const consoleErrors = kamldConsoleErrors(page);
    const id = `dayw-${tag}-${Date.now().toString(36)}`;
    const jobId = await prepare(page, id);
    const shot = (name: string) =>
      keepScreenshot(page, testInfo, `dayw-${tag}-${name}`, {
        waitForLauncher: false
      });

    const datasets = await openDatasetsPanel(page, testInfo);
    await useTheme(page, theme);
    try {
      await walk(page, testInfo, datasets.panel, id, jobId, shot);
      await expectConnection(datasets, 'connected');
    } finally {
      if (tag === 'dark') {
        await useTheme(page, 'JupyterLab Light');
      }
    }
    expect(consoleErrors).toEqual([]);
  });
}

async function walk(
  page: Page,
  testInfo: TestInfo,
  panel: Locator,
  id: string,
  jobId: string,
  shot: (name: string) => Promise<string>
): Promise<void> {
  await sidebarWidth(page, 250);
  await expect(panel.locator('.kamld-Connection')).toHaveAttribute(
    'data-kamld-severity',
    'ok'
  );
  // ---- the palette: Search Datasets puts the cursor in the search box -----
  await page.keyboard.press('ControlOrMeta+Shift+C');
  const palette = page.locator('.lm-CommandPalette').filter({ visible: true });
  await palette.locator('.lm-CommandPalette-input').fill('Search Datasets');
  await palette.locator('.lm-CommandPalette-item').first().click();
  const search = panel.locator('.kamld-Search-input');
  await expect(search).toBeFocused();
  await page.keyboard.type('tag:weather');
  await page.keyboard.press('Enter');
  const result = panel.locator(
    `.kamld-Search-result[data-kamld-dataset="${id}"]`
  );
  await expect(result).toBeVisible();
  await shot('1-search');
  expect(await axe(page, '#kamld-datasets')).toEqual([]);

  // ---- open it: the Overview tab ------------------------------------------
  await result.click();
  const view = page.locator(`.kamld-DatasetView[data-kamld-dataset="${id}"]`);
  await expect(view.locator('.kamld-Metadata-description')).toContainText(
    'Noon temperatures'
  );
  await expect(view.locator('.kamld-VersionsTable')).toContainText(
    'first readings'
  );
  await shot('2-overview');
  expect(
    await axe(page, `.kamld-DatasetView[data-kamld-dataset="${id}"]`)
  ).toEqual([]);

  // ---- Files, Schema & profile, History -----------------------------------
  await showTab(view, 'files');
  await expect(view.locator('[data-kamld-file="cities.csv"]')).toBeVisible();
  await view
    .locator('[data-kamld-file="cities.csv"] .kamld-Files-preview')
    .click();
  await expect(view.locator('tbody tr.kamld-PreviewTable-row')).toHaveCount(3);
  await shot('3-files');
  await showTab(view, 'schema');
  const temp = view.locator('[data-kamld-column="temp"]');
  await expect(temp.locator('.kamld-Histogram rect')).toHaveCount(20);
  await shot('4-schema');
  expect(
    await axe(page, `.kamld-DatasetView[data-kamld-dataset="${id}"]`)
  ).toEqual([]);
  await showTab(view, 'history');
  await expect(view.locator('[data-kamld-snapshot="v1"]')).toBeVisible();

  // ---- Compare v1 with the draft, row by row, keyed by id -----------------
  await showTab(view, 'compare');
  const compare = view.locator('.kamld-Diff');
  await compare.locator('select[name="from"]').selectOption('v1');
  await compare.locator('select[name="to"]').selectOption('draft');
  await compare.locator('.kamld-Diff-compare').click();
  await expect(
    compare.locator(
      'tr[data-kamld-change="modified"][data-kamld-path="cities.csv"]'
    )
  ).toBeVisible();
  await compare.locator('select[name="key"]').selectOption('id');
  const stats = compare.locator('.kamld-RowDiff-stats');
  await expect(stats).toContainText('1 added, 1 removed, 1 changed rows');
  await expect(
    compare.locator('[data-kamld-row-change="to"] .kamld-mod-changedCell')
  ).toHaveText('5.5');
  await shot('5-compare');
  expect(
    await axe(page, `.kamld-DatasetView[data-kamld-dataset="${id}"]`)
  ).toEqual([]);

  // ---- the job that read v1: Jobs table, then its tab ---------------------
  await panel.locator('.kamld-JobsList-all').click();
  const table = page.locator('.kamld-JobsTable').filter({ visible: true });
  const row = table.locator(`tr[data-kamld-job="${jobId}"]`);
  await expect(row.locator('.kamld-JobState')).toHaveAttribute(
    'data-kamld-state',
    'SUCCEEDED',
    { timeout: 90_000 }
  );
  await table.locator('[data-kamld-sort="duration"]').click();
  await shot('6-jobs-table');
  expect(await axe(page, '.kamld-JobsTable')).toEqual([]);
  await row.locator('.kamld-JobsGrid-open').click();
  const job = page.locator(`.kamld-JobView[data-kamld-job="${jobId}"]`);
  await expect(job.locator('.kamld-JobLog')).toContainText('trained');
  await expect(job.locator('.kamld-JobLineage')).toContainText(
    `${id}-model@v1`
  );
  await shot('7-job');
  expect(await axe(page, `.kamld-JobView[data-kamld-job="${jobId}"]`)).toEqual(
    []
  );

  // ---- its output snapshot, and the lineage graph -------------------------
  await job.locator('.kamld-JobLineage .kamld-SnapshotLink').click();
  const model = page.locator(
    `.kamld-DatasetView[data-kamld-dataset="${id}-model"]`
  );
  await expect(model.locator('.kamld-Files-ref select')).toHaveValue('v1');
  await showTab(model, 'lineage');
  const graph = model.locator('.kamld-LineageGraph');
  await expect(graph.locator(`[data-kamld-label="${id}@v1"]`)).toBeVisible();
  await expect(
    graph.locator(`[data-kamld-label="${id}-model@v1"]`)
  ).toBeVisible();
  await shot('8-lineage');
  expect(
    await axe(page, `.kamld-DatasetView[data-kamld-dataset="${id}-model"]`)
  ).toEqual([]);
  // The input snapshot opens its dataset at v1.
  await graph.locator(`[data-kamld-label="${id}@v1"]`).click();
  await expect(view.locator('.kamld-Files-ref select')).toHaveValue('v1');
  await expect(view.locator('[data-kamld-file="cities.csv"]')).toContainText(
    `${V1.length} B`
  );
  testInfo.annotations.push({ type: 'walked', description: id });
}
