/** Shared sample answers, shaped exactly as in the interface contract. */
import { IKamldStatus, ISystemInfo } from '../contract';
import { IDataset } from '../datasetApi';
import { ITranslate } from '../connectionState';

export function makeStatus(
  overrides: Partial<IKamldStatus> = {}
): IKamldStatus {
  return {
    mode: 'managed',
    state: 'running',
    message: 'kamld is running',
    extensionVersion: '0.1.0',
    sidecarVersion: '0.1.0',
    restarts: 0,
    binary: '/opt/kamld/bin/kamld',
    ...overrides
  };
}

export function makeInfo(overrides: Partial<ISystemInfo> = {}): ISystemInfo {
  return {
    version: '0.1.0',
    apiVersion: 'kamld.v1',
    build: {
      commit: 'abc123',
      time: '2026-11-23T12:00:00Z',
      goVersion: 'go1.26.8',
      platform: 'linux/amd64'
    },
    health: 'HEALTH_SERVING',
    backends: [
      {
        capability: 'blob',
        backend: 'fs',
        health: 'HEALTH_SERVING',
        message: '',
        location: '/data/blobs'
      },
      {
        capability: 'index',
        backend: 'bleve',
        health: 'HEALTH_UNIMPLEMENTED',
        message: 'search arrives with issue #4',
        location: ''
      }
    ],
    capabilities: ['system'],
    startTime: '2026-11-23T12:00:00Z',
    identity: 'alice',
    admin: false,
    ...overrides
  };
}

/**
 * Stands in for a TranslationBundle: substitutes %1, %2… like JupyterLab's
 * null translator, so tests read the sentences users read.
 */
export const trans: ITranslate = {
  __(msgid: string, ...args: unknown[]): string {
    return msgid.replace(/%(\d+)/g, (_, index: string) =>
      String(args[Number(index) - 1])
    );
  }
};

/** A dataset as the API client parses it: empty but for its id and `overrides`. */
export function makeDataset(
  id: string,
  overrides: Partial<IDataset> = {}
): IDataset {
  return {
    name: `datasets/${id}`,
    id,
    description: '',
    tags: [],
    labels: {},
    owner: '',
    createTime: '',
    updateTime: '',
    stats: { fileCount: 0, totalBytes: 0, rowCount: 0 },
    headSnapshot: '',
    snapshotCount: 0,
    hasDraftChanges: false,
    etag: '',
    ...overrides
  };
}
