import { parseKamldStatus, parseRpcStatus, parseSystemInfo } from '../contract';
import { makeInfo, makeStatus } from './fixtures';

describe('parseKamldStatus', () => {
  it('accepts the contract shape unchanged', () => {
    const status = makeStatus({ binary: null, sidecarVersion: null });
    expect(parseKamldStatus(JSON.parse(JSON.stringify(status)))).toEqual(
      status
    );
  });

  it('rejects unknown modes and states, which the panel cannot reason about', () => {
    expect(
      parseKamldStatus({ ...makeStatus(), mode: 'cloud' })
    ).toBeUndefined();
    expect(
      parseKamldStatus({ ...makeStatus(), state: 'zombie' })
    ).toBeUndefined();
    expect(parseKamldStatus('running')).toBeUndefined();
    expect(parseKamldStatus(null)).toBeUndefined();
  });

  it('fills descriptive fields a server extension left out', () => {
    expect(parseKamldStatus({ mode: 'external', state: 'external' })).toEqual({
      mode: 'external',
      state: 'external',
      message: '',
      extensionVersion: '',
      sidecarVersion: null,
      restarts: 0,
      binary: null
    });
  });
});

describe('parseSystemInfo', () => {
  it('accepts the contract shape unchanged', () => {
    const info = makeInfo();
    expect(parseSystemInfo(JSON.parse(JSON.stringify(info)))).toEqual(info);
  });

  it('requires a version and well-formed backends', () => {
    const { version: _, ...withoutVersion } = makeInfo();
    expect(parseSystemInfo(withoutVersion)).toBeUndefined();
    expect(parseSystemInfo({ version: '0.1.0', backends: {} })).toBeUndefined();
    expect(
      parseSystemInfo({ version: '0.1.0', backends: [{ backend: 'fs' }] })
    ).toBeUndefined();
  });

  it('defaults omitted proto3 fields instead of failing', () => {
    const info = parseSystemInfo({
      version: '0.2.0',
      backends: [{ capability: 'blob' }],
      capabilities: ['system', 7]
    });
    expect(info).toEqual({
      version: '0.2.0',
      apiVersion: '',
      build: { commit: '', time: '', goVersion: '', platform: '' },
      health: 'HEALTH_UNSPECIFIED',
      backends: [
        {
          capability: 'blob',
          backend: '',
          health: 'HEALTH_UNSPECIFIED',
          message: '',
          location: ''
        }
      ],
      capabilities: ['system'],
      startTime: '',
      identity: '',
      admin: false
    });
  });

  it('reads whether the caller is a platform admin, only from a JSON true', () => {
    const base = { version: '0.2.0', backends: [] };
    expect(parseSystemInfo({ ...base, admin: true })?.admin).toBe(true);
    expect(parseSystemInfo({ ...base, admin: 'true' })?.admin).toBe(false);
    expect(parseSystemInfo(base)?.admin).toBe(false);
  });
});

describe('parseRpcStatus', () => {
  it('reads google.rpc.Status bodies', () => {
    expect(
      parseRpcStatus({
        code: 14,
        message: 'kamld sidecar is not running: x',
        details: []
      })
    ).toEqual({ code: 14, message: 'kamld sidecar is not running: x' });
  });

  it('ignores anything else', () => {
    expect(parseRpcStatus({ message: 'Not Found' })).toBeUndefined();
    expect(parseRpcStatus(undefined)).toBeUndefined();
    expect(parseRpcStatus({ code: '14', message: 'x' })).toBeUndefined();
  });
});
