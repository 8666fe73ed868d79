/**
 * How the dataset views reach the sidecar: JSON requests through
 * ServerConnection.makeRequest, uploads through XMLHttpRequest (fetch has no
 * upload progress) with the same credentials Jupyter's own requests carry:
 * `Authorization: token …` when the page has a token, and the `_xsrf` cookie
 * echoed as `X-XSRFToken` (tornado's XSRF check for non-GET requests).
 */
import { ServerConnection } from '@jupyterlab/services';

import { httpFailure, IDatasetApiFailure, Transport } from './datasetApi';

export function jupyterTransport(
  settings: ServerConnection.ISettings
): Transport {
  return (url, init) => ServerConnection.makeRequest(url, init, settings);
}

/** The last `_xsrf` cookie, as ServerConnection reads it. */
function xsrfCookie(): string | undefined {
  let value: string | undefined;
  for (const part of document.cookie.split(';')) {
    const trimmed = part.trim();
    if (trimmed.startsWith('_xsrf=')) {
      value = decodeURIComponent(trimmed.slice('_xsrf='.length));
    }
  }
  return value;
}

export interface IUploadOptions {
  url: string;
  body: Blob;
  settings: ServerConnection.ISettings;
  onProgress?: (loaded: number, total: number) => void;
}

/** PUTs a raw body; resolves with `null` on success or the failure. */
export function uploadWithProgress(
  options: IUploadOptions
): Promise<IDatasetApiFailure | null> {
  return new Promise(resolve => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', options.url);
    if (options.settings.token) {
      xhr.setRequestHeader('Authorization', `token ${options.settings.token}`);
    }
    const xsrf = xsrfCookie();
    if (xsrf !== undefined) {
      xhr.setRequestHeader('X-XSRFToken', xsrf);
    }
    xhr.setRequestHeader(
      'Content-Type',
      options.body.type || 'application/octet-stream'
    );
    xhr.upload.onprogress = event => {
      options.onProgress?.(
        event.loaded,
        event.lengthComputable ? event.total : options.body.size
      );
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(options.body.size, options.body.size);
        resolve(null);
        return;
      }
      let payload: unknown;
      try {
        payload = JSON.parse(xhr.responseText);
      } catch {
        payload = undefined;
      }
      resolve(
        httpFailure({ status: xhr.status, statusText: xhr.statusText }, payload)
      );
    };
    xhr.onerror = () =>
      resolve({
        kind: 'network',
        message: 'upload failed: no answer from the server',
        fieldViolations: []
      });
    xhr.send(options.body);
  });
}
