/**
 * `make bench-panel`: the panel's first useful paint with 1,000 datasets —
 * from the click on the sidebar tab of a freshly loaded JupyterLab to the
 * frame after the first dataset row is in the DOM, and from typing a query
 * (then Enter) to its result. Both are timed inside the page, on its own
 * clock (the test runner's round trips to the browser are not the user's
 * wait). Five page
 * loads; the median and the worst go to artefacts/bench-panel.json (and so
 * into docs/benchmarks.md). Skipped unless KAMLD_E2E_BENCH is set.
 */
import { expect, Page, test } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { E2E_TOKEN } from './constants';
import { PANEL_ID } from './datasetsPanel';

const DATASETS = 1000;
const RUNS = 5;

test('first paint of the sidebar with 1,000 datasets', async ({ page }) => {
  test.skip(!process.env.KAMLD_E2E_BENCH, 'only under make bench-panel');
  test.setTimeout(600_000);
  const auth = { Authorization: `token ${E2E_TOKEN}` };
  const prefix = `bench-${Date.now().toString(36)}`;
  for (let i = 0; i < DATASETS; i += 25) {
    const batch = Array.from({ length: 25 }, (_, j) =>
      page.request.post(
        `/kamld/api/v1/datasets?datasetId=${prefix}-${String(i + j).padStart(4, '0')}`,
        {
          headers: auth,
          data: { description: `bench ${i + j}`, tags: ['bench'], labels: {} }
        }
      )
    );
    for (const response of await Promise.all(batch)) {
      expect(response.status()).toBe(200);
    }
  }
  const list: number[] = [];
  const search: number[] = [];
  // Where the time goes: when the first ListDatasets request left and was answered, after the click.
  const requests: Array<{ sentMs: number; answeredMs: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    await page.goto(
      `/lab/workspaces/bench-${prefix}-${run}?token=${E2E_TOKEN}`
    );
    await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
      timeout: 60_000
    });
    const tab = page.locator(
      `.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${PANEL_ID}"]`
    );
    await expect(tab).toBeVisible();
    await armTimer(page, 'pointerdown', `#${PANEL_ID} .kamld-DatasetList-row`);
    await tab.click();
    const row = await timed(page);
    list.push(row.ms);
    requests.push(row.list);
    const id = `${prefix}-0${run}42`;
    const box = page.locator(`#${PANEL_ID} .kamld-Search-input`);
    await armTimer(
      page,
      'input',
      `#${PANEL_ID} .kamld-Search-result[data-kamld-dataset="${id}"]`
    );
    await box.fill(`"${id}"`);
    await box.press('Enter');
    search.push((await timed(page)).ms);
  }
  const median = (xs: number[]) =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const report = {
    datasets: DATASETS,
    runs: RUNS,
    firstRowMs: { median: median(list), max: Math.max(...list), all: list },
    firstSearchResultMs: {
      median: median(search),
      max: Math.max(...search),
      all: search
    },
    budgetMs: 500,
    listRequests: requests
  };
  const out = join(__dirname, '..', 'artefacts', 'bench-panel.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report));
  // A report, not a gate: the figure (and whether it meets the budget) goes into docs/benchmarks.md.
  test.info().annotations.push({
    type: 'first paint',
    description: `median ${report.firstRowMs.median} ms (budget ${report.budgetMs} ms)`
  });
  expect(list).toHaveLength(RUNS);
});

/** What the page measured: ms from the event to the frame after the element appeared, and the list request. */
interface ITimed {
  ms: number;
  list: { sentMs: number; answeredMs: number };
}

/**
 * Arms a timer in the page: it starts at the next `event` (capture phase,
 * before any handler) and stops at the animation frame after `selector`
 * matches an element.
 */
async function armTimer(
  page: Page,
  event: string,
  selector: string
): Promise<void> {
  await page.evaluate(
    ([event, selector]) => {
      const w = window as unknown as {
        kamldBench?: { start: number; end?: number };
      };
      w.kamldBench = undefined;
      // JupyterLab's own files fill the default 250 entries: make room for the list request's.
      performance.setResourceTimingBufferSize(10_000);
      window.addEventListener(
        event,
        () => {
          const mark: { start: number; end?: number } = {
            start: performance.now()
          };
          w.kamldBench = mark;
          const done = () =>
            requestAnimationFrame(() => {
              mark.end = performance.now();
            });
          if (document.querySelector(selector)) {
            done();
            return;
          }
          const observer = new MutationObserver(() => {
            if (document.querySelector(selector)) {
              observer.disconnect();
              done();
            }
          });
          observer.observe(document.body, { childList: true, subtree: true });
        },
        { capture: true, once: true }
      );
    },
    [event, selector]
  );
}

/** Waits for the armed timer and reads it, with the first ListDatasets request's timing on the same clock. */
async function timed(page: Page): Promise<ITimed> {
  const handle = await page.waitForFunction(() => {
    const mark = (
      window as unknown as { kamldBench?: { start: number; end?: number } }
    ).kamldBench;
    if (!mark || mark.end === undefined) {
      return null;
    }
    const request = performance
      .getEntriesByType('resource')
      .find(
        e =>
          /\/kamld\/api\/v1\/datasets\?/.test(e.name) &&
          e.startTime >= mark.start
      ) as PerformanceResourceTiming | undefined;
    return {
      ms: Math.round(mark.end - mark.start),
      list: {
        sentMs: request ? Math.round(request.startTime - mark.start) : -1,
        answeredMs: request ? Math.round(request.responseEnd - mark.start) : -1
      }
    };
  });
  return (await handle.jsonValue()) as ITimed;
}
