/**
 * The kamld: drive in JupyterLab's own file browser and viewers: iris@v1's
 * CSV in the CSV viewer; a version refusing a save with a clear message; a
 * CSV of a draft edited in the text editor and saved; a 50 MB file dropped
 * onto the draft (chunked, assembled and verified by the server extension,
 * checked here by its digest through the API); a rename and a delete; and
 * the path copied from the context menu loaded in a notebook by kamld.load.
 * Screenshots in the light and the dark theme.
 */
import { expect, Locator, Page, test, TestInfo } from '@playwright/test';

import { E2E_TOKEN } from './constants';
import { kamldConsoleErrors, keepScreenshot, useTheme } from './datasetsPanel';

const AUTH = { Authorization: `token ${E2E_TOKEN}` };
const BROWSER_ID = 'kamld-drive-browser';
const ROWS_CSV = 'city,temp\nOslo,1.5\nRome,12\n';
const BIG_BYTES = 50 * 1024 * 1024;
/** The drive's page size (src/drive/driveListings.ts) and a folder of two pages. */
const PAGE_SIZE = 500;
const FOLDER_FILES = 800;

async function api(page: Page, method: string, route: string, data?: unknown) {
  const response = await page.request.fetch(`/kamld/api/v1/${route}`, {
    method,
    headers: AUTH,
    data
  });
  expect(response.status(), `${method} ${route}`).toBe(200);
  return response;
}

/** A dataset with rows.csv in v1 and in its draft. */
async function draftDataset(page: Page, id: string): Promise<void> {
  await api(page, 'POST', `datasets?datasetId=${id}`, {
    description: 'drive e2e',
    tags: [],
    labels: {}
  });
  const put = await page.request.put(
    `/kamld/api/v1/datasets/${id}/content/rows.csv`,
    { headers: { ...AUTH, 'Content-Type': 'text/csv' }, data: ROWS_CSV }
  );
  expect(put.status()).toBe(200);
  await api(page, 'POST', `datasets/${id}/snapshots`, { message: 'first' });
}

async function openDrive(page: Page, testInfo: TestInfo): Promise<Locator> {
  await page.goto(`/lab/workspaces/e2e-${testInfo.testId}?token=${E2E_TOKEN}`);
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 60_000
  });
  await page
    .locator(`.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${BROWSER_ID}"]`)
    .click();
  const browser = page.locator(`#${BROWSER_ID}`);
  await expect(browser).toBeVisible();
  return browser;
}

/** The context-menu entry whose label is exactly `label` (entries also show their shortcut). */
function menuItem(page: Page, label: string): Locator {
  return page
    .locator('.lm-Menu-item', {
      has: page.locator('.lm-Menu-itemLabel', {
        hasText: new RegExp(`^${label}$`)
      })
    })
    .filter({ visible: true })
    .first();
}

function item(browser: Locator, name: string): Locator {
  return browser.locator('.jp-DirListing-item', {
    has: browser.page().locator('.jp-DirListing-itemText', {
      hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
    })
  });
}

/**
 * Loads further pages ("Load more", as a user scrolling would) until `name` is listed: the drive's top lists
 * datasets by name a page at a time, and the tests before this one leave hundreds of datasets.
 */
async function reveal(browser: Locator, name: string): Promise<void> {
  const loadMore = browser.locator('.kamld-DriveLoadMore');
  for (let i = 0; i < 50; i++) {
    if (await item(browser, name).isVisible()) {
      return;
    }
    if (!(await loadMore.isVisible())) {
      break;
    }
    const listed = await browser.locator('.jp-DirListing-item').count();
    await loadMore.click();
    await expect
      .poll(async () => browser.locator('.jp-DirListing-item').count())
      .toBeGreaterThan(listed);
  }
  await expect(item(browser, name)).toBeVisible();
}

/** Opens folders one after the other by double-click, from the drive's top. */
async function cd(browser: Locator, ...names: string[]): Promise<void> {
  for (const name of names) {
    await reveal(browser, name);
    await item(browser, name).dblclick();
    await expect(
      browser.locator('.jp-BreadCrumbs').getByText(name, { exact: false })
    ).toBeVisible();
  }
}

async function openWith(page: Page, target: Locator, factory: string) {
  await target.click({ button: 'right' });
  await page.locator('.lm-Menu-item', { hasText: /^Open With/ }).hover();
  await menuItem(page, factory).click();
}

/** Drops a generated file of `size` bytes onto the listing (a native drop with files); resolves its sha256. */
async function dropGeneratedFile(
  browser: Locator,
  name: string,
  size: number
): Promise<string> {
  return browser.locator('.jp-DirListing-content').evaluate(
    async (node, { name, size }) => {
      const bytes = new Uint8Array(size);
      let x = 2463534242;
      for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        bytes[i] = x & 0xff;
      }
      const file = new File([bytes], name, {
        type: 'application/octet-stream'
      });
      const drop = new Event('drop', { bubbles: true, cancelable: true });
      Object.defineProperty(drop, 'dataTransfer', {
        value: { files: [file], items: undefined }
      });
      node.dispatchEvent(drop);
      const digest = new Uint8Array(
        await crypto.subtle.digest('SHA-256', bytes)
      );
      return Array.from(digest, b => b.toString(16).padStart(2, '0')).join('');
    },
    { name, size }
  );
}

test('the kamld: drive in JupyterLab', async ({ page, context }, testInfo) => {
  test.setTimeout(300_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const consoleErrors = kamldConsoleErrors(page);
  const id = `drive-${Date.now().toString(36)}`;
  await draftDataset(page, id);
  const browser = await openDrive(page, testInfo);

  // ---- datasets, refs, files; iris@v1/iris.csv in the CSV viewer ----------
  await reveal(browser, 'iris');
  await cd(browser, 'iris');
  await expect(item(browser, 'iris@draft')).toBeVisible();
  await cd(browser, 'iris@v1');
  await item(browser, 'iris.csv').dblclick();
  const grid = page.locator('.jp-MainAreaWidget .jp-CSVViewer');
  await expect(grid).toBeVisible();
  await expect(
    page.locator('.lm-TabBar-tab.jp-mod-current[data-type="document-title"]')
  ).toContainText('iris.csv');
  await keepScreenshot(page, testInfo, 'drive-csv-viewer-light', {
    waitForLauncher: false
  });

  // ---- a version is read-only: a save says so -----------------------------
  await openWith(page, item(browser, 'iris.csv'), 'Editor');
  const editor = page.locator('.jp-FileEditor .cm-content').filter({
    visible: true
  });
  await expect(editor).toContainText('sepal');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type('\n1,2,3,4,nope');
  await page.keyboard.press('ControlOrMeta+s');
  // The model says writable: false, so JupyterLab refuses the save itself and says why.
  const refusal = page.locator('.Toastify__toast', {
    hasText: 'kamld:iris@v1/iris.csv is read-only'
  });
  await expect(refusal).toBeVisible();
  await keepScreenshot(page, testInfo, 'drive-readonly-save-light', {
    waitForLauncher: false
  });
  const unchanged = await page.request.get(
    '/kamld/api/v1/datasets/iris/content/iris.csv?ref=v1',
    { headers: AUTH }
  );
  expect(await unchanged.text()).not.toContain('nope');
  await page
    .locator('.lm-TabBar-tab.jp-mod-current .lm-TabBar-tabCloseIcon')
    .click();
  await page
    .locator('.jp-Dialog-content .jp-Dialog-button', { hasText: /Discard/ })
    .click();

  // ---- the draft: edit a CSV in the text editor and save ------------------
  await browser.locator('.jp-BreadCrumbs-home').click();
  await cd(browser, id, `${id}@draft`);
  await openWith(page, item(browser, 'rows.csv'), 'Editor');
  const draftEditor = page
    .locator('.jp-FileEditor .cm-content')
    .filter({ visible: true });
  await expect(draftEditor).toContainText('Oslo');
  await draftEditor.click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type('Lima,19');
  await page.keyboard.press('ControlOrMeta+s');
  await expect
    .poll(async () =>
      (
        await page.request.get(
          `/kamld/api/v1/datasets/${id}/content/rows.csv?ref=draft`,
          { headers: AUTH }
        )
      ).text()
    )
    .toBe(`${ROWS_CSV}Lima,19`);

  // ---- a 50 MB file dropped onto the draft, verified by its digest --------
  const digest = await dropGeneratedFile(browser, 'big.bin', BIG_BYTES);
  const warning = page.locator('.jp-Dialog-content', {
    hasText: 'Large file size warning'
  });
  await warning.locator('.jp-Dialog-button', { hasText: 'Upload' }).click();
  await expect(item(browser, 'big.bin')).toBeVisible({ timeout: 120_000 });
  await expect
    .poll(
      async () => {
        const stat = await page.request.get(
          `/kamld/api/v1/datasets/${id}/files/big.bin?ref=draft`,
          { headers: AUTH }
        );
        return stat.ok()
          ? ((await stat.json()) as { digest: string }).digest
          : '';
      },
      { timeout: 120_000 }
    )
    .toBe(`sha256:${digest}`);

  // ---- rename, then delete -------------------------------------------------
  await item(browser, 'rows.csv').click({ button: 'right' });
  await page.locator('.lm-Menu-item', { hasText: /^Rename/ }).click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('cities.csv\n');
  await expect(item(browser, 'cities.csv')).toBeVisible();
  await expect(item(browser, 'rows.csv')).toHaveCount(0);
  await item(browser, 'cities.csv').click({ button: 'right' });
  // "Delete", or "Move to Trash" where the server trashes its own files: in a draft either removes the file.
  await page
    .locator('.lm-Menu-item', { hasText: /^(Delete|Move to Trash)/ })
    .click();
  await page
    .locator('.jp-Dialog-content .jp-Dialog-button.jp-mod-accept')
    .click();
  await expect(item(browser, 'cities.csv')).toHaveCount(0);
  const listing = await api(page, 'GET', `datasets/${id}/files?ref=draft`);
  const paths = ((await listing.json()) as { files: { path: string }[] }).files
    .map(f => f.path)
    .sort();
  expect(paths).toEqual(['big.bin']);

  // ---- the copied path, as it is, in a notebook with kamld.load -----------
  await browser.locator('.jp-BreadCrumbs-home').click();
  await cd(browser, 'iris', 'iris@v1');
  await item(browser, 'iris.csv').click({ button: 'right' });
  await page.locator('.lm-Menu-item', { hasText: 'Copy kamld: Path' }).click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe('kamld:iris@v1/iris.csv');
  // File › New makes the notebook in the last file browser used: the local one here.
  await page
    .locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="filebrowser"]')
    .click();
  await page.locator('#filebrowser .jp-DirListing-content').click();
  await page.locator('.lm-MenuBar-item', { hasText: 'File' }).click();
  await page.locator('.lm-Menu-item', { hasText: /^New$/ }).hover();
  await page
    .locator('.lm-Menu-item', { hasText: /^Notebook$/ })
    .filter({ visible: true })
    .click();
  const kernelDialog = page.locator('.jp-Dialog-content', {
    hasText: 'Select Kernel'
  });
  await kernelDialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  const cell = page
    .locator('.jp-NotebookPanel .jp-Cell .cm-content')
    .filter({ visible: true })
    .first();
  await cell.click();
  await page.keyboard.type(
    `import kamld\ndf = kamld.load("${copied}")\nprint("shape", df.shape)`
  );
  await page.keyboard.press('Shift+Enter');
  await expect(
    page.locator('.jp-NotebookPanel .jp-OutputArea-output').first()
  ).toContainText('shape (150, 5)', { timeout: 90_000 });
  await keepScreenshot(page, testInfo, 'drive-notebook-light', {
    waitForLauncher: false
  });

  // ---- the drive in the dark theme -----------------------------------------
  await useTheme(page, 'JupyterLab Dark');
  try {
    await page
      .locator(
        `.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${BROWSER_ID}"]`
      )
      .click();
    await expect(browser).toBeVisible();
    await keepScreenshot(page, testInfo, 'drive-dark', {
      waitForLauncher: false
    });
  } finally {
    await useTheme(page, 'JupyterLab Light');
  }
  expect(consoleErrors).toEqual([]);
});

test('a long folder of the drive loads page by page and filters on the server', async ({
  page
}, testInfo) => {
  test.setTimeout(240_000);
  const id = `drive-pages-${Date.now().toString(36)}`;
  await api(page, 'POST', `datasets?datasetId=${id}`, {
    description: 'paged',
    tags: [],
    labels: {}
  });
  const names = Array.from(
    { length: FOLDER_FILES },
    (_, i) => `f${String(i).padStart(4, '0')}.txt`
  );
  for (let i = 0; i < names.length; i += 16) {
    await Promise.all(
      names.slice(i, i + 16).map(async name => {
        const put = await page.request.put(
          `/kamld/api/v1/datasets/${id}/content/${name}`,
          { headers: AUTH, data: name }
        );
        expect(put.status()).toBe(200);
      })
    );
  }
  const browser = await openDrive(page, testInfo);
  await cd(browser, id, `${id}@draft`);
  const rows = browser.locator('.jp-DirListing-item');
  await expect(rows).toHaveCount(PAGE_SIZE);
  const loadMore = browser.locator('.kamld-DriveLoadMore');
  await expect(loadMore).toBeVisible();

  // Scrolling to the end of the listing loads the next page, and only that one.
  await browser
    .locator('.jp-DirListing-content')
    .evaluate(node => node.scrollTo(0, node.scrollHeight));
  await expect(rows).toHaveCount(FOLDER_FILES);
  await expect(loadMore).toBeHidden();

  // The filter narrows on the server: names containing "f07".
  await browser.locator('.kamld-DriveFilter-input').fill('F07');
  await expect(rows).toHaveCount(100);
  await expect(item(browser, 'f0700.txt')).toBeVisible();
  await keepScreenshot(page, testInfo, 'drive-filter-light', {
    waitForLauncher: false
  });
  await browser.locator('.kamld-DriveFilter-input').fill('');
  await expect(rows).toHaveCount(PAGE_SIZE);
});

test('a new folder in a draft is named, and a version copied into the draft', async ({
  page
}, testInfo) => {
  test.setTimeout(150_000);
  const id = `drive-folder-${Date.now().toString(36)}`;
  await draftDataset(page, id);
  const browser = await openDrive(page, testInfo);
  await cd(browser, id, `${id}@draft`);

  // New folder: JupyterLab names it "Untitled Folder" and opens the name for editing; renaming it moves
  // every file of it (here its .keep, hidden as dotfiles are).
  await browser
    .locator('.jp-ToolbarButtonComponent[title^="New folder"]')
    .click();
  const nameEditor = browser.locator('.jp-DirListing-editor');
  await expect(nameEditor).toHaveValue('Untitled Folder');
  await nameEditor.fill('notes');
  await nameEditor.press('Enter');
  await expect(item(browser, 'notes')).toBeVisible();
  await expect
    .poll(async () => {
      const stat = await page.request.get(
        `/kamld/api/v1/datasets/${id}/files/notes/.keep?ref=draft`,
        { headers: AUTH }
      );
      return stat.status();
    })
    .toBe(200);

  // Copy in v1, paste in the draft: a new file beside the original.
  await browser.locator('.jp-BreadCrumbs-home').click();
  await cd(browser, id, `${id}@v1`);
  await item(browser, 'rows.csv').click({ button: 'right' });
  await menuItem(page, 'Copy').click();
  await browser.locator('.jp-BreadCrumbs-home').click();
  await cd(browser, id, `${id}@draft`);
  await browser.locator('.jp-DirListing-content').click({ button: 'right' });
  await menuItem(page, 'Paste').click();
  await expect(item(browser, 'rows-Copy1.csv')).toBeVisible();
  const copy = await page.request.get(
    `/kamld/api/v1/datasets/${id}/content/rows-Copy1.csv?ref=draft`,
    { headers: AUTH }
  );
  expect(await copy.text()).toBe(ROWS_CSV);
});

test('a notebook opened from a version runs beside the version’s files, read-only', async ({
  page
}, testInfo) => {
  test.setTimeout(240_000);
  const id = `drive-nb-${Date.now().toString(36)}`;
  await draftDataset(page, id); // v1: rows.csv
  const notebook = {
    cells: [
      {
        cell_type: 'code',
        id: 'reads',
        metadata: {},
        execution_count: null,
        outputs: [],
        source:
          'import os\nprint(open("rows.csv").read())\ntry:\n    open("rows.csv", "w")\nexcept PermissionError as e:\n    print("refused:", e.strerror)'
      }
    ],
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3',
        language: 'python'
      }
    },
    nbformat: 4,
    nbformat_minor: 5
  };
  const putNotebook = await page.request.put(
    `/kamld/api/v1/datasets/${id}/content/analysis.ipynb`,
    {
      headers: { ...AUTH, 'Content-Type': 'application/x-ipynb+json' },
      data: JSON.stringify(notebook)
    }
  );
  expect(putNotebook.status()).toBe(200);
  await api(page, 'POST', `datasets/${id}/snapshots`, { message: 'notebook' });
  // The draft changes rows.csv afterwards: the notebook of v2 must read v2's bytes.
  const changed = await page.request.put(
    `/kamld/api/v1/datasets/${id}/content/rows.csv`,
    { headers: { ...AUTH, 'Content-Type': 'text/csv' }, data: 'changed\n' }
  );
  expect(changed.status()).toBe(200);

  const browser = await openDrive(page, testInfo);
  await cd(browser, id, `${id}@v2`);
  await item(browser, 'analysis.ipynb').dblclick();
  const panel = page.locator('.jp-NotebookPanel').filter({ visible: true });
  await expect(panel).toBeVisible({ timeout: 60_000 });
  // The drive enters the version's folder as soon as the kernel is up; run the cell until it has.
  const output = panel.locator('.jp-OutputArea-output').first();
  await expect
    .poll(
      async () => {
        await panel.locator('.jp-Cell .cm-content').first().click();
        await page.keyboard.press('Control+Enter');
        try {
          return (await output.textContent({ timeout: 30_000 })) ?? '';
        } catch {
          return ''; // no output yet: the kernel is still starting
        }
      },
      { timeout: 120_000, intervals: [2_000] }
    )
    .toContain('city,temp');
  await expect(output).toContainText('Rome,12');
  await expect(output).toContainText(
    'refused: this is a read-only copy of kamld:'
  );
});
