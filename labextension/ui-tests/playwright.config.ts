/**
 * End-to-end tests of the Datasets panel: a real JupyterLab with the kamld
 * extension installed (`make venv`), a real `kamld` sidecar, Debian's
 * Chromium (no browser download).
 *
 * Two JupyterLab servers run side by side, one project each:
 *   connected       — managed sidecar from KAMLD_BINARY (default ../../bin/kamld)
 *   binary-missing  — KAMLD_BINARY=/nonexistent/kamld, so the panel must explain
 *
 * With KAMLD_E2E_HUB=1 (make test-hub-e2e) only the `hub` project runs: a
 * real JupyterHub, one shared kamld and the JupyterLab servers of alice, bob
 * and erin, started by tests/hub/serve.py (the pytest harness's Hub).
 *
 * Playwright loads this file in the runner and again in every worker, so the
 * ports and temp dirs picked on the first load are handed on through the
 * environment (workers inherit it); otherwise each process would pick its own.
 */
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

import { E2E_TOKEN, MISSING_BINARY } from './tests/constants';

/** A port nobody listens on right now (asked of the OS in a child process, as config loading is synchronous). */
function freePort(): string {
  return execFileSync(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close();})"
    ],
    { encoding: 'utf8' }
  ).trim();
}

/** Reads `name` from the environment, computing and exporting it on first use. */
function shared(name: string, compute: () => string): string {
  const existing = process.env[name];
  if (existing) {
    return existing;
  }
  const value = compute();
  process.env[name] = value;
  return value;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `jupyter` from PATH (the Makefile puts .venv/bin first), else the repository's venv. */
function findJupyter(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'jupyter'))) {
      return join(dir, 'jupyter');
    }
  }
  return resolve(__dirname, '../../.venv/bin/jupyter');
}

/**
 * JupyterLab user settings for a fresh profile: no news or update prompts
 * (they would cover the panel in screenshots and make network calls).
 */
function writeQuietLabSettings(settingsDir: string): void {
  const dir = join(settingsDir, '@jupyterlab', 'apputils-extension');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'notification.jupyterlab-settings'),
    JSON.stringify({ checkForUpdates: false, fetchNews: 'false' })
  );
}

interface ILabServer {
  port: string;
  /** Extra environment of this JupyterLab (and so of its sidecar). */
  env: Record<string, string>;
}

/** The command and environment of one isolated JupyterLab (own root, runtime, settings and data dirs). */
function labServer(name: string, server: ILabServer) {
  const home = join(runDir, name);
  const dirs = {
    root: join(home, 'notebooks'),
    runtime: join(home, 'runtime'),
    config: join(home, 'jupyter-config'),
    settings: join(home, 'lab-settings'),
    workspaces: join(home, 'lab-workspaces'),
    data: join(home, 'kamld-data')
  };
  if (isFirstLoad) {
    for (const dir of Object.values(dirs)) {
      mkdirSync(dir, { recursive: true });
    }
    writeQuietLabSettings(dirs.settings);
  }
  const args = [
    'lab',
    '--no-browser',
    // CI containers often run as root; Jupyter refuses that unless told.
    '--allow-root',
    '--ip=127.0.0.1',
    `--port=${server.port}`,
    '--ServerApp.port_retries=0',
    `--IdentityProvider.token=${E2E_TOKEN}`,
    `--ServerApp.root_dir=${dirs.root}`,
    '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'
  ];
  return {
    command: [jupyter, ...args].map(shellQuote).join(' '),
    url: `http://127.0.0.1:${server.port}/api`,
    reuseExistingServer: false,
    timeout: 120_000,
    // SIGTERM lets Jupyter stop its managed sidecar; a SIGKILL could orphan it.
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 15_000 },
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      ...clearedKamldEnv(process.env),
      // No ~/.jupyter config (a c.Kamld.url there would switch to external mode).
      JUPYTER_CONFIG_DIR: dirs.config,
      JUPYTER_RUNTIME_DIR: dirs.runtime,
      JUPYTERLAB_SETTINGS_DIR: dirs.settings,
      JUPYTERLAB_WORKSPACES_DIR: dirs.workspaces,
      KAMLD_DATA_DIR: dirs.data,
      ...server.env
    }
  };
}

/**
 * Blanks the caller's own KAMLD_* settings (KAMLD_URL or KAMLD_MODE would
 * change what is under test; the server extension ignores empty values).
 * Playwright always passes the runner's environment on, so unsetting is not
 * an option; each server then sets its own values over these.
 */
function clearedKamldEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const cleared: Record<string, string> = {};
  for (const key of Object.keys(env)) {
    if (/^KAMLD_(?!E2E_)/.test(key)) {
      cleared[key] = '';
    }
  }
  return cleared;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word)
    ? word
    : `'${word.replace(/'/g, "'\\''")}'`;
}

/** Only the runner's first load creates dirs; workers reuse them (and must not recreate them after teardown). */
const isFirstLoad = !process.env.KAMLD_E2E_RUN_DIR;
const runDir = shared('KAMLD_E2E_RUN_DIR', () =>
  mkdtempSync(join(tmpdir(), 'kamld-e2e-'))
);
const connectedPort = shared('KAMLD_E2E_PORT', freePort);
const missingBinaryPort = shared('KAMLD_E2E_MISSING_BINARY_PORT', freePort);
// The Platform view's outage test: a JupyterLab whose sidecar indexes into a real Elasticsearch, which
// es-control (sidecar/internal/testserver/cmd/es-control) runs on a fixed port and stops and starts on request.
const platformPort = shared('KAMLD_E2E_PLATFORM_PORT', freePort);
const esPort = shared('KAMLD_E2E_ES_PORT', freePort);
const esControlPort = shared('KAMLD_E2E_ES_CONTROL_PORT', freePort);
// KAMLD_E2E_PLATFORM=0 leaves them out (the wheel's test runs only the `connected` project).
const withPlatform = process.env.KAMLD_E2E_PLATFORM !== '0';
const esControl = resolve(
  process.env.KAMLD_E2E_ES_CONTROL ||
    resolve(__dirname, '../../bin/kamld-es-control')
);
const kamldBinary = resolve(
  process.env.KAMLD_BINARY || resolve(__dirname, '../../bin/kamld')
);
const jupyter = findJupyter();
const chromium = process.env.KAMLD_E2E_CHROMIUM || '/usr/bin/chromium';

/** es-control (first, so the platform sidecar finds Elasticsearch up) and the platform JupyterLab. */
function platformServers() {
  return [
    {
      // Elasticsearch starts in 15-60 s.
      command: [
        esControl,
        `-es=127.0.0.1:${esPort}`,
        `-control=127.0.0.1:${esControlPort}`
      ]
        .map(shellQuote)
        .join(' '),
      url: `http://127.0.0.1:${esControlPort}/ready`,
      reuseExistingServer: false,
      timeout: 300_000,
      gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 40_000 },
      stdout: 'ignore' as const,
      stderr: 'pipe' as const
    },
    labServer('platform', {
      port: platformPort,
      env: {
        KAMLD_BINARY: kamldBinary,
        KAMLD_INDEX_BACKEND: 'elasticsearch',
        KAMLD_INDEX_ELASTICSEARCH_URLS: `http://127.0.0.1:${esPort}`
      }
    })
  ];
}

// The two-user JupyterHub test: the Hub's port, the launcher's readiness port and the users' password.
const withHub = process.env.KAMLD_E2E_HUB === '1';
const hubPort = withHub ? shared('KAMLD_E2E_HUB_PORT', freePort) : '';
const hubReadyPort = withHub
  ? shared('KAMLD_E2E_HUB_READY_PORT', freePort)
  : '';
// Workers inherit it: the test signs in with it.
const hubPassword = withHub
  ? shared('KAMLD_E2E_HUB_PASSWORD', () => randomBytes(12).toString('hex'))
  : '';

/** tests/hub/serve.py: the Hub, the shared kamld and the users' servers; ready once all are up. */
function hubServer() {
  const labextension = resolve(__dirname, '..');
  return {
    command: [
      join(dirname(jupyter), 'python'),
      '-m',
      'tests.hub.serve',
      `--port=${hubPort}`,
      `--ready-port=${hubReadyPort}`,
      `--password=${hubPassword}`,
      `--workdir=${join(runDir, 'hub')}`
    ]
      .map(shellQuote)
      .join(' '),
    cwd: labextension,
    url: `http://127.0.0.1:${hubReadyPort}/ready`,
    reuseExistingServer: false,
    // Three JupyterLab servers start at once on a busy 2-core machine.
    timeout: 240_000,
    gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 40_000 },
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: { ...clearedKamldEnv(process.env), KAMLD_BINARY: kamldBinary }
  };
}

const hubProject = {
  name: 'hub',
  testMatch: 'hub.spec.ts',
  use: { baseURL: `http://127.0.0.1:${hubPort}` }
};

const config = defineConfig({
  testDir: './tests',
  // The hub run has folders of its own: make test runs it beside the other Playwright run, and each run
  // empties its output folder when it starts.
  outputDir: withHub ? './test-results-hub' : './test-results',
  // Both servers and a browser share a 2-core machine: one worker per project.
  workers: 2,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 30_000 },
  reporter: [
    ['list'],
    [
      'html',
      {
        outputFolder: withHub ? 'artefacts/report-hub' : 'artefacts/report',
        open: 'never'
      }
    ]
  ],
  globalTeardown: './globalTeardown.ts',
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 960 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  projects: [
    {
      name: 'connected',
      testMatch: 'connected.spec.ts',
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    {
      // The same JupyterLab as `connected`, after it: that project kills the
      // sidecar, which must not happen in the middle of these tests.
      name: 'datasets',
      testMatch: [
        'datasets.spec.ts',
        'preview.spec.ts',
        'previewRef.spec.ts',
        'live.spec.ts'
      ],
      dependencies: ['connected'],
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    {
      // Jobs run by the same managed sidecar, after the crash test of `connected`.
      name: 'jobs',
      testMatch: 'jobs.spec.ts',
      dependencies: ['connected'],
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    {
      // Pipelines run by the same managed sidecar (each step a job), after the crash test of `connected`.
      name: 'pipelines',
      testMatch: 'pipelines.spec.ts',
      dependencies: ['connected'],
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    {
      // Searches the sample datasets of the same JupyterLab, after `connected`
      // (which kills its sidecar); it only reads, so it may run beside `datasets`.
      name: 'search',
      testMatch: 'search.spec.ts',
      dependencies: ['connected'],
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    {
      // The kamld: drive (writes its own dataset, reads the samples); it takes
      // a dark screenshot too, so it runs after the projects above and before
      // `commands`, never beside a screenshot of theirs.
      name: 'drive',
      testMatch: 'drive.spec.ts',
      dependencies: ['datasets', 'jobs', 'search'],
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    {
      // Switches the theme (a user setting of the same JupyterLab): after
      // every other project of that server, so no screenshot of theirs turns dark.
      name: 'commands',
      testMatch: 'commands.spec.ts',
      dependencies: ['drive', 'pipelines'],
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    ...(withPlatform
      ? [
          {
            name: 'platform',
            testMatch: 'platform.spec.ts',
            use: { baseURL: `http://127.0.0.1:${platformPort}` }
          }
        ]
      : []),
    {
      // A day in the workbench, light then dark: switches the theme too, so after `commands`.
      name: 'workbench',
      testMatch: 'workbench.spec.ts',
      dependencies: ['commands'],
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    {
      // make bench-panel only (KAMLD_E2E_BENCH): 1,000 datasets would slow every other test of the server.
      name: 'bench',
      testMatch: 'benchPanel.spec.ts',
      dependencies: ['workbench'],
      use: { baseURL: `http://127.0.0.1:${connectedPort}` }
    },
    {
      name: 'binary-missing',
      testMatch: 'binaryMissing.spec.ts',
      use: { baseURL: `http://127.0.0.1:${missingBinaryPort}` }
    }
  ],
  webServer: [
    ...(withPlatform ? platformServers() : []),
    labServer('connected', {
      port: connectedPort,
      env: { KAMLD_BINARY: kamldBinary }
    }),
    labServer('binary-missing', {
      port: missingBinaryPort,
      env: { KAMLD_BINARY: MISSING_BINARY }
    })
  ]
});

// make test-hub-e2e: only the Hub's project and servers.
export default withHub
  ? { ...config, projects: [hubProject], webServer: [hubServer()] }
  : config;
