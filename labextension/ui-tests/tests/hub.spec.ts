/**
 * Two users on one platform, under a real JupyterHub (make test-hub-e2e;
 * servers from tests/hub/serve.py): alice, bob and erin (a platform admin)
 * sign in at the Hub's login page, each to their own JupyterLab in external
 * mode against one shared kamld that knows them by their Hub tokens.
 *
 * alice creates a private dataset from the panel; bob does not see it in the
 * Datasets list, in search or its facet counts, in SQL or in the kamld: drive;
 * alice shares it with bob as reader from the Share… dialog; bob then sees and
 * reads it everywhere and is refused a write, with a clear message; erin's
 * audit view shows all of it, and bob, no admin, is refused the audit view.
 *
 * Selectors are roles, labels and stable ids, not the sidebar's classes.
 */
import {
  Browser,
  expect,
  Locator,
  Page,
  test,
  TestInfo
} from '@playwright/test';

import { seriousAxeViolations } from './axe';
import { keepScreenshot } from './datasetsPanel';

const PASSWORD = process.env.KAMLD_E2E_HUB_PASSWORD ?? '';
/** Made by tests/hub/serve.py as alice: internal, so everyone signed in sees it. */
const TEAM = 'team-notes';
const TAG = 'hub-e2e';
const PRIVATE = 'alice-churn';
const ROWS_CSV = 'customer,churned\nacme,yes\nglobex,no\ninitech,no\n';
const PANEL_ID = 'kamld-datasets';
const DRIVE_ID = 'kamld-drive-browser';

/** Signs `user` in at the Hub's login page, in a browser context of their own; their JupyterLab, loaded. */
async function signIn(browser: Browser, user: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/hub/login');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(new RegExp(`/user/${user}/lab`), { timeout: 60_000 });
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 60_000
  });
  // A fresh workspace opens the Launcher once restored, and it takes the focus: wait for it first.
  await page
    .locator('.jp-Launcher')
    .first()
    .waitFor({ timeout: 15_000 })
    .catch(() => undefined);
  return page;
}

/** Runs one of JupyterLab's commands, as a restored layout or a menu would (tests/hub exposes the app). */
async function execute(page: Page, command: string): Promise<void> {
  await page.evaluate(
    id =>
      (
        window as unknown as {
          jupyterapp: { commands: { execute(id: string): Promise<unknown> } };
        }
      ).jupyterapp.commands.execute(id),
    command
  );
}

/**
 * Shows the command palette with `label` typed in, then does `act` to its item of that label. The palette is
 * modal and closes when focus moves, so all of it is tried again until it holds.
 */
async function withPaletteItem(
  page: Page,
  label: string,
  act: (item: Locator) => Promise<void>
): Promise<void> {
  const palette = page.locator('.lm-CommandPalette').filter({ visible: true });
  await expect(async () => {
    if (!(await palette.isVisible())) {
      // Its shortcut (Ctrl+Shift+C) is not always delivered to one of several pages of a browser.
      await execute(page, 'apputils:activate-command-palette');
    }
    await palette
      .locator('.lm-CommandPalette-input')
      .fill(label, { timeout: 2_000 });
    await act(paletteItem(page, label));
  }).toPass({ timeout: 30_000 });
}

/** Runs a command from the palette by its label (its category is "kamld"). */
async function fromPalette(page: Page, label: string): Promise<void> {
  await withPaletteItem(page, label, item => item.click({ timeout: 2_000 }));
}

function paletteItem(page: Page, label: string): Locator {
  // Lumino's palette: its items carry no role of their own.
  return page
    .locator('.lm-CommandPalette-item', {
      has: page.locator('.lm-CommandPalette-itemLabel', {
        hasText: new RegExp(`^${label}$`)
      })
    })
    .first();
}

/** Shows the left sidebar panel `id` (a click on its tab; a second click would hide it). */
async function sidebar(page: Page, id: string): Promise<Locator> {
  const panel = page.locator(`#${id}`);
  if (!(await panel.isVisible())) {
    await page
      .locator(`.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${id}"]`)
      .click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

/** Searches from the Datasets panel; resolves once the answer is shown. */
async function search(panel: Locator, query: string): Promise<void> {
  const box = panel.getByLabel('Search datasets', { exact: true });
  await box.fill(query);
  await box.press('Enter');
}

/** The count beside `tag` in the Datasets panel's Tags facet (Filters, then the Tags group, opened). */
async function tagFacetCount(panel: Locator, tag: string): Promise<Locator> {
  const tags = panel
    .getByRole('group', { name: 'Filters' })
    .locator('[data-kamld-facet="tag"]');
  if ((await tags.getAttribute('open')) === null) {
    await tags.locator('summary').click();
  }
  return tags
    .locator('.kamld-Search-facetValue')
    .filter({ has: panel.page().getByText(tag, { exact: true }) })
    .locator('.kamld-Search-count');
}

/** What `panel` (the Datasets panel) shows of datasets: each id listed or found, with the search facets. */
async function expectListed(
  page: Page,
  panel: Locator,
  listed: string[],
  hidden: string[]
): Promise<void> {
  // Reloads the lists, as the panel's Refresh does; search is indexed asynchronously, so ask again until.
  await expect(async () => {
    await page.keyboard.press('Escape');
    await search(panel, `tag:${TAG}`);
    for (const id of listed) {
      await expect(panel.getByText(id, { exact: true }).first()).toBeVisible({
        timeout: 2_000
      });
    }
    const filters = panel.getByRole('button', { name: /^Filters/ });
    if ((await filters.getAttribute('aria-expanded')) !== 'true') {
      await filters.click();
    }
    await expect(await tagFacetCount(panel, TAG)).toHaveText(
      String(listed.length),
      { timeout: 2_000 }
    );
  }).toPass({ timeout: 45_000 });
  for (const id of hidden) {
    await expect(panel.getByText(id, { exact: true })).toHaveCount(0);
  }
}

/** Runs `sql` in a new SQL editor (palette); resolves to the editor. */
async function runSql(page: Page, sql: string): Promise<Locator> {
  await fromPalette(page, 'New SQL Editor');
  const editor = page.locator('.kamld-SqlEditor').filter({ visible: true });
  const input = editor.getByRole('textbox').first();
  await input.fill(sql);
  await input.press('Control+Enter');
  return editor;
}

/** The drive's entries at its top (one per dataset the user can read). */
async function driveTop(page: Page): Promise<Locator> {
  const drive = await sidebar(page, DRIVE_ID);
  await drive.locator('.jp-BreadCrumbs-home').click();
  await drive
    .getByRole('button', { name: 'Reload this folder from the server' })
    .click();
  return drive.getByRole('listitem');
}

function driveItem(items: Locator, name: string): Locator {
  return items.filter({
    has: items.page().getByText(name, { exact: true })
  });
}

/** The Share… dialog of the dataset view shown. */
async function openShare(page: Page): Promise<Locator> {
  await page
    .getByRole('button', { name: 'Share…' })
    .filter({ visible: true })
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.getByLabel('Visibility')).toBeVisible();
  return dialog;
}

async function saveShare(page: Page, dialog: Locator): Promise<void> {
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toHaveCount(0);
  // The toast of an earlier save may still be up (they close after a few seconds): this save's is the last.
  const saved = page.getByText(`Sharing of ${PRIVATE} saved.`).last();
  await expect(saved).toBeVisible();
  await saved.click(); // dismisses the notification (it covers the status bar)
}

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await keepScreenshot(page, testInfo, `hub-${name}`, {
    waitForLauncher: false
  });
}

test('two users under JupyterHub: private, shared as reader, refused a write, audited', async ({
  browser
}, testInfo) => {
  test.setTimeout(240_000);
  expect(PASSWORD, 'run through make test-hub-e2e').not.toBe('');
  const [alice, bob, erin] = await Promise.all([
    signIn(browser, 'alice'),
    signIn(browser, 'bob'),
    signIn(browser, 'erin')
  ]);

  // ---- alice creates a private dataset from the panel, with a CSV, v1 ----
  await sidebar(alice, PANEL_ID);
  await fromPalette(alice, 'New Dataset…');
  const dialog = alice.locator('.jp-Dialog');
  await dialog.locator('input[name="id"]').fill(PRIVATE);
  await dialog.locator('input[name="tags"]').fill(TAG);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toHaveCount(0);
  const view = alice.locator(
    `[data-kamld-dataset="${PRIVATE}"].kamld-DatasetView`
  );
  await view.getByRole('tab', { name: 'Files' }).click();
  const chooser = alice.waitForEvent('filechooser');
  await view.getByRole('button', { name: 'Upload…' }).click();
  await (
    await chooser
  ).setFiles({
    name: 'customers.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(ROWS_CSV)
  });
  await expect(view.getByText('customers.csv').last()).toBeVisible();
  await alice
    .getByRole('button', { name: 'Snapshot…' })
    .filter({ visible: true })
    .click();
  await alice.locator('.jp-Dialog textarea[name="message"]').fill('first');
  await alice
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Take snapshot' })
    .click();
  await expect(alice.locator('.jp-Dialog')).toHaveCount(0);
  // A new dataset is internal (every signed-in user reads it); alice makes it private.
  let share = await openShare(alice);
  await share.getByLabel('Visibility').selectOption('private');
  await shot(alice, testInfo, 'alice-makes-it-private');
  await saveShare(alice, share);

  // The index has it (alice finds it), so bob's search below is asked of an index that could tell.
  await expectListed(
    alice,
    await sidebar(alice, PANEL_ID),
    [TEAM, PRIVATE],
    []
  );

  // ---- bob sees none of it: list, search and facets, SQL, drive ----------
  const bobPanel = await sidebar(bob, PANEL_ID);
  await expectListed(bob, bobPanel, [TEAM], [PRIVATE]);
  await shot(bob, testInfo, 'bob-before-share');
  const refused = await runSql(bob, `SELECT * FROM "${PRIVATE}"`);
  await expect(refused.getByRole('alert')).toContainText(
    `there is no dataset "${PRIVATE}"`
  );
  await shot(bob, testInfo, 'bob-sql-not-found');
  let items = await driveTop(bob);
  await expect(driveItem(items, TEAM)).toBeVisible();
  await expect(driveItem(items, PRIVATE)).toHaveCount(0);

  // ---- alice shares it with bob as reader ---------------------------------
  share = await openShare(alice);
  await share.getByLabel('Name of the user or group').fill('bob');
  await share.getByLabel('Role', { exact: true }).selectOption('reader');
  await share.getByRole('button', { name: 'Add' }).click();
  await expect(share.getByLabel('Role of bob')).toHaveValue('reader');
  await shot(alice, testInfo, 'alice-share-dialog');
  await saveShare(alice, share);

  // ---- bob now sees it and reads it: list, search, drive, SQL -------------
  await sidebar(bob, PANEL_ID);
  await expectListed(bob, bobPanel, [TEAM, PRIVATE], []);
  items = await driveTop(bob);
  await expect(driveItem(items, PRIVATE)).toBeVisible();
  await driveItem(items, PRIVATE).dblclick();
  const drive = bob.locator(`#${DRIVE_ID}`);
  await driveItem(drive.getByRole('listitem'), `${PRIVATE}@v1`).dblclick();
  await driveItem(drive.getByRole('listitem'), 'customers.csv').dblclick();
  await expect(bob.locator('.jp-MainAreaWidget .jp-CSVViewer')).toBeVisible();
  await shot(bob, testInfo, 'bob-drive-csv');
  const read = await runSql(bob, `SELECT count(*) AS n FROM "${PRIVATE}"`);
  await expect(read.getByRole('table')).toContainText('3');
  await shot(bob, testInfo, 'bob-sql-rows');

  // ---- bob is refused a write into the draft, and told why ---------------
  await sidebar(bob, PANEL_ID);
  await bobPanel.getByText(PRIVATE, { exact: true }).first().click();
  const bobView = bob.locator(
    `[data-kamld-dataset="${PRIVATE}"].kamld-DatasetView`
  );
  await bobView.getByRole('tab', { name: 'Files' }).click();
  const bobChooser = bob.waitForEvent('filechooser');
  await bobView.getByRole('button', { name: 'Upload…' }).click();
  await (
    await bobChooser
  ).setFiles({
    name: 'bob.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('customer,churned\numbrella,yes\n')
  });
  await expect(
    bobView.getByRole('listitem').filter({ hasText: 'bob.csv' })
  ).toContainText(/failed: .*(permission|may not|not allowed|reader)/i);
  await shot(bob, testInfo, 'bob-write-refused');

  // The drive too: his edit of the draft's CSV in JupyterLab's editor is refused at the save, with why.
  await driveItem(await driveTop(bob), PRIVATE).dblclick();
  await driveItem(drive.getByRole('listitem'), `${PRIVATE}@draft`).dblclick();
  await driveItem(drive.getByRole('listitem'), 'customers.csv').click({
    button: 'right'
  });
  await bob.locator('.lm-Menu-item', { hasText: /^Open With/ }).hover();
  await bob
    .locator('.lm-Menu-item', {
      has: bob.locator('.lm-Menu-itemLabel', { hasText: /^Editor$/ })
    })
    .filter({ visible: true })
    .first()
    .click();
  const editor = bob.locator('.jp-FileEditor .cm-content').filter({
    visible: true
  });
  await expect(editor).toContainText('acme');
  await editor.click();
  await bob.keyboard.press('ControlOrMeta+End');
  await bob.keyboard.type('umbrella,yes');
  // The command fails with the save (JupyterLab shows why in a dialog).
  await execute(bob, 'docmanager:save').catch(() => undefined);
  const saveError = bob.locator('.jp-Dialog');
  await expect(saveError).toContainText(
    'you are a reader of it and cannot change it'
  );
  await shot(bob, testInfo, 'bob-drive-save-refused');
  await saveError.getByRole('button', { name: 'Close' }).click();

  // ---- erin, a platform admin, reads the audit log -------------------------
  // From the Platform view, whose toolbar offers the audit view to admins.
  await fromPalette(erin, 'Platform Health');
  await erin
    .getByRole('button', { name: 'Audit Log' })
    .filter({ visible: true })
    .click();
  const audit = erin.locator('.kamld-Audit').filter({ visible: true });
  const filters = audit.getByRole('form', { name: 'Audit filters' });
  await filters.getByLabel('Dataset').fill(PRIVATE);
  await filters.getByRole('button', { name: 'Apply' }).click();
  const rows = audit.getByRole('row');
  const row = (who: string, method: string, outcome: string) =>
    rows
      .filter({ hasText: who })
      .filter({ hasText: method })
      .filter({ hasText: outcome });
  await expect(row('alice', 'CreateDataset', 'OK')).toHaveCount(1);
  // Made private, then shared with bob.
  await expect(row('alice', 'SetAccess', 'OK')).toHaveCount(2);
  // The upload and the drive's save (both WriteFile).
  await expect(row('bob', 'WriteFile', 'PERMISSION_DENIED')).toHaveCount(2);
  // His SQL naming it, answered as a missing dataset, is recorded as the denial it is.
  await expect(row('bob', 'ExecuteQuery', 'NOT_FOUND')).toHaveCount(1);
  await shot(erin, testInfo, 'erin-audit-dataset');
  expect(await seriousAxeViolations(erin, '.kamld-Audit')).toEqual([]);
  await filters.getByLabel('Dataset').fill('');
  await filters.getByLabel('User').fill('bob');
  await filters.getByLabel('Outcome').selectOption('PERMISSION_DENIED');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(row('bob', '', 'PERMISSION_DENIED')).toHaveCount(2);
  await expect(
    audit.getByRole('cell', { name: 'alice', exact: true })
  ).toHaveCount(0);
  await expect(
    audit.getByRole('cell', { name: 'OK', exact: true })
  ).toHaveCount(0);
  await shot(erin, testInfo, 'erin-audit-bob-denied');

  // ---- bob, no admin: no audit button in his Platform view, the palette keeps the audit view off;
  // opened anyway, it says no.
  await fromPalette(bob, 'Platform Health');
  await expect(
    bob.locator('#kamld-platform').getByRole('heading', { name: 'Platform' })
  ).toBeVisible();
  await expect(
    bob.getByRole('button', { name: 'Audit Log' }).filter({ visible: true })
  ).toHaveCount(0);
  await withPaletteItem(bob, 'Audit Log', item =>
    expect(item).toHaveClass(/lm-mod-disabled/, { timeout: 2_000 })
  );
  await bob.keyboard.press('Escape');
  await execute(bob, 'kamld:open-audit');
  const denied = bob
    .locator('.kamld-Audit')
    .filter({ visible: true })
    .getByRole('alert');
  await expect(denied).toContainText('Permission denied');
  await shot(bob, testInfo, 'bob-audit-denied');
});
