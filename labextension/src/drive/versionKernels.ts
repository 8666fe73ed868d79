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

/** Watches the running sessions and sets up the kernels of version notebooks. */
export class VersionKernels {
  constructor(
    private readonly _manager: ServiceManager.IManager,
    private readonly _trans: TranslationBundle
  ) {
    _manager.sessions.runningChanged.connect(() => this._update());
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
      if (!this._watched.has(key)) {
        const kernel = this._manager.kernels.connectTo({
          model: session.kernel,
          handleComms: false
        });
        this._watched.set(key, { path, kernel });
        this._follow(path, kernel);
      }
    }
    for (const [key, watched] of this._watched) {
      if (!live.has(key)) {
        watched.kernel.dispose();
        this._watched.delete(key);
      }
    }
  }

  /** Enters the folder now, and again after each restart of the kernel. */
  private _follow(path: string, kernel: Kernel.IKernelConnection): void {
    let restarted = false;
    kernel.statusChanged.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting') {
        restarted = true;
      } else if (status === 'idle' && restarted) {
        restarted = false;
        void this._enter(path, kernel);
      }
    });
    void this._enter(path, kernel);
  }

  private async _enter(
    path: string,
    kernel: Kernel.IKernelConnection
  ): Promise<void> {
    try {
      const info = await kernel.info;
      if (info.language_info.name !== 'python') {
        return;
      }
      const reply = await kernel.requestExecute({
        code: enterCode(path),
        silent: true,
        store_history: false,
        stop_on_error: false
      }).done;
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

  private readonly _watched = new Map<string, IWatched>();
}
