/**
 * The Platform view against a real outage: this JupyterLab's sidecar indexes
 * into a real Elasticsearch (run by es-control, see playwright.config.ts).
 * The view opens from the palette and from the status bar; stopping
 * Elasticsearch turns the index backend red with its error, starting it again
 * turns it green. Screenshots in the light and dark themes and at a narrow
 * width; axe-core finds no serious or critical violation in the view.
 */
import { expect, Locator, Page, test, TestInfo } from '@playwright/test';

import { seriousAxeViolations } from './axe';
import { E2E_TOKEN } from './constants';
import { kamldConsoleErrors, keepScreenshot, useTheme } from './datasetsPanel';

const control = `http://127.0.0.1:${process.env.KAMLD_E2E_ES_CONTROL_PORT}`;

async function openLab(page: Page, testInfo: TestInfo): Promise<void> {
  await page.goto(`/lab/workspaces/e2e-${testInfo.testId}?token=${E2E_TOKEN}`);
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 60_000
  });
  await page.locator('.jp-Launcher').first().waitFor();
}

async function openFromPalette(page: Page): Promise<Locator> {
  const palette = page.locator('.lm-CommandPalette').filter({ visible: true });
  await expect(async () => {
    if (!(await palette.isVisible())) {
      await page.keyboard.press('Control+Shift+C');
    }
    await palette.locator('.lm-CommandPalette-input').fill('Platform Health');
    await expect(
      palette.locator('.lm-CommandPalette-itemLabel', {
        hasText: /^Platform Health$/
      })
    ).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  const view = page.locator('.kamld-Platform').filter({ visible: true });
  await expect(view).toBeVisible();
  return view;
}

async function esControl(page: Page, action: 'stop' | 'start'): Promise<void> {
  const response = await page.request.post(`${control}/${action}`, {
    timeout: 300_000
  });
  expect(response.status(), await response.text()).toBe(200);
}

test('an Elasticsearch outage turns the index red, a restart green again', async ({
  page
}, testInfo) => {
  test.setTimeout(420_000);
  const consoleErrors = kamldConsoleErrors(page);
  await openLab(page, testInfo);
  const view = await openFromPalette(page);
  const index = view.locator('[data-kamld-backend="index"]');
  await expect(index.locator('.kamld-BackendCard-name')).toHaveText(
    'elasticsearch'
  );
  // Serving; amber is fair before the outage too: on a busy machine the
  // index's first writes can time out, and the view says so.
  await expect(index).toHaveAttribute('data-kamld-level', /^(green|amber)$/, {
    timeout: 60_000
  });
  await expect(view.locator('[data-kamld-backend="blob"]')).toBeVisible();
  await expect(view.locator('[data-kamld-tile="rpcs"]')).toBeVisible();
  await expect(view.locator('.kamld-Sparkline').first()).toBeVisible();
  await keepScreenshot(page, testInfo, 'platform-light', {
    waitForLauncher: false
  });

  // axe-core on the view itself (JupyterLab's own chrome is not under test).
  expect(await seriousAxeViolations(page, '.kamld-Platform')).toEqual([]);

  try {
    await esControl(page, 'stop');
    await expect(index).toHaveAttribute('data-kamld-level', 'red', {
      timeout: 60_000
    });
    await expect(index.locator('.kamld-BackendCard-error')).toContainText(
      /refused|unavailable|connect/i
    );
    await expect(index.locator('.kamld-BackendCard-state')).toHaveText(
      /^Down for /
    );
    const status = page.locator('.kamld-PlatformStatusItem');
    await expect(status).toHaveAttribute('data-kamld-level', 'red', {
      timeout: 60_000
    });
    await keepScreenshot(page, testInfo, 'platform-index-down-light', {
      waitForLauncher: false
    });
    await useTheme(page, 'JupyterLab Dark');
    await keepScreenshot(page, testInfo, 'platform-index-down-dark', {
      waitForLauncher: false
    });
  } finally {
    await esControl(page, 'start');
  }
  await expect(index).toHaveAttribute('data-kamld-level', 'green', {
    timeout: 60_000
  });
  await expect(index.locator('.kamld-BackendCard-state')).toHaveText(
    /^Recovered/
  );
  await expect(index.locator('.kamld-BackendCard-lastError')).not.toBeEmpty();
  await keepScreenshot(page, testInfo, 'platform-recovered-dark', {
    waitForLauncher: false
  });

  // Narrow: the cards stack in one column and nothing overflows sideways.
  await page.setViewportSize({ width: 700, height: 900 });
  await keepScreenshot(page, testInfo, 'platform-narrow-dark', {
    waitForLauncher: false
  });
  const overflow = await view.evaluate(
    node => node.scrollWidth - node.clientWidth
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await useTheme(page, 'JupyterLab Light');

  // The status-bar item opens (activates) the view too: show the Launcher's tab, then click it.
  await page
    .locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: 'Launcher' })
    .click();
  await expect(view).toBeHidden();
  await page.locator('.kamld-PlatformStatusItem').click();
  await expect(view).toBeVisible();
  expect(consoleErrors).toEqual([]);
});
