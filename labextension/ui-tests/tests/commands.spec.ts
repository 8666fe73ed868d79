/**
 * kamld as part of JupyterLab: its commands in the palette under "kamld", a
 * SQL editor from the launcher, the status-bar item, a focus-search
 * shortcut, and context menus on a dataset and a snapshot — in the light
 * and the dark theme, with screenshots of each.
 */
import { expect, test } from '@playwright/test';

import { seriousAxeViolations } from './axe';
import {
  datasetRow,
  expectConnection,
  kamldConsoleErrors,
  keepScreenshot,
  openDatasetsPanel,
  showTab,
  useTheme
} from './datasetsPanel';

for (const theme of ['JupyterLab Light', 'JupyterLab Dark']) {
  const tag = theme.includes('Dark') ? 'dark' : 'light';

  test(`kamld is part of JupyterLab (${tag})`, async ({ page }, testInfo) => {
    test.setTimeout(150_000);
    const consoleErrors = kamldConsoleErrors(page);
    const datasets = await openDatasetsPanel(page, testInfo);
    await expectConnection(datasets, 'connected');
    if (tag === 'dark') {
      await useTheme(page, theme);
    }
    try {
      // ---- status bar: connected, a click shows the panel ----------------
      const status = page.locator('.jp-StatusBar-Widget .kamld-StatusItem');
      await expect(status).toHaveAttribute('data-kamld-state', 'connected');
      await expect(status).toHaveAttribute('title', /Connected/);

      // ---- palette: "kamld" lists the commands ---------------------------
      // The palette is modal and closes when focus moves (the Launcher of a
      // fresh workspace takes it once restored): open it after that.
      await page.locator('.jp-Launcher').first().waitFor();
      const palette = page.locator('.lm-CommandPalette').filter({
        visible: true
      });
      await expect(async () => {
        if (!(await palette.isVisible())) {
          await page.keyboard.press('Control+Shift+C');
        }
        await palette.locator('.lm-CommandPalette-input').fill('kamld');
        await expect(
          palette.locator('.lm-CommandPalette-itemLabel', {
            hasText: /^Refresh Datasets and Jobs$/
          })
        ).toBeVisible({ timeout: 2_000 });
      }).toPass({ timeout: 30_000 });
      const items = palette.locator('.lm-CommandPalette-item');
      for (const label of [
        'New SQL Editor',
        'New Dataset…',
        'Search Datasets',
        'Datasets',
        'Refresh Datasets and Jobs',
        'Open Jobs Table'
      ]) {
        await expect(
          items.filter({
            has: page.locator('.lm-CommandPalette-itemLabel', {
              hasText: new RegExp(`^${label}$`)
            })
          })
        ).toHaveCount(1);
      }
      // None of these labels says kamld: the palette found them by their category.
      await keepScreenshot(page, testInfo, `commands-palette-${tag}`, {
        waitForLauncher: false
      });
      await page.keyboard.press('Escape');

      // ---- launcher: New SQL editor --------------------------------------
      await page.keyboard.press('Control+Shift+L');
      const section = page
        .locator('.jp-Launcher-section')
        .filter({ visible: true })
        .filter({
          has: page.locator('.jp-Launcher-sectionTitle', { hasText: /^kamld$/ })
        });
      // SQL Editor, Dataset…, Datasets, Jobs.
      await expect(section.locator('.jp-LauncherCard')).toHaveCount(4);
      await keepScreenshot(page, testInfo, `commands-launcher-${tag}`, {
        waitForLauncher: false
      });
      await section
        .locator('.jp-LauncherCard', { hasText: 'SQL Editor' })
        .click();
      const editor = page.locator('.kamld-SqlEditor').filter({ visible: true });
      await expect(editor).toBeVisible();
      const input = editor.locator('.kamld-SqlEditor-input .cm-content');
      await input.fill('SELECT 1.4620000000000002::DOUBLE AS x, NULL AS y');
      // Run Query through its shortcut (a JupyterLab command).
      await input.press('Control+Enter');
      const grid = editor.locator('.kamld-PreviewTable');
      await expect(grid.locator('tbody td').first()).toHaveText('1.462');
      await expect(grid.locator('tbody td').nth(1)).toHaveText('NULL');
      expect(await seriousAxeViolations(page, '.kamld-SqlEditor')).toEqual([]);

      // ---- the focus-search shortcut -------------------------------------
      await page.keyboard.press('Control+Alt+D');
      await expect(datasets.panel).toBeVisible();
      await expect(datasets.panel.locator('.kamld-Search-input')).toBeFocused();

      // ---- the context-menu key on a dataset → Open Dataset -------------
      await page.keyboard.type('"iris"');
      await page.keyboard.press('Enter');
      const iris = datasetRow(datasets, 'iris');
      await expect(iris).toBeVisible();
      await page.keyboard.press('ArrowDown');
      await expect(datasets.list.getByRole('listbox')).toBeFocused();
      // Down to the row of iris (other results may rank before it).
      for (let i = 0; i < 50; i++) {
        if ((await iris.getAttribute('aria-selected')) === 'true') {
          break;
        }
        await page.keyboard.press('ArrowDown');
      }
      await expect(iris).toHaveAttribute('aria-selected', 'true');
      await page.keyboard.press('Shift+F10');
      const menu = page.locator('.lm-Menu').filter({ visible: true });
      for (const label of [
        'Open Dataset',
        'Query with SQL',
        'Insert into Notebook',
        'Copy Dataset Id'
      ]) {
        await expect(
          menu.locator('.lm-Menu-itemLabel', {
            hasText: new RegExp(`^${label}$`)
          })
        ).toBeVisible();
      }
      await keepScreenshot(page, testInfo, `commands-context-dataset-${tag}`, {
        waitForLauncher: false
      });
      await menu.locator('.lm-Menu-item', { hasText: 'Open Dataset' }).click();
      const view = page.locator(
        '.kamld-DatasetView[data-kamld-dataset="iris"]'
      );
      await expect(view).toBeVisible();
      await showTab(view, 'history');

      // ---- right-click a snapshot → browse the files at it ---------------
      await view
        .locator('[data-kamld-snapshot="v1"]')
        .click({ button: 'right' });
      await menu
        .locator('.lm-Menu-item', { hasText: 'Browse Files at This Snapshot' })
        .click();
      await expect(view.locator('.kamld-Files-ref select')).toHaveValue('v1');
      await showTab(view, 'schema');
      await expect(view.locator('.kamld-Schema')).toHaveAttribute(
        'data-kamld-schema-ref',
        'v1'
      );
      await showTab(view, 'files');

      // ---- right-click a file → Preview, at the ref shown ----------------
      await view
        .locator('[data-kamld-file="iris.csv"]')
        .click({ button: 'right' });
      await menu.locator('.lm-Menu-item', { hasText: /^Preview$/ }).click();
      const preview = view.locator('[data-kamld-preview="iris.csv"]');
      await expect(preview).toHaveAttribute('data-kamld-preview-ref', 'v1');
      await expect(
        preview.locator('tbody tr.kamld-PreviewTable-row').first()
      ).toContainText('setosa');
      await keepScreenshot(page, testInfo, `commands-dataset-view-${tag}`, {
        waitForLauncher: false
      });
    } finally {
      if (tag === 'dark') {
        await useTheme(page, 'JupyterLab Light');
      }
    }
    expect(consoleErrors).toEqual([]);
  });
}
