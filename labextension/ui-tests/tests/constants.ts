/** Values shared by playwright.config.ts and the tests. */

/** Jupyter's token in both test servers (loopback only, gone with the run). */
export const E2E_TOKEN = 'kamld-e2e-0123456789abcdef';

/** KAMLD_BINARY of the server whose sidecar cannot be found. */
export const MISSING_BINARY = '/nonexistent/kamld';
