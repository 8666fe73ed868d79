/**
 * What the typed sidecar clients (datasetApi, searchApi, jobApi) share: one
 * JSON request through Jupyter's proxy, and the decoding of its failures —
 * network errors, google.rpc.Status bodies with their ErrorInfo reason and
 * BadRequest field violations, and answers the parser does not recognise.
 *
 * No JupyterLab imports, like the clients: the transport is handed in.
 */
import type {
  DatasetResult,
  IDatasetApiFailure,
  IFieldViolation,
  Transport
} from './apiTypes';

/** Prefix of every proxied sidecar route, relative to Jupyter's base_url. */
export const API_PREFIX = 'kamld/api/';

/** Joins Jupyter's base URL, the proxy prefix and a sidecar route. */
export function proxiedUrl(baseUrl: string, route: string): string {
  return `${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}${API_PREFIX}${route}`;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The strings of a JSON array (anything else dropped); [] when it is not an array. */
export function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

/** The parsed JSON, or `undefined` when the text is not JSON (e.g. a proxy's HTML error page). */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The failure of a request that got no answer. */
export function networkFailure(error: unknown): IDatasetApiFailure {
  return {
    kind: 'network',
    message: error instanceof Error ? error.message : String(error),
    fieldViolations: []
  };
}

/**
 * Reads a google.rpc.Status error body with its ErrorInfo reason and
 * BadRequest field violations.
 */
export function parseErrorBody(body: unknown):
  | {
      code: number;
      message: string;
      reason?: string;
      fieldViolations: IFieldViolation[];
    }
  | undefined {
  if (
    !isObject(body) ||
    typeof body.code !== 'number' ||
    typeof body.message !== 'string'
  ) {
    return undefined;
  }
  let reason: string | undefined;
  const fieldViolations: IFieldViolation[] = [];
  for (const detail of Array.isArray(body.details) ? body.details : []) {
    if (!isObject(detail)) {
      continue;
    }
    const type = str(detail['@type']);
    if (type.endsWith('google.rpc.ErrorInfo') && !reason) {
      reason = str(detail.reason) || undefined;
    } else if (type.endsWith('google.rpc.BadRequest')) {
      for (const violation of Array.isArray(detail.fieldViolations)
        ? detail.fieldViolations
        : []) {
        if (isObject(violation)) {
          fieldViolations.push({
            field: str(violation.field),
            description: str(violation.description)
          });
        }
      }
    }
  }
  return { code: body.code, message: body.message, reason, fieldViolations };
}

/** The failure of a non-2xx answer, from its google.rpc.Status body if any. */
export function httpFailure(
  response: { status: number; statusText: string },
  payload: unknown
): IDatasetApiFailure {
  const status = parseErrorBody(payload);
  const jupyterMessage =
    isObject(payload) && typeof payload.message === 'string'
      ? payload.message
      : undefined;
  return {
    kind: 'http',
    httpStatus: response.status,
    grpcCode: status?.code,
    reason: status?.reason,
    fieldViolations: status?.fieldViolations ?? [],
    details:
      isObject(payload) && Array.isArray(payload.details)
        ? payload.details
        : undefined,
    message:
      status?.message ||
      jupyterMessage ||
      response.statusText ||
      `HTTP ${response.status}`
  };
}

/** Sends one JSON request to a sidecar route: see requestJson. */
export type JsonRequester = <T>(
  method: string,
  route: string,
  body: unknown,
  parse: (body: unknown) => T | undefined
) => Promise<DatasetResult<T>>;

/** A requestJson bound to one transport and base URL, for a client's methods. */
export function jsonRequester(
  transport: Transport,
  baseUrl: string
): JsonRequester {
  return (method, route, body, parse) =>
    requestJson(transport, baseUrl, method, route, body, parse);
}

/**
 * Sends a JSON request (no body when `body` is `undefined`) to a sidecar route
 * through Jupyter's proxy and parses the answer. It never rejects for the
 * server's sake: no answer, a non-2xx answer and an answer the parser does not
 * recognise each resolve as a failure.
 */
export async function requestJson<T>(
  transport: Transport,
  baseUrl: string,
  method: string,
  route: string,
  body: unknown,
  parse: (body: unknown) => T | undefined
): Promise<DatasetResult<T>> {
  let response: Response;
  let payload: unknown;
  try {
    response = await transport(proxiedUrl(baseUrl, route), {
      method,
      // See api.ts: `no-store` would append a cache-busting query parameter.
      cache: 'no-cache',
      body: body === undefined ? undefined : JSON.stringify(body),
      headers:
        body === undefined ? undefined : { 'Content-Type': 'application/json' }
    });
    const text = await response.text();
    payload = text ? safeJson(text) : undefined;
  } catch (error) {
    return { ok: false, failure: networkFailure(error) };
  }
  if (!response.ok) {
    return { ok: false, failure: httpFailure(response, payload) };
  }
  const value = parse(payload);
  if (value === undefined) {
    return {
      ok: false,
      failure: {
        kind: 'invalid-response',
        httpStatus: response.status,
        message: `unexpected response from ${route}`,
        fieldViolations: []
      }
    };
  }
  return { ok: true, value };
}
