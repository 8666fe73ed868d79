import { ServerConnection } from '@jupyterlab/services';

import { KamldClient, STATUS_PATH, SYSTEM_INFO_PATH } from '../api';
import { makeInfo, makeStatus } from './fixtures';

const BASE_URL = 'http://127.0.0.1:8888/user/alice/';

type FetchMock = jest.Mock<Promise<Response>, [RequestInfo, RequestInit?]>;

/** A client whose ServerConnection is real and whose fetch is the mock. */
/**
 * Requests the hanging-fetch test leaves pending. Node's Request follows the
 * caller's abort signal only through a weak reference, and a pending promise
 * chain is no GC root: unless something long-lived holds the request, it can
 * be collected before the timeout aborts it, and the test hangs instead.
 */
const HANGING: Request[] = [];

function clientWith(
  fetchMock: FetchMock,
  requestTimeoutMs?: number
): KamldClient {
  return new KamldClient({
    serverSettings: ServerConnection.makeSettings({
      baseUrl: BASE_URL,
      token: 'jupyter-token',
      fetch: fetchMock,
      Request,
      Headers
    }),
    requestTimeoutMs
  });
}

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

function requestOf(fetchMock: FetchMock): Request {
  expect(fetchMock).toHaveBeenCalledTimes(1);
  return fetchMock.mock.calls[0][0] as Request;
}

describe('KamldClient', () => {
  it('GETs kamld/status under base_url with Jupyter credentials', async () => {
    const fetchMock: FetchMock = jest.fn(async () =>
      jsonResponse(makeStatus())
    );
    const result = await clientWith(fetchMock).getStatus();

    expect(result).toEqual({ ok: true, value: makeStatus() });
    const request = requestOf(fetchMock);
    expect(request.url).toBe(`${BASE_URL}${STATUS_PATH}`);
    expect(request.method).toBe('GET');
    expect(request.cache).toBe('no-cache');
    expect(request.headers.get('Authorization')).toBe('token jupyter-token');
  });

  it('GETs GetInfo through the proxy route', async () => {
    const fetchMock: FetchMock = jest.fn(async () => jsonResponse(makeInfo()));
    const result = await clientWith(fetchMock).getSystemInfo();

    expect(result).toEqual({ ok: true, value: makeInfo() });
    expect(requestOf(fetchMock).url).toBe(
      'http://127.0.0.1:8888/user/alice/kamld/api/v1/system/info'
    );
    expect(SYSTEM_INFO_PATH).toBe('kamld/api/v1/system/info');
  });

  it("reports the proxy's google.rpc.Status when the sidecar is down", async () => {
    const fetchMock: FetchMock = jest.fn(async () =>
      jsonResponse(
        {
          code: 14,
          message: 'kamld sidecar is not running: binary not found',
          details: []
        },
        503
      )
    );
    const result = await clientWith(fetchMock).getSystemInfo();

    expect(result).toEqual({
      ok: false,
      failure: {
        kind: 'http',
        httpStatus: 503,
        grpcCode: 14,
        message: 'kamld sidecar is not running: binary not found'
      }
    });
  });

  it("keeps Jupyter's own error message for a 404", async () => {
    const fetchMock: FetchMock = jest.fn(async () =>
      jsonResponse({ message: 'Not Found', reason: null }, 404)
    );
    const result = await clientWith(fetchMock).getStatus();

    expect(result).toEqual({
      ok: false,
      failure: {
        kind: 'http',
        httpStatus: 404,
        grpcCode: undefined,
        message: 'Not Found'
      }
    });
  });

  it('falls back to the HTTP status for a non-JSON error page', async () => {
    const fetchMock: FetchMock = jest.fn(
      async () => new Response('<html>Bad gateway</html>', { status: 502 })
    );
    const result = await clientWith(fetchMock).getStatus();

    expect(result.ok).toBe(false);
    expect(!result.ok && result.failure).toMatchObject({
      kind: 'http',
      httpStatus: 502,
      message: 'HTTP 502'
    });
  });

  it('reports a refused connection as a network failure', async () => {
    const fetchMock: FetchMock = jest.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const result = await clientWith(fetchMock).getStatus();

    expect(result).toEqual({
      ok: false,
      failure: { kind: 'network', message: 'Failed to fetch' }
    });
  });

  it('gives up on a request that hangs, as a timeout', async () => {
    const fetchMock: FetchMock = jest.fn(
      (input: RequestInfo) =>
        new Promise<Response>((_, reject) => {
          HANGING.push(input as Request);
          (input as Request).signal.addEventListener('abort', () =>
            reject(new TypeError('aborted'))
          );
        })
    );
    const result = await clientWith(fetchMock, 20).getSystemInfo();

    expect(result.ok).toBe(false);
    expect(!result.ok && result.failure.kind).toBe('timeout');
    expect(HANGING).toHaveLength(1);
  });

  it('rejects a 200 whose body is not the contract shape', async () => {
    const fetchMock: FetchMock = jest.fn(async () =>
      jsonResponse({ hello: 'world' })
    );
    const result = await clientWith(fetchMock).getSystemInfo();

    expect(result).toEqual({
      ok: false,
      failure: {
        kind: 'invalid-response',
        httpStatus: 200,
        message: 'unexpected response from kamld/api/v1/system/info'
      }
    });
  });
});
