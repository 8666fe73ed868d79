/**
 * The panel's only way to the server: typed GETs against the kamld server
 * extension, through Jupyter's own ServerConnection (so Jupyter's auth token,
 * XSRF cookie and base_url all apply).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  ApiResult,
  IKamldStatus,
  ISystemInfo,
  parseKamldStatus,
  parseRpcStatus,
  parseSystemInfo
} from './contract';

/** Route of the server extension's own status (not proxied). */
export const STATUS_PATH = 'kamld/status';
/** GetInfo, proxied by the server extension to the sidecar's REST gateway. */
export const SYSTEM_INFO_PATH = 'kamld/api/v1/system/info';

/**
 * A poll must not hang on a request that never returns (a stopped process
 * that keeps its socket open); such a request counts as a failure instead.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface IKamldClientOptions {
  serverSettings?: ServerConnection.ISettings;
  requestTimeoutMs?: number;
}

export class KamldClient {
  constructor(options: IKamldClientOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._requestTimeoutMs =
      options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  readonly serverSettings: ServerConnection.ISettings;

  /** The server extension's view of the sidecar process. */
  getStatus(): Promise<ApiResult<IKamldStatus>> {
    return this._getJson(STATUS_PATH, parseKamldStatus);
  }

  /** SystemService.GetInfo: versions, build, health of every backend. */
  getSystemInfo(): Promise<ApiResult<ISystemInfo>> {
    return this._getJson(SYSTEM_INFO_PATH, parseSystemInfo);
  }

  private async _getJson<T>(
    path: string,
    parse: (body: unknown) => T | undefined
  ): Promise<ApiResult<T>> {
    const url = URLExt.join(this.serverSettings.baseUrl, path);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this._requestTimeoutMs);
    let response: Response;
    let body: unknown;
    try {
      response = await ServerConnection.makeRequest(
        url,
        // Jupyter's default `cache: 'no-store'` makes ServerConnection append
        // a cache-busting `?<timestamp>`, which the proxy would pass on to the
        // sidecar's gateway as an unknown query parameter. `no-cache` keeps
        // answers fresh (the browser always revalidates) with a clean URL.
        { method: 'GET', cache: 'no-cache', signal: timeout.signal },
        this.serverSettings
      );
      body = await readJsonBody(response);
    } catch (error) {
      return {
        ok: false,
        failure: {
          kind: timeout.signal.aborted ? 'timeout' : 'network',
          message: errorMessage(error)
        }
      };
    } finally {
      clearTimeout(timer);
    }

    if (!response.ok) {
      const rpcStatus = parseRpcStatus(body);
      return {
        ok: false,
        failure: {
          kind: 'http',
          httpStatus: response.status,
          grpcCode: rpcStatus?.code,
          message:
            rpcStatus?.message ||
            jupyterErrorMessage(body) ||
            response.statusText ||
            `HTTP ${response.status}`
        }
      };
    }
    const value = parse(body);
    if (value === undefined) {
      return {
        ok: false,
        failure: {
          kind: 'invalid-response',
          httpStatus: response.status,
          message: `unexpected response from ${path}`
        }
      };
    }
    return { ok: true, value };
  }

  private readonly _requestTimeoutMs: number;
}

/** The body as JSON, or `undefined` when it is empty or not JSON. */
async function readJsonBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Jupyter's own error pages carry `{"message": ...}` (tornado APIHandler). */
function jupyterErrorMessage(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
