import { ApiResult, IApiFailure, IKamldStatus, ISystemInfo } from '../contract';
import {
  ConnectionState,
  describeConnection,
  formatTimestamp,
  IConnectionViewModel
} from '../connectionState';
import { makeInfo, makeStatus, trans } from './fixtures';

const VERSION = '0.1.0';

function ok<T>(value: T): ApiResult<T> {
  return { ok: true, value };
}

function fail<T>(failure: IApiFailure): ApiResult<T> {
  return { ok: false, failure };
}

const SIDECAR_DOWN: IApiFailure = {
  kind: 'http',
  httpStatus: 503,
  grpcCode: 14,
  message: 'kamld sidecar is not running: connection refused'
};

function describe_(
  status?: ApiResult<IKamldStatus>,
  info?: ApiResult<ISystemInfo>
): IConnectionViewModel {
  return describeConnection({ extensionVersion: VERSION, status, info }, trans);
}

function text(viewModel: IConnectionViewModel): string {
  return [viewModel.title, ...viewModel.details].join('\n');
}

describe('describeConnection', () => {
  it('is Checking before the first answer', () => {
    const vm = describe_();
    expect(vm.state).toBe(ConnectionState.Checking);
    expect(vm.severity).toBe('pending');
    expect(vm.versions).toEqual([{ label: 'Extension', value: VERSION }]);
  });

  describe('when the sidecar answers', () => {
    it('is Connected with versions, build facts and one row per backend', () => {
      const vm = describe_(ok(makeStatus()), ok(makeInfo()));

      expect(vm.state).toBe(ConnectionState.Connected);
      expect(vm.severity).toBe('ok');
      expect(vm.reachable).toBe(true);
      expect(vm.title).toBe('Connected to kamld 0.1.0');
      expect(vm.details).toEqual(['Sidecar managed by Jupyter.']);
      expect(vm.versions).toEqual([
        { label: 'Extension', value: '0.1.0' },
        { label: 'Server extension', value: '0.1.0' },
        { label: 'Sidecar', value: '0.1.0' }
      ]);
      expect(vm.sidecar).toEqual([
        { label: 'Mode', value: 'managed' },
        { label: 'API', value: 'kamld.v1' },
        { label: 'Build', value: 'abc123 · 2026-11-23 12:00:00 UTC' },
        { label: 'Runtime', value: 'go1.26.8 · linux/amd64' },
        { label: 'Started', value: '2026-11-23 12:00:00 UTC' },
        { label: 'Acting as', value: 'alice' }
      ]);
      expect(vm.backends).toEqual([
        {
          capability: 'blob',
          backend: 'fs',
          healthLabel: 'Serving',
          severity: 'ok',
          message: '',
          location: '/data/blobs'
        },
        {
          capability: 'index',
          backend: 'bleve',
          healthLabel: 'Not yet available',
          severity: 'inactive',
          message: 'search arrives with issue #4',
          location: ''
        }
      ]);
    });

    it('says when the sidecar is external', () => {
      const vm = describe_(
        ok(makeStatus({ mode: 'external', state: 'external', binary: null })),
        ok(makeInfo())
      );
      expect(vm.state).toBe(ConnectionState.Connected);
      expect(vm.details).toEqual(['External sidecar.']);
      expect(vm.sidecar[0]).toEqual({ label: 'Mode', value: 'external' });
    });

    it('shows restarts of a managed sidecar that recovered', () => {
      const vm = describe_(ok(makeStatus({ restarts: 2 })), ok(makeInfo()));
      expect(vm.sidecar).toContainEqual({ label: 'Restarts', value: '2' });
    });

    it('is VersionMismatch showing both versions when the sidecar differs', () => {
      const vm = describe_(
        ok(makeStatus({ sidecarVersion: '0.2.0' })),
        ok(makeInfo({ version: '0.2.0' }))
      );
      expect(vm.state).toBe(ConnectionState.VersionMismatch);
      expect(vm.severity).toBe('warning');
      expect(vm.reachable).toBe(true);
      expect(vm.title).toBe('Connected to kamld 0.2.0, a different version');
      expect(vm.details[0]).toBe(
        'The sidecar is version 0.2.0 but this extension is version 0.1.0.'
      );
      expect(text(vm)).toMatch(/KAMLD_BINARY/);
      expect(vm.versions).toContainEqual({ label: 'Sidecar', value: '0.2.0' });
      expect(vm.versions).toContainEqual({
        label: 'Extension',
        value: '0.1.0'
      });
    });

    it('is VersionMismatch when the page is older than the server extension', () => {
      const vm = describe_(
        ok(makeStatus({ extensionVersion: '0.1.1' })),
        ok(makeInfo())
      );
      expect(vm.state).toBe(ConnectionState.VersionMismatch);
      expect(vm.details[0]).toBe(
        'The server extension is version 0.1.1 but this page runs version 0.1.0: reload the page.'
      );
    });

    it('is Unhealthy naming each backend that is not serving', () => {
      const info = makeInfo({ health: 'HEALTH_NOT_SERVING' });
      info.backends[0] = {
        ...info.backends[0],
        health: 'HEALTH_NOT_SERVING',
        message: 'permission denied: /data/blobs'
      };
      const vm = describe_(ok(makeStatus()), ok(info));

      expect(vm.state).toBe(ConnectionState.Unhealthy);
      expect(vm.severity).toBe('error');
      // Reachable: no backoff, the poll keeps watching for recovery.
      expect(vm.reachable).toBe(true);
      expect(vm.title).toBe('kamld 0.1.0 is running but not healthy');
      expect(vm.details[0]).toBe(
        'blob (fs) is not serving: permission denied: /data/blobs'
      );
      expect(vm.backends[0]).toMatchObject({
        healthLabel: 'Not serving',
        severity: 'error'
      });
    });

    it('is Unhealthy when only the overall health says so', () => {
      const vm = describe_(
        ok(makeStatus()),
        ok(makeInfo({ health: 'HEALTH_NOT_SERVING' }))
      );
      expect(vm.state).toBe(ConnectionState.Unhealthy);
      expect(vm.details[0]).toBe(
        'The sidecar reports its overall health as HEALTH_NOT_SERVING.'
      );
    });

    it('mentions a version mismatch in an unhealthy state too', () => {
      const vm = describe_(
        ok(makeStatus()),
        ok(makeInfo({ version: '0.3.0', health: 'HEALTH_NOT_SERVING' }))
      );
      expect(vm.state).toBe(ConnectionState.Unhealthy);
      expect(vm.details).toContain(
        'The sidecar is version 0.3.0 but this extension is version 0.1.0.'
      );
    });

    it('labels an unknown health value instead of hiding it', () => {
      const info = makeInfo();
      info.backends[1] = { ...info.backends[1], health: 'HEALTH_DEGRADED' };
      const vm = describe_(ok(makeStatus()), ok(info));
      expect(vm.state).toBe(ConnectionState.Connected);
      expect(vm.backends[1]).toMatchObject({
        healthLabel: 'Unknown (HEALTH_DEGRADED)',
        severity: 'warning'
      });
    });
  });

  describe('when the sidecar does not answer', () => {
    it('says where Jupyter looks when the server gave no message', () => {
      const vm = describe_(
        ok(makeStatus({ state: 'failed', binary: null, message: '' })),
        fail(SIDECAR_DOWN)
      );
      expect(vm.state).toBe(ConnectionState.BinaryNotFound);
      expect(vm.details[0]).toBe(
        'Jupyter looked at c.Kamld.binary / KAMLD_BINARY, the kamld package and PATH.'
      );
    });

    it('is BinaryNotFound, naming KAMLD_BINARY and c.Kamld.binary', () => {
      const vm = describe_(
        ok(
          makeStatus({
            state: 'failed',
            binary: null,
            sidecarVersion: null,
            message: 'kamld binary not found: /nope/kamld does not exist'
          })
        ),
        fail(SIDECAR_DOWN)
      );

      expect(vm.state).toBe(ConnectionState.BinaryNotFound);
      expect(vm.severity).toBe('error');
      expect(vm.reachable).toBe(false);
      expect(vm.title).toBe('The kamld sidecar binary was not found');
      expect(vm.details[0]).toBe(
        'The server extension reports: kamld binary not found: /nope/kamld does not exist'
      );
      const fix = vm.details[vm.details.length - 1];
      expect(fix).toContain('KAMLD_BINARY');
      expect(fix).toContain('c.Kamld.binary');
      expect(vm.details).toHaveLength(2);
      expect(vm.backends).toEqual([]);
      expect(vm.versions).toEqual([
        { label: 'Extension', value: '0.1.0' },
        { label: 'Server extension', value: '0.1.0' }
      ]);
    });

    it('is SidecarFailed when a found binary keeps dying', () => {
      const vm = describe_(
        ok(
          makeStatus({
            state: 'failed',
            restarts: 5,
            sidecarVersion: null,
            message: 'kamld exited with status 1'
          })
        ),
        fail(SIDECAR_DOWN)
      );
      expect(vm.state).toBe(ConnectionState.SidecarFailed);
      expect(vm.title).toBe('The kamld sidecar failed');
      expect(vm.details).toEqual([
        'The server extension reports: kamld exited with status 1',
        'Binary: /opt/kamld/bin/kamld',
        'It was restarted 5 times before giving up.',
        "The JupyterLab server log has the sidecar's output; restart JupyterLab once the cause is fixed."
      ]);
    });

    it('is SidecarFailed (stopped) once Jupyter stopped it', () => {
      const vm = describe_(
        ok(makeStatus({ state: 'stopped' })),
        fail(SIDECAR_DOWN)
      );
      expect(vm.state).toBe(ConnectionState.SidecarFailed);
      expect(vm.title).toBe('The kamld sidecar is stopped');
    });

    it.each(['starting', 'restarting'] as const)(
      'is Starting while the server extension is %s it, without backoff',
      state => {
        const vm = describe_(
          ok(makeStatus({ state, restarts: state === 'restarting' ? 1 : 0 })),
          fail(SIDECAR_DOWN)
        );
        expect(vm.state).toBe(ConnectionState.Starting);
        expect(vm.severity).toBe('pending');
        expect(vm.reachable).toBe(true);
        if (state === 'restarting') {
          expect(vm.title).toBe('Restarting the kamld sidecar…');
          expect(vm.details).toContain(
            'The sidecar stopped unexpectedly and is being restarted (restart 1).'
          );
        } else {
          expect(vm.title).toBe('Starting the kamld sidecar…');
        }
      }
    );

    it('is SidecarUnreachable when a running sidecar stops answering', () => {
      const vm = describe_(ok(makeStatus({ message: '' })), fail(SIDECAR_DOWN));
      expect(vm.state).toBe(ConnectionState.SidecarUnreachable);
      expect(vm.reachable).toBe(false);
      expect(vm.title).toBe('The kamld sidecar is not reachable');
      expect(vm.details).toEqual([
        'HTTP 503: kamld sidecar is not running: connection refused',
        'Jupyter restarts a managed sidecar by itself; this panel reconnects on its own.'
      ]);
    });

    it('points at KAMLD_URL when an external sidecar is unreachable', () => {
      const vm = describe_(
        ok(makeStatus({ mode: 'external', state: 'external', binary: null })),
        fail({ kind: 'timeout', message: 'aborted' })
      );
      expect(vm.state).toBe(ConnectionState.SidecarUnreachable);
      expect(vm.title).toBe('The external kamld sidecar is not reachable');
      expect(text(vm)).toContain('The sidecar did not answer in time.');
      expect(text(vm)).toContain('KAMLD_URL');
    });

    it('is Unauthorized when the sidecar rejects the token', () => {
      const vm = describe_(
        ok(makeStatus({ mode: 'external', state: 'external' })),
        fail({
          kind: 'http',
          httpStatus: 401,
          grpcCode: 16,
          message: 'invalid bearer token'
        })
      );
      expect(vm.state).toBe(ConnectionState.Unauthorized);
      expect(vm.details).toEqual([
        'The sidecar says: invalid bearer token',
        'Set KAMLD_TOKEN (or KAMLD_TOKEN_FILE, c.Kamld.token) to the token the sidecar was started with, then restart JupyterLab.'
      ]);
    });

    it('reports a GetInfo answer that is not GetInfo', () => {
      const vm = describe_(
        ok(makeStatus()),
        fail({ kind: 'invalid-response', httpStatus: 200, message: 'x' })
      );
      expect(vm.state).toBe(ConnectionState.SidecarUnreachable);
      expect(vm.details).toContain(
        'The sidecar answered with something that is not GetInfo (HTTP 200).'
      );
    });
  });

  describe('when Jupyter itself is the problem', () => {
    it('is ServerExtensionMissing on a 404 for kamld/status', () => {
      const vm = describe_(
        fail({ kind: 'http', httpStatus: 404, message: 'Not Found' }),
        fail({ kind: 'http', httpStatus: 404, message: 'Not Found' })
      );
      expect(vm.state).toBe(ConnectionState.ServerExtensionMissing);
      expect(vm.reachable).toBe(false);
      expect(text(vm)).toContain('jupyter server extension enable kamld');
    });

    it('is ServerUnreachable when Jupyter does not answer', () => {
      const vm = describe_(
        fail({ kind: 'network', message: 'Failed to fetch' }),
        fail({ kind: 'network', message: 'Failed to fetch' })
      );
      expect(vm.state).toBe(ConnectionState.ServerUnreachable);
      expect(vm.title).toBe('The Jupyter server is not reachable');
      expect(vm.details[0]).toBe(
        'No answer from the Jupyter server: Failed to fetch'
      );
    });

    it('suggests reloading when Jupyter refuses the session', () => {
      const vm = describe_(
        fail({ kind: 'http', httpStatus: 403, message: 'Forbidden' }),
        undefined
      );
      expect(vm.state).toBe(ConnectionState.ServerUnreachable);
      expect(vm.details).toEqual([
        'Jupyter answered HTTP 403 for kamld/status: Forbidden',
        'Your Jupyter session may have expired: reload the page.'
      ]);
    });

    it('points at the server log for a server error', () => {
      const vm = describe_(
        fail({
          kind: 'http',
          httpStatus: 500,
          message: 'Internal Server Error'
        }),
        undefined
      );
      expect(vm.details[1]).toBe(
        'The JupyterLab server log has the server-side error.'
      );
    });
  });

  it.each([
    ['connected', ok(makeStatus()), ok(makeInfo())],
    ['mismatch', ok(makeStatus()), ok(makeInfo({ version: '9.9.9' }))],
    [
      'binary',
      ok(makeStatus({ state: 'failed', binary: null })),
      fail(SIDECAR_DOWN)
    ],
    [
      'failed',
      ok(makeStatus({ state: 'failed', restarts: 3 })),
      fail(SIDECAR_DOWN)
    ],
    ['unreachable', ok(makeStatus()), fail(SIDECAR_DOWN)],
    ['no server', fail({ kind: 'network', message: 'x' }), undefined]
  ] as [string, ApiResult<IKamldStatus>, ApiResult<ISystemInfo> | undefined][])(
    'passes every user-visible string through trans.__ (%s)',
    (_, status, info) => {
      // A bundle that marks what it translated: unmarked text was not translated.
      const marking = {
        __: (msgid: string, ...args: unknown[]): string =>
          `⟦${trans.__(msgid, ...args)}⟧`
      };
      const vm = describeConnection(
        { extensionVersion: VERSION, status, info },
        marking
      );
      const shown = [
        vm.title,
        ...vm.details,
        ...vm.versions.map(row => row.label),
        ...vm.sidecar.map(row => row.label),
        ...vm.backends.map(row => row.healthLabel)
      ];
      expect(shown.length).toBeGreaterThan(1);
      for (const sentence of shown) {
        expect(sentence).toMatch(/^⟦.*⟧$/s);
      }
    }
  );
});

describe('formatTimestamp', () => {
  it("shortens Go's RFC 3339 with nanoseconds to seconds in UTC", () => {
    expect(formatTimestamp('2026-11-23T13:24:12.668791733Z')).toBe(
      '2026-11-23 13:24:12 UTC'
    );
    expect(formatTimestamp('2026-11-23T14:24:12+01:00')).toBe(
      '2026-11-23 13:24:12 UTC'
    );
  });

  it('leaves empty and unparseable values alone', () => {
    expect(formatTimestamp('')).toBe('');
    expect(formatTimestamp('yesterday')).toBe('yesterday');
  });
});
