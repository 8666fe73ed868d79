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
  // The job's tab opens in the main area; the panel lists it too.
  const jobView = page
    .locator('.kamld-JobView')
    .filter({ hasText: script })
    .filter({ visible: true });
  await expect(jobView).toHaveCount(1);
  await expect(
    datasets.panel.locator('.kamld-JobRow').filter({ hasText: script })
  ).toHaveCount(1);
  const state = jobView.locator('.kamld-JobView-header .kamld-JobState');
  const log = jobView.locator('.kamld-JobLog');
  // Live: the first line shows while the script still sleeps.
  await expect(log).toContainText('training on 150 rows');
  await expect(state).toHaveAttribute('data-kamld-state', /RUNNING|PENDING/);
  await keepScreenshot(page, testInfo, 'job-running', NO_LAUNCHER);
  await expect(state).toHaveAttribute('data-kamld-state', 'SUCCEEDED', {
    timeout: 60_000
  });
  await expect(log).toContainText('done');
  // The output is named by its snapshot's version, and so is the input.
  const lineage = jobView.locator('.kamld-JobLineage');
  await expect(lineage).toContainText(`model-${stamp}@v1`);
  await expect(jobView.locator('.kamld-JobView-io')).toContainText('iris@v1');
  await expect(
    jobView.locator(`[data-kamld-label="model-${stamp}@v1"]`)
  ).toBeVisible();
  await expect(
    page
      .locator('.jp-Notification-Toast-success, .Toastify__toast--success')
      .filter({ hasText: script })
  ).toContainText('SUCCEEDED');
  await keepScreenshot(page, testInfo, 'job-succeeded', NO_LAUNCHER);
  // The output link opens the output snapshot (v1), not the draft.
  await lineage.locator('.kamld-SnapshotLink').click();
  const view = page.locator(
    `.kamld-DatasetView[data-kamld-dataset="model-${stamp}"]`
  );
  await expect(view.locator('.kamld-Files-ref select')).toHaveValue('v1');
  await expect(view.locator('[data-kamld-file="model.txt"]')).toBeVisible();
  // Its lineage graph: iris@v1 → the job → model@v1.
  await view.locator('[role="tab"][data-kamld-tab="lineage"]').click();
  const graph = view.locator('.kamld-LineageGraph');
  await expect(
    graph.locator(`[data-kamld-label="model-${stamp}@v1"]`)
  ).toBeVisible();
  await expect(graph.locator('[data-kamld-label="iris@v1"]')).toBeVisible();
  await expect(graph.locator('.kamld-mod-job')).toHaveCount(1);
  await keepScreenshot(page, testInfo, 'job-output-lineage', NO_LAUNCHER);
  // A job node opens the job's tab again.
  await graph.locator('.kamld-mod-job').click();
  await expect(jobView).toBeVisible();

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
  const nbView = page
    .locator('.kamld-JobView')
    .filter({ hasText: notebook })
    .filter({ visible: true });
  await expect(
    nbView.locator('.kamld-JobView-header .kamld-JobState')
  ).toHaveAttribute('data-kamld-state', 'SUCCEEDED', { timeout: 90_000 });
  await expect(nbView.locator('.kamld-JobLineage')).toContainText(
    `summary-${stamp}@v1`
  );
  // The Jobs table lists both, newest first, and filters (by this test's stamp first: the pipelines
  // project runs jobs at the same time, and one of theirs may be newer).
  await datasets.panel.locator('.kamld-JobsList-all').click();
  const table = page.locator('.kamld-JobsTable').filter({ visible: true });
  await table.locator('.kamld-JobsTable-filter').fill(stamp);
  await expect(table.locator('tbody tr[data-kamld-job]')).toHaveCount(2);
  await expect(table.locator('tbody tr[data-kamld-job]').first()).toContainText(
    notebook
  );
  await table.locator('.kamld-JobsTable-filter').fill(script);
  await expect(table.locator('tbody tr[data-kamld-job]')).toHaveCount(1);
  await table.locator('.kamld-JobsTable-filter').fill('');
  await keepScreenshot(page, testInfo, 'jobs-table', NO_LAUNCHER);
  const snapshot = await page.request.get(
    `/kamld/api/v1/datasets/summary-${stamp}/snapshots/v1`,
    { headers: auth }
  );
  expect(snapshot.status()).toBe(200);
  const body = (await snapshot.json()) as { lineage?: { job?: string } };
  expect(body.lineage?.job).toMatch(/^jobs\/job-/);
});
