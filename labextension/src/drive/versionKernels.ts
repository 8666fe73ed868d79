/**
 * A notebook opened from a version runs next to that version's files,
 * read-only (docs/drive.md). JupyterLab starts a kernel in the server-side
 * folder of its session's path, and `kamld:iris@v1/analysis.ipynb` has none,
 * so each time a Python kernel starts or restarts for a notebook of a version
 * or tag, this runs `kamld.workdir.enter(path)` in it, silently: the kernel
 * copies the notebook's folder of that version into a read-only local cache
 * and makes it its working directory (docs/architecture.md, "A notebook from
 * a version"). The server's contents and kernel managers are not replaced.
 */
import { Notification } from '@jupyterlab/apputils';
import { Kernel, KernelMessage, ServiceManager } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { enterCode, versionNotebookPath } from './versionNotebook';

interface IWatched {
  path: string;
  kernel: Kernel.IKernelConnection;
}

/**
 * In two CI runs out of six the folder was never entered: the notebook's own cells ran, and no call of the
 * kernel reached the sidecar. Either the second connection never learnt the kernel's info or its request
 * never reached the kernel; both waits are bounded here (the kernel announces "busy" when it takes a
 * request up). Past either, the connection is dropped and made again, at most MAX_CONNECTS times per
 * kernel. A user's long cell ahead of the request only costs a second, harmless entering.
 */
const INFO_TIMEOUT_MS = 15_000;
const TAKE_UP_TIMEOUT_MS = 20_000;
const MAX_CONNECTS = 3;

/** Watches the running sessions and sets up the kernels of version notebooks. */
export class VersionKernels {
  constructor(
    private readonly _manager: ServiceManager.IManager,
    private readonly _trans: TranslationBundle
  ) {
    _manager.sessions.runningChanged.connect(() => this._update());
    // A session may be listed before its kernel is: a change of the kernels looks again.
    _manager.kernels.runningChanged.connect(() => this._update());
    this._update();
  }

  private _update(): void {
    const live = new Set<string>();
    for (const session of this._manager.sessions.running()) {
      const path = versionNotebookPath(session.path);
      if (!path || !session.kernel) {
        continue;
      }
      const key = `${session.id}/${session.kernel.id}`;
      live.add(key);
      const connects = this._connects.get(key) ?? 0;
      if (!this._watched.has(key) && connects < MAX_CONNECTS) {
        const kernel = this._manager.kernels.connectTo({
          model: session.kernel,
          handleComms: false
        });
        this._connects.set(key, connects + 1);
        this._watched.set(key, { path, kernel });
        this._follow(key, path, kernel);
      }
    }
    for (const [key, watched] of this._watched) {
      if (!live.has(key)) {
        watched.kernel.dispose();
        this._watched.delete(key);
        this._connects.delete(key);
      }
    }
  }

  /** Enters the folder now, and again after each restart of the kernel. */
  private _follow(
    key: string,
    path: string,
    kernel: Kernel.IKernelConnection
  ): void {
    let restarted = false;
    kernel.statusChanged.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting') {
        restarted = true;
      } else if (status === 'idle' && restarted) {
        restarted = false;
        void this._enter(key, path, kernel);
      }
    });
    void this._enter(key, path, kernel);
  }

  private async _enter(
    key: string,
    path: string,
    kernel: Kernel.IKernelConnection
  ): Promise<void> {
    try {
      const info = await within(kernel.info, INFO_TIMEOUT_MS);
      if (info === undefined) {
        this._reconnect(key, kernel);
        return;
      }
      if (info.language_info.name !== 'python') {
        return;
      }
      const future = kernel.requestExecute({
        code: enterCode(path),
        silent: true,
        store_history: false,
        stop_on_error: false
      });
      // The kernel announces "busy" for a request it takes up; one never taken up is sent again anew.
      const takenUp = new Promise<true>(resolve => {
        future.onIOPub = msg => {
          if (msg.header.msg_type === 'status') {
            resolve(true);
          }
        };
      });
      if ((await within(takenUp, TAKE_UP_TIMEOUT_MS)) === undefined) {
        future.dispose();
        this._reconnect(key, kernel);
        return;
      }
      const reply = await future.done;
      if (reply.content.status === 'error') {
        const error = reply.content as KernelMessage.IReplyErrorContent;
        Notification.warning(
          this._trans.__(
            'The kernel of %1 runs in its start folder, not beside the version’s files: %2',
            path,
            error.evalue
          ),
          { autoClose: false }
        );
      }
    } catch {
      // The kernel went away (shut down, or the session moved on): nothing to set up.
    }
  }

  /** Drops a connection that never learnt the kernel's language, and makes a new one. */
  private _reconnect(key: string, kernel: Kernel.IKernelConnection): void {
    if (this._watched.get(key)?.kernel === kernel) {
      kernel.dispose();
      this._watched.delete(key);
      this._update();
    }
  }

  private readonly _watched = new Map<string, IWatched>();
  /** Connections made per session and kernel (see MAX_CONNECTS). */
  private readonly _connects = new Map<string, number>();
}

/** The promise's value, or undefined if it takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>(resolve => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
