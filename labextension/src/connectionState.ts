/**
 * Turns what the server said (status + GetInfo) into what the panel shows:
 * one state, a title, and the detail lines that say what is wrong and how to
 * fix it.
 *
 * Pure and free of JupyterLab imports so that every branch is unit-tested;
 * translation is passed in as a `trans` bundle with JupyterLab's `__` shape.
 */
import {
  ApiResult,
  GrpcCode,
  HEALTH_NOT_SERVING,
  HEALTH_SERVING,
  HEALTH_UNIMPLEMENTED,
  IApiFailure,
  IBackendInfo,
  IKamldStatus,
  ISystemInfo
} from './contract';

/** The translation calls this module needs; a TranslationBundle fits. */
export interface ITranslate {
  __(msgid: string, ...args: unknown[]): string;
}

export enum ConnectionState {
  /** Nothing heard yet. */
  Checking = 'checking',
  /** Sidecar reachable, serving, same version as the extension. */
  Connected = 'connected',
  /** Sidecar reachable but it or one of its backends is not serving. */
  Unhealthy = 'unhealthy',
  /** Sidecar reachable and serving, but its version differs from ours. */
  VersionMismatch = 'version-mismatch',
  /** The server extension is (re)starting the managed sidecar. */
  Starting = 'starting',
  /** Managed mode, and no kamld binary could be found. */
  BinaryNotFound = 'binary-not-found',
  /** The managed sidecar exited or gave up restarting. */
  SidecarFailed = 'sidecar-failed',
  /** The server extension is up but the sidecar does not answer. */
  SidecarUnreachable = 'sidecar-unreachable',
  /** The sidecar answers but rejects the token the server extension holds. */
  Unauthorized = 'unauthorized',
  /** Jupyter answers, but without the kamld server extension. */
  ServerExtensionMissing = 'server-extension-missing',
  /** The Jupyter server itself does not answer (or answers with an error). */
  ServerUnreachable = 'server-unreachable'
}

/**
 * How a state or a backend is doing. `inactive`: a capability this release
 * does not provide yet, which is neither a fault nor something in progress.
 */
export type Severity = 'ok' | 'pending' | 'inactive' | 'warning' | 'error';

export interface ILabeledValue {
  label: string;
  value: string;
}

export interface IBackendRow {
  capability: string;
  backend: string;
  /** Translated, e.g. "Serving". */
  healthLabel: string;
  severity: Severity;
  message: string;
  location: string;
}

export interface IConnectionViewModel {
  state: ConnectionState;
  severity: Severity;
  title: string;
  /** Sentences explaining the state; the fix comes last. */
  details: string[];
  /** Versions of the three parts, as far as they are known. */
  versions: ILabeledValue[];
  /** Facts about the running sidecar (empty when it is not reachable). */
  sidecar: ILabeledValue[];
  backends: IBackendRow[];
  /**
   * Whether the sidecar answered. The poller backs off while it does not, and
   * returns to its normal pace as soon as it does.
   */
  reachable: boolean;
}

export interface IConnectionInput {
  /** Version of this frontend extension (package.json). */
  extensionVersion: string;
  /** `undefined` until the first answer. */
  status?: ApiResult<IKamldStatus>;
  info?: ApiResult<ISystemInfo>;
}

const SEVERITY: Record<ConnectionState, Severity> = {
  [ConnectionState.Checking]: 'pending',
  [ConnectionState.Connected]: 'ok',
  [ConnectionState.Unhealthy]: 'error',
  [ConnectionState.VersionMismatch]: 'warning',
  [ConnectionState.Starting]: 'pending',
  [ConnectionState.BinaryNotFound]: 'error',
  [ConnectionState.SidecarFailed]: 'error',
  [ConnectionState.SidecarUnreachable]: 'error',
  [ConnectionState.Unauthorized]: 'error',
  [ConnectionState.ServerExtensionMissing]: 'error',
  [ConnectionState.ServerUnreachable]: 'error'
};

/** Builds the view model; see the ConnectionState docs for each outcome. */
export function describeConnection(
  input: IConnectionInput,
  trans: ITranslate
): IConnectionViewModel {
  const { status, info } = input;
  const versions = describeVersions(input, trans);

  if (status === undefined) {
    return make(ConnectionState.Checking, {
      title: trans.__('Checking the kamld sidecar…'),
      versions
    });
  }
  if (!status.ok) {
    return describeServerFailure(status.failure, versions, trans);
  }
  if (info?.ok) {
    return describeReachableSidecar(input, status.value, info.value, trans);
  }
  return describeMissingSidecar(status.value, info, versions, trans);
}

/** The kamld/status request itself failed: Jupyter-side trouble. */
function describeServerFailure(
  failure: IApiFailure,
  versions: ILabeledValue[],
  trans: ITranslate
): IConnectionViewModel {
  if (failure.kind === 'http' && failure.httpStatus === 404) {
    return make(ConnectionState.ServerExtensionMissing, {
      title: trans.__('The kamld server extension is not enabled'),
      details: [
        trans.__(
          'Jupyter answered 404 for kamld/status: the panel is installed but the server extension is not running.'
        ),
        trans.__(
          'Run "jupyter server extension enable kamld" (or reinstall with "pip install kamld") and restart JupyterLab.'
        )
      ],
      versions
    });
  }
  if (failure.kind === 'http') {
    const details = [
      trans.__(
        'Jupyter answered HTTP %1 for kamld/status: %2',
        failure.httpStatus,
        failure.message
      )
    ];
    if (failure.httpStatus === 401 || failure.httpStatus === 403) {
      details.push(
        trans.__('Your Jupyter session may have expired: reload the page.')
      );
    } else {
      details.push(
        trans.__('The JupyterLab server log has the server-side error.')
      );
    }
    return make(ConnectionState.ServerUnreachable, {
      title: trans.__('The Jupyter server could not report kamld status'),
      details,
      versions
    });
  }
  return make(ConnectionState.ServerUnreachable, {
    title: trans.__('The Jupyter server is not reachable'),
    details: [
      failure.kind === 'timeout'
        ? trans.__('No answer from the Jupyter server in time.')
        : trans.__('No answer from the Jupyter server: %1', failure.message),
      trans.__(
        'Check that JupyterLab is still running; this panel reconnects on its own.'
      )
    ],
    versions
  });
}

/** The server extension answered, GetInfo did not. */
function describeMissingSidecar(
  status: IKamldStatus,
  info: ApiResult<ISystemInfo> | undefined,
  versions: ILabeledValue[],
  trans: ITranslate
): IConnectionViewModel {
  const failure = info && !info.ok ? info.failure : undefined;
  const serverSays = status.message
    ? [trans.__('The server extension reports: %1', status.message)]
    : [];

  if (status.state === 'starting' || status.state === 'restarting') {
    const details = [...serverSays];
    if (status.state === 'restarting') {
      details.push(
        trans.__(
          'The sidecar stopped unexpectedly and is being restarted (restart %1).',
          status.restarts
        )
      );
    }
    return make(ConnectionState.Starting, {
      title:
        status.state === 'restarting'
          ? trans.__('Restarting the kamld sidecar…')
          : trans.__('Starting the kamld sidecar…'),
      details,
      versions,
      // Starting is expected to end soon: keep polling at the normal pace.
      reachable: true
    });
  }

  if (
    status.mode === 'managed' &&
    status.binary === null &&
    status.state === 'failed'
  ) {
    return make(ConnectionState.BinaryNotFound, {
      title: trans.__('The kamld sidecar binary was not found'),
      details: [
        // The server's message names the path it tried; without one, say
        // where Jupyter looks.
        ...(serverSays.length > 0
          ? serverSays
          : [
              trans.__(
                'Jupyter looked at c.Kamld.binary / KAMLD_BINARY, the kamld package and PATH.'
              )
            ]),
        trans.__(
          'Install kamld, or point Jupyter at the binary: set the KAMLD_BINARY environment variable or c.Kamld.binary in jupyter_server_config.py, then restart JupyterLab.'
        )
      ],
      versions
    });
  }

  if (status.state === 'failed' || status.state === 'stopped') {
    const details = [...serverSays];
    if (status.binary) {
      details.push(trans.__('Binary: %1', status.binary));
    }
    if (status.restarts > 0) {
      details.push(
        trans.__('It was restarted %1 times before giving up.', status.restarts)
      );
    }
    details.push(
      trans.__(
        "The JupyterLab server log has the sidecar's output; restart JupyterLab once the cause is fixed."
      )
    );
    return make(ConnectionState.SidecarFailed, {
      title:
        status.state === 'failed'
          ? trans.__('The kamld sidecar failed')
          : trans.__('The kamld sidecar is stopped'),
      details,
      versions
    });
  }

  if (
    failure &&
    (failure.grpcCode === GrpcCode.Unauthenticated ||
      failure.httpStatus === 401)
  ) {
    return make(ConnectionState.Unauthorized, {
      title: trans.__('The kamld sidecar rejected the token'),
      details: [
        trans.__('The sidecar says: %1', failure.message),
        status.mode === 'external'
          ? trans.__(
              'Set KAMLD_TOKEN (or KAMLD_TOKEN_FILE, c.Kamld.token) to the token the sidecar was started with, then restart JupyterLab.'
            )
          : trans.__(
              'Restart JupyterLab: it starts the sidecar with a fresh token.'
            )
      ],
      versions
    });
  }

  // running or external, yet GetInfo failed (or has not been asked yet).
  const details = [...serverSays];
  if (failure) {
    details.push(describeFailure(failure, trans));
  }
  details.push(
    status.mode === 'external'
      ? trans.__(
          'Check that the sidecar at KAMLD_URL (c.Kamld.url) is running; this panel reconnects on its own.'
        )
      : trans.__(
          'Jupyter restarts a managed sidecar by itself; this panel reconnects on its own.'
        )
  );
  return make(ConnectionState.SidecarUnreachable, {
    title:
      status.mode === 'external'
        ? trans.__('The external kamld sidecar is not reachable')
        : trans.__('The kamld sidecar is not reachable'),
    details,
    versions
  });
}

/** GetInfo answered: connected, possibly unhealthy or of another version. */
function describeReachableSidecar(
  input: IConnectionInput,
  status: IKamldStatus,
  info: ISystemInfo,
  trans: ITranslate
): IConnectionViewModel {
  const versions = describeVersions(input, trans);
  const sidecar = describeSidecar(status, info, trans);
  const backends = info.backends.map(backend =>
    describeBackend(backend, trans)
  );
  const mismatch = describeVersionMismatch(
    input.extensionVersion,
    status,
    info,
    trans
  );
  const common = { versions, sidecar, backends, reachable: true };

  const failingBackends = info.backends.filter(
    backend => backend.health === HEALTH_NOT_SERVING
  );
  if (info.health !== HEALTH_SERVING || failingBackends.length > 0) {
    const details = failingBackends.map(backend =>
      backend.message
        ? trans.__(
            '%1 (%2) is not serving: %3',
            backend.capability,
            backend.backend,
            backend.message
          )
        : trans.__(
            '%1 (%2) is not serving.',
            backend.capability,
            backend.backend
          )
    );
    if (details.length === 0) {
      details.push(
        trans.__('The sidecar reports its overall health as %1.', info.health)
      );
    }
    details.push(...mismatch);
    details.push(
      trans.__(
        "The sidecar's log (in the JupyterLab server log when managed) says why."
      )
    );
    return make(ConnectionState.Unhealthy, {
      title: trans.__('kamld %1 is running but not healthy', info.version),
      details,
      ...common
    });
  }

  if (mismatch.length > 0) {
    return make(ConnectionState.VersionMismatch, {
      title: trans.__(
        'Connected to kamld %1, a different version',
        info.version
      ),
      details: [
        ...mismatch,
        trans.__(
          'Install matching versions of the kamld Python package and the kamld binary (KAMLD_BINARY or c.Kamld.binary), then restart JupyterLab and reload this page.'
        )
      ],
      ...common
    });
  }

  return make(ConnectionState.Connected, {
    title: trans.__('Connected to kamld %1', info.version),
    details: [
      status.mode === 'external'
        ? trans.__('External sidecar.')
        : trans.__('Sidecar managed by Jupyter.')
    ],
    ...common
  });
}

/** One sentence per pair of parts whose versions disagree. */
function describeVersionMismatch(
  extensionVersion: string,
  status: IKamldStatus,
  info: ISystemInfo,
  trans: ITranslate
): string[] {
  const lines: string[] = [];
  if (info.version !== extensionVersion) {
    lines.push(
      trans.__(
        'The sidecar is version %1 but this extension is version %2.',
        info.version,
        extensionVersion
      )
    );
  }
  if (status.extensionVersion && status.extensionVersion !== extensionVersion) {
    lines.push(
      trans.__(
        'The server extension is version %1 but this page runs version %2: reload the page.',
        status.extensionVersion,
        extensionVersion
      )
    );
  }
  return lines;
}

function describeVersions(
  input: IConnectionInput,
  trans: ITranslate
): ILabeledValue[] {
  const versions: ILabeledValue[] = [
    { label: trans.__('Extension'), value: input.extensionVersion }
  ];
  const status = input.status?.ok ? input.status.value : undefined;
  if (status?.extensionVersion) {
    versions.push({
      label: trans.__('Server extension'),
      value: status.extensionVersion
    });
  }
  const sidecarVersion = input.info?.ok
    ? input.info.value.version
    : status?.sidecarVersion;
  if (sidecarVersion) {
    versions.push({ label: trans.__('Sidecar'), value: sidecarVersion });
  }
  return versions;
}

function describeSidecar(
  status: IKamldStatus,
  info: ISystemInfo,
  trans: ITranslate
): ILabeledValue[] {
  const rows: ILabeledValue[] = [];
  const add = (label: string, value: string): void => {
    if (value) {
      rows.push({ label, value });
    }
  };
  add(
    trans.__('Mode'),
    status.mode === 'external' ? trans.__('external') : trans.__('managed')
  );
  add(trans.__('API'), info.apiVersion);
  add(
    trans.__('Build'),
    [info.build.commit, formatTimestamp(info.build.time)]
      .filter(Boolean)
      .join(' · ')
  );
  add(
    trans.__('Runtime'),
    [info.build.goVersion, info.build.platform].filter(Boolean).join(' · ')
  );
  add(trans.__('Started'), formatTimestamp(info.startTime));
  add(trans.__('Acting as'), info.identity);
  if (status.restarts > 0) {
    add(trans.__('Restarts'), String(status.restarts));
  }
  return rows;
}

function describeBackend(
  backend: IBackendInfo,
  trans: ITranslate
): IBackendRow {
  let healthLabel: string;
  let severity: Severity;
  switch (backend.health) {
    case HEALTH_SERVING:
      healthLabel = trans.__('Serving');
      severity = 'ok';
      break;
    case HEALTH_NOT_SERVING:
      healthLabel = trans.__('Not serving');
      severity = 'error';
      break;
    case HEALTH_UNIMPLEMENTED:
      // A capability that a later release brings, not a fault.
      healthLabel = trans.__('Not yet available');
      severity = 'inactive';
      break;
    default:
      healthLabel = trans.__('Unknown (%1)', backend.health);
      severity = 'warning';
  }
  return {
    capability: backend.capability,
    backend: backend.backend,
    healthLabel,
    severity,
    message: backend.message,
    location: backend.location
  };
}

/**
 * RFC 3339 (nanoseconds included, as Go writes it) as "2026-11-23 12:00:00
 * UTC": the same for every reader, short enough for a sidebar. Anything that
 * does not parse is shown as it came.
 */
export function formatTimestamp(value: string): string {
  const millis = Date.parse(value);
  if (!value || Number.isNaN(millis)) {
    return value;
  }
  return new Date(millis)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

function describeFailure(failure: IApiFailure, trans: ITranslate): string {
  switch (failure.kind) {
    case 'timeout':
      return trans.__('The sidecar did not answer in time.');
    case 'network':
      return trans.__('No answer from the Jupyter server: %1', failure.message);
    case 'invalid-response':
      return trans.__(
        'The sidecar answered with something that is not GetInfo (HTTP %1).',
        failure.httpStatus
      );
    case 'http':
      return trans.__('HTTP %1: %2', failure.httpStatus, failure.message);
  }
}

function make(
  state: ConnectionState,
  fields: Partial<IConnectionViewModel> & { title: string }
): IConnectionViewModel {
  const severity = SEVERITY[state];
  return {
    state,
    severity,
    details: [],
    versions: [],
    sidecar: [],
    backends: [],
    reachable: severity === 'ok' || severity === 'warning',
    ...fields
  };
}
