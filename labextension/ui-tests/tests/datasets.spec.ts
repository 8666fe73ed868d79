/**
 * The dataset workflow end to end, against the connected JupyterLab and its
 * managed sidecar: create a dataset from the panel, upload by drag and drop
 * and by the file picker, snapshot twice, diff, restore, download, edit the
 * metadata (and lose a race), insert a loading cell into a notebook.
 */
import { expect, Locator, Page, test } from '@playwright/test';
import { readFileSync } from 'node:fs';

import { E2E_TOKEN } from './constants';
import {
  datasetRow,
  findDataset,
  kamldConsoleErrors,
  keepScreenshot,
  openDataset,
  openDatasetsPanel,
  expectConnection,
  showTab
} from './datasetsPanel';

test.describe.configure({ mode: 'serial' });

const V1_CSV = 'sepal_length,species\n5.1,setosa\n4.9,setosa\n';
const V2_CSV = 'sepal_length,species\n5.1,setosa\n4.9,setosa\n6.3,virginica\n';
const NOTES = 'measured in cm\n';
/** Screenshots taken with a dataset view open: no Launcher to wait for. */
const NO_LAUNCHER = { waitForLauncher: false };

/** Drops files on `target` the way a browser does after a drag from the desktop. */
async function dropFiles(
  page: Page,
  target: Locator,
  files: Array<{ name: string; type: string; text: string }>
): Promise<void> {
  const dataTransfer = await page.evaluateHandle(list => {
    const transfer = new DataTransfer();
    for (const file of list) {
      transfer.items.add(new File([file.text], file.name, { type: file.type }));
    }
    return transfer;
  }, files);
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

async function takeSnapshot(
  page: Page,
  view: Locator,
  message: string
): Promise<void> {
  await page
    .locator('.jp-MainAreaWidget .kamld-SnapshotButton')
    .filter({ visible: true })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('textarea[name="message"]').fill(message);
  await dialog.locator('.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);
  await showTab(view, 'history');
  await expect(view.locator('.kamld-HistoryTable')).toContainText(message);
}

test('a dataset from creation to snapshots, diff, restore, download and notebook', async ({
  page
}, testInfo) => {
  test.setTimeout(240_000);
  const consoleErrors = kamldConsoleErrors(page);
  const id = `iris-${Date.now().toString(36)}`;
  const datasets = await openDatasetsPanel(page, testInfo);
  await expectConnection(datasets, 'connected');

  // ---- create from the panel --------------------------------------------
  const section = datasets.list;
  await section.locator('.kamld-DatasetList-new').click();
  let dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="id"]').fill(id);
  await dialog.locator('textarea[name="description"]').fill('Fisher’s irises');
  await dialog.locator('input[name="tags"]').fill('tabular, flowers');
  await dialog.locator('.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);

  const view = page.locator(`.kamld-DatasetView[data-kamld-dataset="${id}"]`);
  await expect(view.locator('.kamld-DatasetView-title')).toHaveText(id);
  await expect(view.locator('.kamld-Metadata')).toContainText(
    'Fisher’s irises'
  );
  await expect(view.locator('.kamld-Tags')).toContainText('flowers');
  await expect(datasetRow(datasets, id)).toBeVisible();

  // The same id again: the sidecar refuses, and the dialog says so at the id.
  await section.locator('.kamld-DatasetList-new').click();
  dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="id"]').fill(id);
  await dialog.locator('.jp-mod-accept').click();
  const idError = page.locator(
    '.jp-Dialog [data-kamld-field="id"] .kamld-Form-error'
  );
  await expect(idError).toBeVisible();
  await expect(page.locator('.jp-Dialog input[name="id"]')).toHaveValue(id);
  await keepScreenshot(
    page,
    testInfo,
    'datasets-new-dataset-error',
    NO_LAUNCHER
  );
  await page.locator('.jp-Dialog .jp-mod-reject').click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);

  // ---- upload by drag and drop, snapshot v1 -----------------------------
  await showTab(view, 'files');
  const files = view.locator('.kamld-Files');
  await dropFiles(page, files, [
    { name: 'iris.csv', type: 'text/csv', text: V1_CSV }
  ]);
  await expect(
    view.locator('.kamld-Uploads [data-kamld-upload="iris.csv"]')
  ).toHaveAttribute('data-kamld-done', 'true');
  await expect(view.locator('[data-kamld-file="iris.csv"]')).toContainText(
    `${V1_CSV.length} B`
  );
  await takeSnapshot(page, view, 'first import');
  await expect(view.locator('[data-kamld-snapshot="v1"]')).toContainText(
    'first import'
  );

  // ---- change a file and add one with the file picker, snapshot v2 -----
  await showTab(view, 'files');
  await view.locator('.kamld-Files-input').setInputFiles([
    { name: 'iris.csv', mimeType: 'text/csv', buffer: Buffer.from(V2_CSV) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(NOTES) }
  ]);
  // iris.csv is in the draft already: replacing it is asked first (notes.txt is new).
  const replace = page.locator('.jp-Dialog');
  await expect(replace).toContainText('Replace 1 file?');
  await expect(replace).toContainText('iris.csv');
  await replace.getByRole('button', { name: 'Replace' }).click();
  await expect(view.locator('[data-kamld-file="notes.txt"]')).toBeVisible();
  await expect(view.locator('[data-kamld-file="iris.csv"]')).toContainText(
    `${V2_CSV.length} B`
  );
  await takeSnapshot(page, view, 'more rows');
  await expect(view.locator('[data-kamld-snapshot="v2"]')).toContainText(
    'more rows'
  );
  await showTab(view, 'overview');
  await expect(view.locator('[data-kamld-fact="head"]')).toContainText('v2');

  // ---- folders: a file written under raw/ by another client --------------
  const auth = { Authorization: `token ${E2E_TOKEN}` };
  const api = `/kamld/api/v1/datasets/${id}`;
  const put = await page.request.put(`${api}/content/raw/measurements.csv`, {
    headers: { ...auth, 'Content-Type': 'text/csv' },
    data: V1_CSV
  });
  expect(put.status()).toBe(200);
  await page
    .locator('.jp-MainAreaWidget .kamld-RefreshButton')
    .filter({ visible: true })
    .click();
  await showTab(view, 'files');
  await view.locator('[data-kamld-folder="raw/"] a').click();
  await expect(
    view.locator('[data-kamld-file="raw/measurements.csv"]')
  ).toBeVisible();
  await expect(view.locator('[data-kamld-file="notes.txt"]')).toHaveCount(0);
  await view.locator('.kamld-Breadcrumbs a').first().click();
  await expect(view.locator('[data-kamld-file="notes.txt"]')).toBeVisible();

  // ---- diff v1 → v2 ------------------------------------------------------
  await showTab(view, 'compare');
  const diff = view.locator('.kamld-Diff');
  await diff.locator('select[name="from"]').selectOption('v1');
  await diff.locator('select[name="to"]').selectOption('v2');
  await diff.locator('.kamld-Diff-compare').click();
  await expect(
    diff.locator('tr[data-kamld-change="added"][data-kamld-path="notes.txt"]')
  ).toContainText(`${NOTES.length} B`);
  const modified = diff.locator(
    'tr[data-kamld-change="modified"][data-kamld-path="iris.csv"]'
  );
  await expect(modified).toContainText(`${V1_CSV.length} B`);
  await expect(modified).toContainText(`${V2_CSV.length} B`);
  await expect(diff.locator('.kamld-Diff-stats')).toContainText(
    '1 added, 1 modified, 0 removed'
  );
  await diff.scrollIntoViewIfNeeded();
  await keepScreenshot(page, testInfo, 'datasets-diff-v1-v2', NO_LAUNCHER);

  // ---- tag v1 and browse the files at the tag ----------------------------
  await showTab(view, 'history');
  await view.locator('[data-kamld-snapshot="v1"] .kamld-History-tag').click();
  dialog = page.locator('.jp-Dialog');
  await dialog.locator('input[name="tag"]').fill('golden');
  await dialog.locator('.jp-mod-accept').click();
  await expect(
    view.locator('[data-kamld-snapshot="v1"] [data-kamld-tag="golden"]')
  ).toBeVisible();
  await showTab(view, 'files');
  await view.locator('.kamld-Files-ref select').selectOption('golden');
  await expect(view.locator('[data-kamld-file="iris.csv"]')).toContainText(
    `${V1_CSV.length} B`
  );
  await expect(view.locator('[data-kamld-file="notes.txt"]')).toHaveCount(0);

  // ---- restore v1 into the draft -----------------------------------------
  await showTab(view, 'history');
  await view
    .locator('[data-kamld-snapshot="v1"] .kamld-History-restore')
    .click();
  dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('v1');
  await dialog.locator('.jp-mod-accept').click();
  await expect(view.locator('.kamld-Notice')).toContainText('Restored v1');
  await showTab(view, 'files');
  await expect(view.locator('[data-kamld-file="notes.txt"]')).toHaveCount(0);
  await expect(view.locator('[data-kamld-file="iris.csv"]')).toContainText(
    `${V1_CSV.length} B`
  );
  await view.locator('.kamld-Files').scrollIntoViewIfNeeded();
  await keepScreenshot(page, testInfo, 'datasets-restored-v1', NO_LAUNCHER);

  // ---- download at a chosen ref ----------------------------------------
  await view.locator('.kamld-Files-ref select').selectOption('v2');
  const link = view.locator(
    '[data-kamld-file="iris.csv"] .kamld-Files-download'
  );
  await expect(link).toHaveAttribute(
    'href',
    /\/kamld\/api\/v1\/datasets\/.*\/content\/iris\.csv\?ref=v2$/
  );
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    link.click()
  ]);
  expect(download.suggestedFilename()).toBe('iris.csv');
  expect(readFileSync(await download.path(), 'utf8')).toBe(V2_CSV);
  // The same route answered directly: the raw bytes, not JSON.
  const href = await link.getAttribute('href');
  const response = await page.request.get(href!);
  expect(response.status()).toBe(200);
  expect(await response.text()).toBe(V2_CSV);

  // ---- inline metadata edit, then a conflicting edit -----------------------
  await showTab(view, 'overview');
  await view.locator('.kamld-Metadata-editButton').click();
  await view
    .locator('.kamld-Metadata-edit textarea[name="description"]')
    .fill('Iris flower measurements');
  await view
    .locator('.kamld-Metadata-edit input[name="tags"]')
    .fill('tabular classic');
  await view
    .locator('.kamld-Metadata-edit textarea[name="labels"]')
    .fill('team=botany\nsource=UCI, 1936');
  await view.locator('.kamld-Metadata-edit').getByText('Save').click();
  await expect(view.locator('.kamld-Metadata-description')).toHaveText(
    'Iris flower measurements'
  );
  await expect(view.locator('.kamld-Tags')).toContainText('classic');
  await expect(view.locator('.kamld-Metadata-facts')).toContainText(
    'team=botany'
  );
  await expect(view.locator('.kamld-Metadata-facts')).toContainText(
    'source=UCI, 1936'
  );
  // The labels are the sidecar's now, not just the view's.
  const saved = await (await page.request.get(api, { headers: auth })).json();
  expect(saved.labels).toEqual({ team: 'botany', source: 'UCI, 1936' });

  // Someone else changes the dataset while the editor is open...
  await view.locator('.kamld-Metadata-editButton').click();
  const current = await (await page.request.get(api, { headers: auth })).json();
  const patched = await page.request.patch(`${api}?updateMask=description`, {
    headers: auth,
    data: { description: 'changed elsewhere', etag: current.etag }
  });
  expect(patched.status()).toBe(200);
  // ...so saving from the view reports a conflict instead of overwriting.
  await view
    .locator('.kamld-Metadata-edit textarea[name="description"]')
    .fill('mine');
  await view.locator('.kamld-Metadata-edit').getByText('Save').click();
  await expect(
    view.locator('.kamld-Notice[data-kamld-notice="conflict"]')
  ).toContainText('Someone else changed');
  await view
    .locator('.kamld-Notice')
    .getByRole('button', { name: 'Reload', exact: true })
    .click();
  await expect(view.locator('.kamld-Metadata-description')).toHaveText(
    'changed elsewhere'
  );

  // ---- insert into a notebook -------------------------------------------
  await view.locator('.kamld-Files-ref select').selectOption('v1');
  await page
    .locator('.jp-MainAreaWidget .kamld-InsertButton')
    .filter({ visible: true })
    .click();
  const notebook = page.locator('.jp-NotebookPanel').filter({ visible: true });
  await expect(notebook.locator('.jp-Cell')).toContainText([
    `df = kamld.load("${id}@v1")`
  ]);
  await expect(notebook.locator('.jp-Cell.jp-mod-active')).toContainText(
    `kamld.load("${id}@v1")`
  );
  await keepScreenshot(
    page,
    testInfo,
    'datasets-inserted-into-notebook',
    NO_LAUNCHER
  );

  expect(consoleErrors).toEqual([]);
});

test('the dataset list shows many datasets windowed, searches, loads more and follows the keyboard', async ({
  page
}, testInfo) => {
  test.setTimeout(180_000);
  // 230 datasets: more than two pages of 100.
  const auth = { Authorization: `token ${E2E_TOKEN}` };
  const prefix = `bulk-${Date.now().toString(36)}`;
  const ids = Array.from(
    { length: 230 },
    (_, i) => `${prefix}-${String(i).padStart(3, '0')}`
  );
  for (let i = 0; i < ids.length; i += 20) {
    const batch = ids.slice(i, i + 20).map(id =>
      page.request.post(`/kamld/api/v1/datasets?datasetId=${id}`, {
        headers: auth,
        data: { description: `bulk ${id}`, tags: [], labels: {} }
      })
    );
    for (const response of await Promise.all(batch)) {
      expect(response.status()).toBe(200);
    }
  }

  const datasets = await openDatasetsPanel(page, testInfo);
  const rows = datasets.rows;
  await expect(rows.first()).toBeVisible();
  // Windowed: far fewer rows in the DOM than datasets loaded.
  expect(await rows.count()).toBeLessThan(60);

  // Scrolling to the end loads the following pages.
  const scroller = datasets.list.locator('.kamld-DatasetList-scroller');
  const height = await scroller.evaluate(node => node.scrollHeight);
  await expect
    .poll(
      async () => {
        await scroller.evaluate(node => {
          node.scrollTop = node.scrollHeight;
        });
        return scroller.evaluate(node => node.scrollHeight);
      },
      { timeout: 30_000 }
    )
    .toBeGreaterThan(height);
  expect(await rows.count()).toBeLessThan(60);

  // A query turns the same list into search results.
  await findDataset(datasets, `${prefix}-229`);
  await datasets.search.fill(`"${prefix}"`);
  await datasets.search.press('Enter');
  const results = datasets.list.locator('.kamld-Search-result');
  await expect(results.first()).toBeVisible();
  expect(await results.count()).toBeLessThan(60);
  await keepScreenshot(page, testInfo, 'datasets-list-filtered');

  // The keyboard: ↓ from the search box into the list, ↓/↑/Home/End move the
  // active row, / goes back to the search box, Enter opens the active row.
  const listbox = datasets.list.getByRole('listbox');
  await datasets.search.press('ArrowDown');
  await expect(listbox).toBeFocused();
  const optionId = (id: string | null) => `kamld-DatasetList-option-${id}`;
  const first = await results.nth(0).getAttribute('data-kamld-dataset');
  const second = await results.nth(1).getAttribute('data-kamld-dataset');
  await expect(listbox).toHaveAttribute(
    'aria-activedescendant',
    optionId(first)
  );
  await page.keyboard.press('ArrowDown');
  await expect(listbox).toHaveAttribute(
    'aria-activedescendant',
    optionId(second)
  );
  await expect(results.nth(1)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('End');
  const last = await listbox.getAttribute('aria-activedescendant');
  expect(last).not.toBe(optionId(second));
  await expect(page.locator(`#${last}`)).toBeInViewport();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('/');
  await expect(datasets.search).toBeFocused();
  await datasets.search.press('ArrowDown');
  await expect(listbox).toHaveAttribute(
    'aria-activedescendant',
    optionId(second)
  );
  await page.keyboard.press('Enter');
  await expect(
    page.locator(`.kamld-DatasetView[data-kamld-dataset="${second}"]`)
  ).toBeVisible();

  // The same panel and a dataset view in the dark theme (only --jp-* colours).
  await expect(
    await openDataset(page, datasets, `${prefix}-007`)
  ).toContainText(`bulk ${prefix}-007`);
  await setTheme(page, 'JupyterLab Dark');
  try {
    await keepScreenshot(page, testInfo, 'datasets-dark-theme', NO_LAUNCHER);
  } finally {
    // The theme is a user setting shared by every test of this server.
    await setTheme(page, 'JupyterLab Light');
  }
});

/** Picks a theme from Settings › Theme and waits until it applies. */
async function setTheme(page: Page, theme: string): Promise<void> {
  await page.locator('.lm-MenuBar-item', { hasText: 'Settings' }).click();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: /^Theme$/ })
    .first()
    .hover();
  await page
    .locator('.lm-Menu-itemLabel', { hasText: new RegExp(`^${theme}$`) })
    .click();
  const light = theme.includes('Light');
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    String(light)
  );
  // Switching themes shows the splash screen until the new theme is loaded.
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 30_000
  });
}

test('a workspace file is added to a dataset from the file browser', async ({
  page
}, testInfo) => {
  const consoleErrors = kamldConsoleErrors(page);
  const auth = { Authorization: `token ${E2E_TOKEN}` };
  const id = `addto-${Date.now().toString(36)}`;
  const fileName = `${id}-measurements.csv`;
  const created = await page.request.post(
    `/kamld/api/v1/datasets?datasetId=${id}`,
    { headers: auth, data: { description: '', tags: [], labels: {} } }
  );
  expect(created.status()).toBe(200);
  const written = await page.request.put(`/api/contents/${fileName}`, {
    headers: auth,
    data: { type: 'file', format: 'text', content: V2_CSV }
  });
  expect(written.status()).toBe(201);

  await openDatasetsPanel(page, testInfo);
  await page
    .locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="filebrowser"]')
    .click();
  const item = page
    .locator('.jp-DirListing-item')
    .filter({ hasText: fileName });
  await expect(item).toBeVisible();
  await item.click({ button: 'right' });
  await page
    .locator('.lm-Menu-itemLabel', { hasText: /^Add to dataset…$/ })
    .click();

  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.kamld-AddToDatasetForm')).toBeVisible();
  await dialog.locator('select[name="dataset"]').selectOption(id);
  await dialog.locator('input[name="prefix"]').fill('incoming');
  await keepScreenshot(page, testInfo, 'add-to-dataset-dialog', NO_LAUNCHER);
  await dialog.locator('.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);

  await expect
    .poll(async () => {
      const listing = await page.request.get(
        `/kamld/api/v1/datasets/${id}/files?ref=draft&recursive=true`,
        { headers: auth }
      );
      const body = (await listing.json()) as {
        files?: Array<{ path: string; size: string | number }>;
      };
      return (body.files ?? []).map(f => [f.path, Number(f.size)]);
    })
    .toEqual([[`incoming/${fileName}`, V2_CSV.length]]);
  // Filtered: a job of a test running beside this one ends with a success toast of its own in every page.
  await expect(
    page
      .locator('.jp-Notification-Toast-success, .Toastify__toast--success')
      .filter({ hasText: id })
  ).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

test('the sample iris dataset shows its schema and column statistics', async ({
  page
}, testInfo) => {
  test.setTimeout(120_000);
  const consoleErrors = kamldConsoleErrors(page);
  // A dataset without tabular files, for the end of the test.
  const auth = { Authorization: `token ${E2E_TOKEN}` };
  const id = `notes-${Date.now().toString(36)}`;
  const created = await page.request.post(
    `/kamld/api/v1/datasets?datasetId=${id}`,
    { headers: auth, data: { description: '', tags: [], labels: {} } }
  );
  expect(created.status()).toBe(200);
  const put = await page.request.put(
    `/kamld/api/v1/datasets/${id}/content/README.txt`,
    { headers: { ...auth, 'Content-Type': 'text/plain' }, data: NOTES }
  );
  expect(put.status()).toBe(200);
  const datasets = await openDatasetsPanel(page, testInfo);
  await expectConnection(datasets, 'connected');
  const view = await openDataset(page, datasets, 'iris');
  await showTab(view, 'schema');

  const schema = view.locator('.kamld-Schema[data-kamld-schema-ref="draft"]');
  const table = schema.locator('[data-kamld-table="iris.csv"]');
  await expect(table.locator('.kamld-SchemaTable-summary')).toHaveText(
    '150 rows · 5 columns · CSV'
  );
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(5);
  expect(
    await rows.evaluateAll(trs =>
      trs.map(tr => tr.getAttribute('data-kamld-column'))
    )
  ).toEqual([
    'sepal_length_cm',
    'sepal_width_cm',
    'petal_length_cm',
    'petal_width_cm',
    'species'
  ]);
  const sepal = table.locator('[data-kamld-column="sepal_length_cm"]');
  await expect(sepal.locator('.kamld-ColumnTable-type')).toContainText(
    'DOUBLE'
  );
  // Fisher's data: 4.3 to 7.9 cm, no gaps.
  await expect(sepal).toContainText('4.3 – 7.9');
  // Its histogram: 20 buckets counted by the SQL engine, every one of the 150 rows in one.
  const bars = sepal.locator('.kamld-Histogram rect');
  await expect(bars).toHaveCount(20);
  const counts = await bars.evaluateAll(rects =>
    rects.map(r => Number(/: (\d+) rows/.exec(r.textContent ?? '')?.[1]))
  );
  expect(counts.reduce((a, b) => a + b, 0)).toBe(150);
  const species = table.locator('[data-kamld-column="species"]');
  await expect(species.locator('.kamld-ColumnTable-type')).toContainText(
    'VARCHAR'
  );
  await expect(species).toContainText('≈3');
  await expect(species.locator('.kamld-ColumnTable-samples')).toContainText(
    'setosa'
  );
  await schema.scrollIntoViewIfNeeded();
  await keepScreenshot(page, testInfo, 'datasets-iris-schema', NO_LAUNCHER);

  // Collapsible per table.
  await table.locator('.kamld-SchemaTable-header').click();
  await expect(table).toHaveAttribute('data-kamld-expanded', 'false');
  await expect(rows).toHaveCount(0);
  await table.locator('.kamld-SchemaTable-header').click();
  await expect(rows).toHaveCount(5);

  // The schema follows the ref the file browser shows.
  await view.locator('.kamld-Files-ref select').selectOption('v1');
  await expect(
    view.locator('.kamld-Schema[data-kamld-schema-ref="v1"]')
  ).toContainText('150 rows');

  // A dataset of text only (made above) has no tables: a note, not an error.
  const notes = await openDataset(page, datasets, id);
  await showTab(notes, 'files');
  await expect(notes.locator('[data-kamld-file="README.txt"]')).toBeVisible();
  await showTab(notes, 'schema');
  await expect(notes.locator('.kamld-Schema-empty')).toContainText(
    'No tabular files'
  );
  await expect(notes.locator('.kamld-Schema .kamld-Form-error')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});
