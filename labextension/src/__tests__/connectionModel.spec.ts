import { KamldClient } from '../api';
import { ApiResult, IKamldStatus, ISystemInfo } from '../contract';
import { ConnectionModel } from '../connectionModel';
import { ConnectionState, IConnectionViewModel } from '../connectionState';
import { makeInfo, makeStatus, trans } from './fixtures';

const SIDECAR_DOWN: ApiResult<ISystemInfo> = {
  ok: false,
  failure: { kind: 'http', httpStatus: 503, grpcCode: 14, message: 'down' }
};

/** A client whose answers the test sets; counts how often it was asked. */
class FakeClient {
  status: ApiResult<IKamldStatus> = { ok: true, value: makeStatus() };
  info: ApiResult<ISystemInfo> = { ok: true, value: makeInfo() };
  calls = 0;

  async getStatus(): Promise<ApiResult<IKamldStatus>> {
    this.calls++;
    return this.status;
  }

  async getSystemInfo(): Promise<ApiResult<ISystemInfo>> {
    return this.info;
  }
}

function nextViewModel(model: ConnectionModel): Promise<IConnectionViewModel> {
  return new Promise(resolve => {
    const once = (
      _: ConnectionModel,
      viewModel: IConnectionViewModel
    ): void => {
      model.changed.disconnect(once);
      resolve(viewModel);
    };
    model.changed.connect(once);
  });
}

/** Private state of the poll, read to check pacing without waiting for it. */
function pollOf(model: ConnectionModel): {
  state: { phase: string; interval: number };
  frequency: { interval: number; backoff: number | boolean; max: number };
} {
  return (model as unknown as { _poll: ReturnType<typeof pollOf> })._poll;
}

describe('ConnectionModel', () => {
  let client: FakeClient;
  let model: ConnectionModel;

  beforeEach(() => {
    client = new FakeClient();
    model = new ConnectionModel({
      client: client as unknown as KamldClient,
      trans,
      extensionVersion: '0.1.0',
      // Long enough that only the test's own refreshes tick.
      pollSettings: { pollInterval: 600, maxPollInterval: 1200 }
    });
  });

  afterEach(() => model.dispose());

  it('starts in Checking and does not poll while the panel is hidden', async () => {
    expect(model.viewModel.state).toBe(ConnectionState.Checking);
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(client.calls).toBe(0);
  });

  it('checks as soon as the panel is shown', async () => {
    const shown = nextViewModel(model);
    model.active = true;
    const viewModel = await shown;
    expect(viewModel.state).toBe(ConnectionState.Connected);
    expect(model.viewModel).toBe(viewModel);
    expect(client.calls).toBe(1);
  });

  it('backs off while the sidecar is down and recovers when it returns', async () => {
    client.status = { ok: true, value: makeStatus({ state: 'running' }) };
    client.info = SIDECAR_DOWN;
    let next = nextViewModel(model);
    model.active = true;
    expect((await next).state).toBe(ConnectionState.SidecarUnreachable);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(pollOf(model).state.phase).toBe('rejected');

    client.info = { ok: true, value: makeInfo() };
    next = nextViewModel(model);
    await model.refresh();
    expect((await next).state).toBe(ConnectionState.Connected);
    await new Promise(resolve => setTimeout(resolve, 0));
    // Resolved again: back to the normal interval, no more backoff.
    expect(pollOf(model).state).toMatchObject({
      phase: 'resolved',
      interval: 600_000
    });
  });

  it('knows the caller is an admin only while GetInfo says so', async () => {
    expect(model.admin).toBe(false);
    client.info = { ok: true, value: makeInfo({ admin: true }) };
    let next = nextViewModel(model);
    model.active = true;
    await next;
    expect(model.admin).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 0));
    client.info = SIDECAR_DOWN;
    next = nextViewModel(model);
    await model.refresh();
    await next;
    expect(model.admin).toBe(false);
  });

  it('applies new poll settings (seconds) to the poll', () => {
    model.pollSettings = { pollInterval: 2, maxPollInterval: 45 };
    expect(pollOf(model).frequency).toEqual({
      interval: 2000,
      backoff: 2,
      max: 45000
    });
  });

  it('never lets the backoff ceiling fall below the interval', () => {
    model.pollSettings = { pollInterval: 10, maxPollInterval: 3 };
    expect(pollOf(model).frequency.max).toBe(10000);
  });

  it('stops emitting once disposed', async () => {
    const seen = jest.fn();
    model.changed.connect(seen);
    model.dispose();
    model.active = true;
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(seen).not.toHaveBeenCalled();
    expect(model.isDisposed).toBe(true);
  });
});
