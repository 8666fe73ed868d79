/**
 * Pipelines from the panel, against the connected JupyterLab and its managed sidecar (whose workspace is
 * JupyterLab's root and whose local jobs run in Jupyter's Python): the iris machine-learning pipeline is run
 * with "Run pipeline…" from the file browser; its run opens in the main area as a DAG whose steps go green;
 * the training step shows its log, and the evaluation step its output, which opens its dataset.
 */
import { expect, Page, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { seriousAxeViolations } from './axe';
import { E2E_TOKEN } from './constants';
import { keepScreenshot, openDatasetsPanel } from './datasetsPanel';

const auth = { Authorization: `token ${E2E_TOKEN}` };
const NO_LAUNCHER = { waitForLauncher: false };
const EXAMPLE = join(
  __dirname,
  '..',
  '..',
  '..',
  'examples',
  'pipelines',
  'iris'
);

async function put(page: Page, path: string, body: object): Promise<void> {
  const written = await page.request.put(`/api/contents/${path}`, {
    headers: auth,
    data: body
  });
  expect(written.status()).toBe(201);
}

test('the iris pipeline runs from the file browser and its DAG goes green', async ({
  page
}, testInfo) => {
  const stamp = Date.now().toString(36);
  const folder = `pipe-${stamp}`;
  await put(page, folder, { type: 'directory' });
  // The example, writing datasets of this test's own so that nothing is cached from an earlier run.
  const pipeline = readFileSync(join(EXAMPLE, 'pipeline.yaml'), 'utf8').replace(
    /: (iris-(split|model|metrics))$/gm,
    `: $1-${stamp}`
  );
  await put(page, `${folder}/pipeline.yaml`, {
    type: 'file',
    format: 'text',
    content: pipeline
  });
  for (const script of ['process.py', 'train.py', 'evaluate.py']) {
    const content = readFileSync(join(EXAMPLE, script), 'utf8');
    await put(page, `${folder}/${script}`, {
      type: 'file',
      format: 'text',
      content
    });
  }

  await openDatasetsPanel(page, testInfo);
  await page
    .locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="filebrowser"]')
    .click();
  await page
    .locator('.jp-DirListing-item')
    .filter({ hasText: folder })
    .dblclick();
  const item = page
    .locator('.jp-DirListing-item')
    .filter({ hasText: 'pipeline.yaml' });
  await expect(item).toBeVisible();
  await item.click({ button: 'right' });
  await page
    .locator('.lm-Menu-itemLabel', { hasText: /^Run pipeline…$/ })
    .click();

  const view = page.locator('.kamld-PipelineRunView');
  await expect(view).toBeVisible();
  const steps = view.locator('.kamld-PipelineStep');
  await expect(steps).toHaveCount(3);
  await expect(view.locator('.kamld-PipelineDag-edge')).toHaveCount(3);
  await expect(
    view.locator('.kamld-PipelineStep[data-state="RUNNING"]').first()
  ).toBeVisible({
    timeout: 30_000
  });
  await keepScreenshot(page, testInfo, 'pipeline-running', NO_LAUNCHER);
  await expect(
    view.locator('.kamld-PipelineStep[data-state="SUCCEEDED"]')
  ).toHaveCount(3, {
    timeout: 120_000
  });
  await expect(view.locator('.kamld-PipelineRun')).toHaveAttribute(
    'data-state',
    'SUCCEEDED'
  );

  await view.locator('.kamld-PipelineStep[data-step="train"]').click();
  const detail = view.locator('.kamld-StepDetail');
  await expect(detail).toHaveAttribute('data-step', 'train');
  await expect(detail.locator('.kamld-StepDetail-log')).toContainText(
    'trained on 120 rows, 3 classes'
  );

  await view.locator('.kamld-PipelineStep[data-step="evaluate"]').click();
  await expect(detail).toHaveAttribute('data-step', 'evaluate');
  await expect(detail.locator('.kamld-StepDetail-log')).toContainText(
    'accuracy 0.9'
  );
  const output = detail.locator('.kamld-StepDetail-output');
  await expect(output).toContainText(`iris-metrics-${stamp}@`);
  await keepScreenshot(page, testInfo, 'pipeline-succeeded', NO_LAUNCHER);
  expect(await seriousAxeViolations(page, '.kamld-PipelineRunView')).toEqual(
    []
  );
  await output.click();
  await expect(
    page.locator(
      `.kamld-DatasetView[data-kamld-dataset="iris-metrics-${stamp}"]`
    )
  ).toBeVisible();
});
