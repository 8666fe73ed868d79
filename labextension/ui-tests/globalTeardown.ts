/**
 * Removes the run's temp dirs (JupyterLab roots, runtime dirs, sidecar data)
 * that playwright.config.ts created.
 */
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const runDir = process.env.KAMLD_E2E_RUN_DIR;
  if (runDir && runDir.includes('kamld-e2e-')) {
    rmSync(runDir, { recursive: true, force: true });
  }
}
