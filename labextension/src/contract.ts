/**
 * The JSON shapes the panel reads, as fixed by the kamld interface contract
 * (server extension `kamld/status` and the sidecar's `GET /v1/system/info`,
 * proxied under `kamld/api/`), with runtime guards.
 *
 * This module has no JupyterLab imports so that jest can test it directly.
 */

/** Lifecycle of the sidecar as the server extension reports it. */
export type SidecarProcessState =
  'starting' | 'running' | 'restarting' | 'failed' | 'stopped' | 'external';

/** `GET {base_url}kamld/status`. */
export interface IKamldStatus {
  /** `managed`: Jupyter runs the sidecar; `external`: it only connects to one. */
  mode: 'managed' | 'external';
  state: SidecarProcessState;
  /** Human-readable explanation of `state` written by the server extension. */
  message: string;
  /** Version of the Python server extension. */
  extensionVersion: string;
  /** Version reported by the running sidecar, `null` when none is running. */
  sidecarVersion: string | null;
  restarts: number;
  /** Resolved path of the managed binary, `null` when it could not be found. */
  binary: string | null;
}

/**
 * Health enum of `kamld.v1`, rendered as strings by the gateway.
 * Unknown future values are kept as plain strings rather than rejected.
 */
export type Health =
  | 'HEALTH_SERVING'
  | 'HEALTH_NOT_SERVING'
  | 'HEALTH_UNIMPLEMENTED'
  | 'HEALTH_UNSPECIFIED'
  | (string & Record<never, never>);

export interface IBuildInfo {
  commit: string;
  time: string;
  goVersion: string;
  platform: string;
}

/** One backend per capability (blob, index, sql, compute). */
export interface IBackendInfo {
  capability: string;
  backend: string;
  health: Health;
  message: string;
  location: string;
}

/** `GET {base_url}kamld/api/v1/system/info` (SystemService.GetInfo). */
export interface ISystemInfo {
  version: string;
  apiVersion: string;
  build: IBuildInfo;
  health: Health;
  backends: IBackendInfo[];
  capabilities: string[];
  startTime: string;
  identity: string;
  /** Whether the caller is a platform admin (single mode: always; shared mode: auth.admin_groups). */
  admin: boolean;
}

/** Why a request did not produce the expected JSON. */
export type ApiFailureKind =
  /** The request never got an HTTP answer (server down, connection refused). */
  | 'network'
  /** No answer within the client's time limit. */
  | 'timeout'
  /** An HTTP answer outside 2xx. */
  | 'http'
  /** A 2xx answer whose body is not the JSON the contract describes. */
  | 'invalid-response';

export interface IApiFailure {
  kind: ApiFailureKind;
  /** HTTP status, when there was an answer. */
  httpStatus?: number;
  /** gRPC code from a `google.rpc.Status` body, when the body was one. */
  grpcCode?: number;
  /** The server's own message (not translated), or the transport error. */
  message: string;
}

export type ApiResult<T> =
  { ok: true; value: T } | { ok: false; failure: IApiFailure };

/** gRPC codes the panel treats specially. */
export const GrpcCode = {
  Unavailable: 14,
  Unauthenticated: 16
} as const;

/** Health value of a capability that works. */
export const HEALTH_SERVING = 'HEALTH_SERVING';
export const HEALTH_NOT_SERVING = 'HEALTH_NOT_SERVING';
export const HEALTH_UNIMPLEMENTED = 'HEALTH_UNIMPLEMENTED';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

const PROCESS_STATES: ReadonlySet<string> = new Set<SidecarProcessState>([
  'starting',
  'running',
  'restarting',
  'failed',
  'stopped',
  'external'
]);

/**
 * Reads the server extension's status answer.
 *
 * `mode` and `state` are what the panel's decisions rest on, so they must be
 * valid; the descriptive fields fall back to empty values, so that a server
 * extension that leaves one out still gets a useful panel.
 */
export function parseKamldStatus(value: unknown): IKamldStatus | undefined {
  if (
    !isObject(value) ||
    (value.mode !== 'managed' && value.mode !== 'external') ||
    typeof value.state !== 'string' ||
    !PROCESS_STATES.has(value.state)
  ) {
    return undefined;
  }
  return {
    mode: value.mode,
    state: value.state as SidecarProcessState,
    message: stringOr(value.message, ''),
    extensionVersion: stringOr(value.extensionVersion, ''),
    sidecarVersion: stringOrNull(value.sidecarVersion),
    restarts: typeof value.restarts === 'number' ? value.restarts : 0,
    binary: stringOrNull(value.binary)
  };
}

function parseBackend(value: unknown): IBackendInfo | undefined {
  if (!isObject(value) || typeof value.capability !== 'string') {
    return undefined;
  }
  return {
    capability: value.capability,
    backend: stringOr(value.backend, ''),
    health: stringOr(value.health, 'HEALTH_UNSPECIFIED'),
    message: stringOr(value.message, ''),
    location: stringOr(value.location, '')
  };
}

/**
 * Reads GetInfo. proto3 JSON may omit empty fields depending on the gateway's
 * marshaller options, so only `version` and a well-formed `backends` list are
 * required; everything else defaults to empty.
 */
export function parseSystemInfo(value: unknown): ISystemInfo | undefined {
  if (!isObject(value) || typeof value.version !== 'string') {
    return undefined;
  }
  const rawBackends = value.backends ?? [];
  if (!Array.isArray(rawBackends)) {
    return undefined;
  }
  const backends = rawBackends.map(parseBackend);
  if (backends.some(backend => backend === undefined)) {
    return undefined;
  }
  const build = isObject(value.build) ? value.build : {};
  return {
    version: value.version,
    apiVersion: stringOr(value.apiVersion, ''),
    build: {
      commit: stringOr(build.commit, ''),
      time: stringOr(build.time, ''),
      goVersion: stringOr(build.goVersion, ''),
      platform: stringOr(build.platform, '')
    },
    health: stringOr(value.health, 'HEALTH_UNSPECIFIED'),
    backends: backends as IBackendInfo[],
    capabilities: Array.isArray(value.capabilities)
      ? value.capabilities.filter(
          (item): item is string => typeof item === 'string'
        )
      : [],
    startTime: stringOr(value.startTime, ''),
    identity: stringOr(value.identity, ''),
    admin: value.admin === true
  };
}

/**
 * Reads `{code, message}` from a `google.rpc.Status` JSON body (the sidecar's
 * and the proxy's error format); anything else yields `undefined`.
 */
export function parseRpcStatus(
  body: unknown
): { code: number; message: string } | undefined {
  if (
    isObject(body) &&
    typeof body.code === 'number' &&
    typeof body.message === 'string'
  ) {
    return { code: body.code, message: body.message };
  }
  return undefined;
}
