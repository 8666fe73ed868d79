/**
 * Version of this frontend extension, compared with the sidecar's and the
 * server extension's. A jest test keeps it equal to package.json's version
 * (importing package.json would pull it outside tsc's rootDir).
 */
export const EXTENSION_VERSION = '0.1.0';
