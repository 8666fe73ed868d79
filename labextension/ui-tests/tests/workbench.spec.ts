/**
 * A data scientist's day in the workbench, at 1440×900, with a 400-px
 * sidebar (wide) and with a 250-px sidebar (narrow), in the light
 * and the dark theme: the palette → search → open a dataset → its tabs
 * (overview, files at v1 and v2, schema & profile, history) → upload a
 * changed CSV into the draft → snapshot with Enter → compare v1 with the
 * draft row by row → drag the dataset into a notebook and run the cell →
 * run a script as a job from the dialog → follow it in the Jobs table → its
 * tab and lineage graph → its output snapshot. axe-core checks each main
 * view (no serious or critical violation); every step leaves a screenshot
 * under artefacts/screenshots/dayw-<theme>-<width>-*.png.
 */
import { expect, Locator, Page, test, TestInfo } from '@playwright/test';

import { seriousAxeViolations } from './axe';
import { E2E_TOKEN } from './constants';
import {
  expectConnection,
  kamldConsoleErrors,
  keepScreenshot,
  openDatasetsPanel,
  PANEL_ID,
  showTab,
  useTheme
} from './datasetsPanel';

const auth = { Authorization: `token ${E2E_TOKEN}` };
const V1 = 'id,city,temp\n1,Oslo,4.5\n2,Rome,17.25\n3,Lima,19\n';
const V2 = 'id,city,temp\n1,Oslo,4.5\n2,Rome,17.25\n3,Lima,19\n5,Kyiv,-2\n';
const DRAFT = 'id,city,temp\n1,Oslo,5.5\n2,Rome,17.25\n4,Bern,11\n';
/** The job's script: reads the input folder, writes a one-line model. */
const TRAIN = `rows = open("data/cities.csv").read().splitlines()
print("trained on", len(rows) - 1, "rows", flush=True)
import os
os.makedirs("out", exist_ok=True)
open("out/model.txt", "w").write(rows[1])
`;

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

/** A dataset with snapshots v1 and v2 (rows differ), and the script the job will run. */
async function prepare(page: Page, id: string, script: string): Promise<void> {
  await api(page, 'POST', `datasets?datasetId=${id}`, {
    description: 'Noon temperatures of four cities, in °C.',
    tags: ['weather', 'tabular'],
    labels: { team: 'climate' }
  });
  for (const [csv, message] of [
    [V1, 'first readings'],
    [V2, 'Kyiv joins']
  ]) {
    const put = await page.request.put(
      `/kamld/api/v1/datasets/${id}/content/cities.csv`,
      { headers: { ...auth, 'Content-Type': 'text/csv' }, data: csv }
    );
    expect(put.status()).toBe(200);
    await api(page, 'POST', `datasets/${id}/snapshots`, { message });
  }
  const written = await page.request.put(`/api/contents/${script}`, {
    headers: auth,
    data: { type: 'file', format: 'text', content: TRAIN }
  });
  expect(written.status()).toBe(201);
}

/** Runs a palette command by its label. */
async function palette(page: Page, label: string): Promise<void> {
  await page.keyboard.press('ControlOrMeta+Shift+C');
  const box = page.locator('.lm-CommandPalette').filter({ visible: true });
  await box.locator('.lm-CommandPalette-input').fill(label);
  await box
    .locator('.lm-CommandPalette-item', { hasText: label })
    .first()
    .click();
}

/** Shows a left-sidebar panel by its tab's data-id. */
async function sidebar(page: Page, id: string): Promise<void> {
  const tab = page.locator(
    `.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${id}"]`
  );
  if ((await tab.getAttribute('aria-selected')) !== 'true') {
    await tab.click();
  }
}

/** Drags `source` onto the point (x, y) with the mouse, in small steps as a hand does. */
async function dragTo(
  page: Page,
  source: Locator,
  x: number,
  y: number
): Promise<void> {
  const from = (await source.boundingBox())!;
  await page.mouse.move(from.x + 24, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + 40, from.y + from.height / 2, { steps: 4 });
  await page.mouse.move(x, y, { steps: 12 });
  await page.mouse.up();
}

type Shot = (name: string) => Promise<string>;

/** The left sidebar's width in each variant: roomy, and the narrowest the panel is made for. */
const SIDEBAR = { wide: 400, narrow: 250 };

for (const theme of ['JupyterLab Light', 'JupyterLab Dark']) {
  for (const width of ['wide', 'narrow'] as const) {
    const tag = theme.includes('Dark') ? 'dark' : 'light';

    test(`a day in the workbench (${tag}, ${width})`, async ({
      page
    }, testInfo) => {
      test.setTimeout(360_000);
      await page.setViewportSize({ width: 1440, height: 900 });
      const consoleErrors = kamldConsoleErrors(page);
      const stamp = Date.now().toString(36);
      const id = `dayw-${tag}-${width}-${stamp}`;
      const script = `forecast-${tag}-${width}-${stamp}.py`;
      await prepare(page, id, script);
      const shot = (name: string) =>
        keepScreenshot(page, testInfo, `dayw-${tag}-${width}-${name}`, {
          waitForLauncher: false
        });

      const datasets = await openDatasetsPanel(page, testInfo);
      await useTheme(page, theme);
      try {
        await sidebarWidth(page, SIDEBAR[width]);
        await walk(page, testInfo, datasets.panel, id, script, shot);
        await expectConnection(datasets, 'connected');
      } finally {
        if (tag === 'dark') {
          await useTheme(page, 'JupyterLab Light');
        }
      }
      expect(consoleErrors).toEqual([]);
    });
  }
}

async function walk(
  page: Page,
  testInfo: TestInfo,
  panel: Locator,
  id: string,
  script: string,
  shot: Shot
): Promise<void> {
  const view = await searchAndOpen(page, panel, id, shot);
  await filesAndProfile(page, view, id, shot);
  await uploadSnapshotCompare(page, view, id, shot);
  await notebook(page, panel, id, shot);
  const jobId = await submitJob(page, panel, id, script, shot);
  await followJob(page, view, id, jobId, script, shot);
  testInfo.annotations.push({ type: 'walked', description: id });
}

/** The palette's Search Datasets, a tag query, then the dataset's Overview. */
async function searchAndOpen(
  page: Page,
  panel: Locator,
  id: string,
  shot: Shot
): Promise<Locator> {
  await expect(panel.locator('.kamld-Connection')).toHaveAttribute(
    'data-kamld-severity',
    'ok'
  );
  await palette(page, 'Search Datasets');
  const search = panel.locator('.kamld-Search-input');
  await expect(search).toBeFocused();
  await page.keyboard.type('tag:weather');
  await page.keyboard.press('Enter');
  const result = panel.locator(
    `.kamld-Search-result[data-kamld-dataset="${id}"]`
  );
  await expect(result).toBeVisible();
  await shot('1-search');
  expect(await seriousAxeViolations(page, `#${PANEL_ID}`)).toEqual([]);

  await result.click();
  const view = page.locator(`.kamld-DatasetView[data-kamld-dataset="${id}"]`);
  await expect(view.locator('.kamld-Metadata-description')).toContainText(
    'Noon temperatures'
  );
  await expect(view.locator('.kamld-VersionsTable')).toContainText(
    'Kyiv joins'
  );
  await shot('2-overview');
  expect(await seriousAxeViolations(page, viewSelector(id))).toEqual([]);
  return view;
}

function viewSelector(id: string): string {
  return `.kamld-DatasetView[data-kamld-dataset="${id}"]`;
}

/** Files previewed at v1 and at v2 (the rows differ, the ref is named), the profile, the history. */
async function filesAndProfile(
  page: Page,
  view: Locator,
  id: string,
  shot: Shot
): Promise<void> {
  await showTab(view, 'files');
  await expect(view.locator('[data-kamld-file="cities.csv"]')).toBeVisible();
  await view
    .locator('[data-kamld-file="cities.csv"] .kamld-Files-preview')
    .click();
  const preview = view.locator('[data-kamld-preview="cities.csv"]');
  const rows = preview.locator('tbody tr.kamld-PreviewTable-row');
  const refPicker = view.locator('.kamld-Files-ref select');
  await refPicker.selectOption('v1');
  await expect(preview).toHaveAttribute('data-kamld-preview-ref', 'v1');
  await expect(preview.locator('.kamld-RefBadge')).toHaveText('v1');
  await expect(rows).toHaveCount(3);
  await expect(preview).not.toContainText('Kyiv');
  await refPicker.selectOption('v2');
  await expect(preview).toHaveAttribute('data-kamld-preview-ref', 'v2');
  await expect(preview.locator('.kamld-RefBadge')).toHaveText('v2');
  await expect(rows).toHaveCount(4);
  await expect(rows.nth(3)).toContainText('Kyiv');
  await shot('3-files-v2');

  await showTab(view, 'schema');
  await expect(view.locator('.kamld-Schema')).toHaveAttribute(
    'data-kamld-schema-ref',
    'v2'
  );
  const temp = view.locator('[data-kamld-column="temp"]');
  await expect(temp.locator('.kamld-Histogram rect')).toHaveCount(20);
  await shot('4-schema');
  expect(await seriousAxeViolations(page, viewSelector(id))).toEqual([]);
  await showTab(view, 'history');
  await expect(view.locator('[data-kamld-snapshot="v2"]')).toBeVisible();
}

/** A changed CSV uploaded into the draft, snapshot v3 with Enter, then v1 ↔ draft row by row. */
async function uploadSnapshotCompare(
  page: Page,
  view: Locator,
  id: string,
  shot: Shot
): Promise<void> {
  await showTab(view, 'files');
  await view.locator('.kamld-Files-ref select').selectOption('draft');
  await view
    .locator('.kamld-Files-input')
    .setInputFiles([
      { name: 'cities.csv', mimeType: 'text/csv', buffer: Buffer.from(DRAFT) }
    ]);
  // The draft has a cities.csv: the view asks before it replaces it.
  const replace = page.locator('.jp-Dialog');
  await expect(replace).toContainText('Replace 1 file?');
  await replace.getByRole('button', { name: 'Replace' }).click();
  await expect(view.locator('[data-kamld-file="cities.csv"]')).toContainText(
    `${DRAFT.length} B`
  );
  await page
    .locator('.jp-MainAreaWidget .kamld-SnapshotButton')
    .filter({ visible: true })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('textarea[name="message"]').fill('Bern replaces Lima');
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await showTab(view, 'history');
  await expect(view.locator('[data-kamld-snapshot="v3"]')).toContainText(
    'Bern replaces Lima'
  );

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
  await expect(compare.locator('.kamld-RowDiff-stats')).toContainText(
    '1 added, 1 removed, 1 changed rows'
  );
  await expect(
    compare.locator('[data-kamld-row-change="to"] .kamld-mod-changedCell')
  ).toHaveText('5.5');
  await shot('5-compare');
  expect(await seriousAxeViolations(page, viewSelector(id))).toEqual([]);
}

/** A new notebook; the dataset dragged from the sidebar into it; the cell run in a real kernel. */
async function notebook(
  page: Page,
  panel: Locator,
  id: string,
  shot: Shot
): Promise<void> {
  // File › New makes the notebook in the last file browser used: the local one.
  await sidebar(page, 'filebrowser');
  await page.locator('#filebrowser .jp-DirListing-content').click();
  await page.locator('.lm-MenuBar-item', { hasText: 'File' }).click();
  await page.locator('.lm-Menu-item', { hasText: /^New$/ }).hover();
  await page
    .locator('.lm-Menu-item', { hasText: /^Notebook$/ })
    .filter({ visible: true })
    .click();
  await page
    .locator('.jp-Dialog-content', { hasText: 'Select Kernel' })
    .locator('.jp-Dialog-button.jp-mod-accept')
    .click();
  const nb = page.locator('.jp-NotebookPanel').filter({ visible: true });
  await expect(nb.locator('.jp-Cell')).toHaveCount(1);

  await sidebar(page, PANEL_ID);
  const row = panel.locator(`[data-kamld-dataset="${id}"]`).first();
  await expect(row).toBeVisible();
  const area = (await nb.locator('.jp-Notebook').boundingBox())!;
  await dragTo(page, row, area.x + area.width / 2, area.y + area.height - 40);
  const cells = nb.locator('.jp-Cell');
  await expect(cells).toHaveCount(2);
  await expect(cells.nth(1)).toContainText(`kamld.load("${id}")`);
  await cells.nth(1).locator('.cm-content').click();
  await page.keyboard.press('Shift+Enter');
  const output = cells.nth(1).locator('.jp-OutputArea-output');
  // The latest snapshot (v3): Bern is in, Lima is out.
  await expect(output).toContainText('Bern', { timeout: 90_000 });
  await expect(output).not.toContainText('Lima');
  await expect(output.locator('tbody tr')).toHaveCount(3);
  await shot('6-notebook');
}

/** Right-click the script → Run as job… → inputs at v1, an output → Run. */
async function submitJob(
  page: Page,
  panel: Locator,
  id: string,
  script: string,
  shot: Shot
): Promise<string> {
  await sidebar(page, 'filebrowser');
  const item = page.locator('.jp-DirListing-item').filter({ hasText: script });
  await expect(item).toBeVisible();
  await item.click({ button: 'right' });
  await page
    .locator('.lm-Menu-itemLabel', { hasText: /^Run as job…$/ })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.kamld-RunForm')).toContainText(script);
  await dialog.locator('select[name="flavor"]').selectOption('cpu');
  // The input picked: the dataset, its v1, the folder (/data by default), Add.
  await dialog.locator('select[name="pick-dataset"]').selectOption(id);
  await dialog.locator('select[name="pick-ref"]').selectOption('v1');
  await dialog.getByRole('button', { name: 'Add input' }).click();
  await expect(dialog.locator('textarea[name="inputs"]')).toHaveValue(
    `${id}@v1:/data`
  );
  await dialog.locator('textarea[name="outputs"]').fill(`${id}-model:/out`);
  await dialog.locator('input[name="cpu"]').fill('100m');
  await shot('7-submit');
  expect(await seriousAxeViolations(page, '.jp-Dialog')).toEqual([]);
  await dialog.locator('.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);
  // Submitting shows the kamld sidebar and the job's tab.
  await expect(panel).toBeVisible();
  const job = page.locator('.kamld-JobView').filter({ visible: true });
  await expect(job.locator('.kamld-JobView-title')).toContainText(script);
  const jobId = await job.getAttribute('data-kamld-job');
  expect(jobId).toBeTruthy();
  return jobId!;
}

/** The Jobs table until the job succeeds; its tab and lineage graph; its output snapshot. */
async function followJob(
  page: Page,
  view: Locator,
  id: string,
  jobId: string,
  script: string,
  shot: Shot
): Promise<void> {
  await palette(page, 'Open Jobs Table');
  const table = page.locator('.kamld-JobsTable').filter({ visible: true });
  await table.getByRole('searchbox', { name: 'Filter jobs' }).fill(script);
  const row = table.locator(`tr[data-kamld-job="${jobId}"]`);
  await expect(row.locator('.kamld-JobState')).toHaveAttribute(
    'data-kamld-state',
    'SUCCEEDED',
    { timeout: 90_000 }
  );
  await table.locator('[data-kamld-sort="duration"]').click();
  await shot('8-jobs-table');
  expect(await seriousAxeViolations(page, '.kamld-JobsTable')).toEqual([]);

  await row.locator('.kamld-JobsGrid-open').click();
  const job = page.locator(`.kamld-JobView[data-kamld-job="${jobId}"]`);
  await expect(job).toBeVisible();
  await expect(job.locator('.kamld-JobLog')).toContainText('trained on 3 rows');
  const graph = job.locator('.kamld-LineageGraph');
  const output = graph.locator(`[data-kamld-label="${id}-model@v1"]`);
  await expect(graph.locator(`[data-kamld-label="${id}@v1"]`)).toBeVisible();
  await expect(output).toBeVisible();
  await shot('9-job-lineage');
  expect(
    await seriousAxeViolations(
      page,
      `.kamld-JobView[data-kamld-job="${jobId}"]`
    )
  ).toEqual([]);

  // The output node opens the output dataset at that snapshot, named beside its files.
  await output.click();
  const model = page.locator(viewSelector(`${id}-model`));
  await expect(model).toBeVisible();
  await expect(model.locator('.kamld-Files-ref select')).toHaveValue('v1');
  await expect(model.locator('[data-kamld-file="model.txt"]')).toBeVisible();
  await expect(
    page.locator('.lm-TabBar-tab.lm-mod-current', {
      hasText: `${id}-model@v1`
    })
  ).toBeVisible();
  await showTab(model, 'lineage');
  await expect(
    model.locator(`.kamld-LineageGraph [data-kamld-label="${id}@v1"]`)
  ).toBeVisible();
  await shot('10-output-lineage');
  expect(await seriousAxeViolations(page, viewSelector(`${id}-model`))).toEqual(
    []
  );
  // The input snapshot opens its dataset at v1.
  await model
    .locator(`.kamld-LineageGraph [data-kamld-label="${id}@v1"]`)
    .click();
  await expect(view.locator('.kamld-Files-ref select')).toHaveValue('v1');
  await expect(view.locator('[data-kamld-file="cities.csv"]')).toContainText(
    `${V1.length} B`
  );
}
