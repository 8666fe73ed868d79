/**
 * Training jobs from the panel, against the connected JupyterLab and its managed sidecar (whose local jobs
 * run in Jupyter's own Python): a script is run with "Run as job…" from the file browser, a notebook from
 * its toolbar;
 * the Jobs section shows the log while the script runs, then SUCCEEDED and the output snapshot's lineage.
 */
import { expect, Page, test } from '@playwright/test';

import { E2E_TOKEN } from './constants';
import { keepScreenshot, openDatasetsPanel } from './datasetsPanel';

test.describe.configure({ mode: 'serial' });

const auth = { Authorization: `token ${E2E_TOKEN}` };
const NO_LAUNCHER = { waitForLauncher: false };

const TRAIN = `import os, time
rows = open("data/iris.csv").read().splitlines()
print("training on", len(rows) - 1, "rows", flush=True)
time.sleep(6)
os.makedirs("out", exist_ok=True)
open("out/model.txt", "w").write(str(len(rows) - 1))
print("done", flush=True)
`;

const NOTEBOOK = JSON.stringify({
  cells: [
    {
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source:
        "import os\nos.makedirs('out', exist_ok=True)\nopen('out/summary.txt', 'w').write('45')\nprint('notebook ran')"
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
});

async function putFile(
  page: Page,
  name: string,
  content: string
): Promise<void> {
  const written = await page.request.put(`/api/contents/${name}`, {
    headers: auth,
    data: { type: 'file', format: 'text', content }
  });
  expect(written.status()).toBe(201);
}

/** Right-click → Run as job… → fill the dialog → Run. */
async function runAsJob(
  page: Page,
  fileName: string,
  inputs: string,
  outputs: string
): Promise<void> {
  await page
    .locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="filebrowser"]')
    .click();
  const item = page
    .locator('.jp-DirListing-item')
    .filter({ hasText: fileName });
  await expect(item).toBeVisible();
  await item.click({ button: 'right' });
  await page
    .locator('.lm-Menu-itemLabel', { hasText: /^Run as job…$/ })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.kamld-RunForm')).toBeVisible();
  await dialog.locator('select[name="flavor"]').selectOption('cpu');
  await dialog.locator('textarea[name="inputs"]').fill(inputs);
  await dialog.locator('textarea[name="outputs"]').fill(outputs);
  await dialog.locator('input[name="cpu"]').fill('100m');
  await dialog.locator('.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);
}

test('a script and a notebook run as jobs from the panel, with live logs and lineage', async ({
  page
}, testInfo) => {
  const stamp = Date.now().toString(36);
  const script = `train-${stamp}.py`;
  const notebook = `eda-${stamp}.ipynb`;
  await putFile(page, script, TRAIN);
  await putFile(page, notebook, NOTEBOOK);
  const datasets = await openDatasetsPanel(page, testInfo);

  await runAsJob(page, script, 'iris@v1:/data', `model-${stamp}:/out`);
  // The panel comes forward with the new job open.
  const row = datasets.panel
    .locator('.kamld-JobRow')
    .filter({ hasText: script });
  await expect(row).toHaveCount(1);
  const log = row.locator('.kamld-JobLog');
  // Live: the first line shows while the script still sleeps.
  await expect(log).toContainText('training on 150 rows');
  await expect(row.locator('.kamld-JobRow-state')).toHaveText(/RUNNING/);
  await keepScreenshot(page, testInfo, 'job-running', NO_LAUNCHER);
  await expect(row.locator('.kamld-JobRow-state')).toHaveText('SUCCEEDED', {
    timeout: 60_000
  });
  await expect(log).toContainText('done');
  const lineage = row.locator('.kamld-JobLineage');
  await expect(lineage).toContainText(`model-${stamp}@`);
  await expect(lineage).toContainText('← jobs/job-');
  await expect(lineage).toContainText('← iris@');
  await expect(
    page.locator('.jp-Notification-Toast-success, .Toastify__toast--success')
  ).toContainText('SUCCEEDED');
  await keepScreenshot(page, testInfo, 'job-succeeded', NO_LAUNCHER);
  // The output links to its dataset, whose history draws the lineage.
  await lineage.locator('button').click();
  const view = page.locator(
    `.kamld-DatasetView[data-kamld-dataset="model-${stamp}"]`
  );
  await expect(view.locator('.kamld-Lineage')).toContainText(
    `model-${stamp}@v1 ← jobs/job-`
  );
  await expect(view.locator('.kamld-Lineage')).toContainText('← iris@');
  await keepScreenshot(page, testInfo, 'job-output-lineage', NO_LAUNCHER);

  // The notebook from its own toolbar.
  await page
    .locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="filebrowser"]')
    .click();
  await page
    .locator('.jp-DirListing-item')
    .filter({ hasText: notebook })
    .dblclick();
  const nbPanel = page.locator('.jp-NotebookPanel').filter({ visible: true });
  const toolbarButton = nbPanel.locator(
    '.jp-Toolbar-item[data-jp-item-name="kamld-run-as-job"] button'
  );
  await expect(toolbarButton).toBeVisible({ timeout: 60_000 });
  await toolbarButton.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.kamld-RunForm')).toContainText(notebook);
  await dialog
    .locator('textarea[name="outputs"]')
    .fill(`summary-${stamp}:/out`);
  await dialog.locator('input[name="cpu"]').fill('100m');
  await dialog.locator('.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);
  const nbRow = datasets.panel
    .locator('.kamld-JobRow')
    .filter({ hasText: notebook });
  await expect(nbRow.locator('.kamld-JobRow-state')).toHaveText('SUCCEEDED', {
    timeout: 90_000
  });
  await expect(nbRow.locator('.kamld-JobLineage')).toContainText(
    `summary-${stamp}@`
  );
  const snapshot = await page.request.get(
    `/kamld/api/v1/datasets/summary-${stamp}/snapshots/v1`,
    { headers: auth }
  );
  expect(snapshot.status()).toBe(200);
  const body = (await snapshot.json()) as { lineage?: { job?: string } };
  expect(body.lineage?.job).toMatch(/^jobs\/job-/);
});
