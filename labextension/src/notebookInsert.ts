/**
 * "Insert into notebook": adds a code cell below the active cell of the
 * notebook last used (or of a new notebook when none is open).
 *
 * The npm registry this project builds from lacks @jupyterlab/notebook 4.6's
 * dependencies, so the INotebookTracker token cannot be imported; the
 * notebook panel is reached through the shell and used through the small
 * structural interface below, which is what NotebookActions.insertBelow does:
 * insert into the shared model, then move the active cell.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Widget } from '@lumino/widgets';

import { insertionIndex } from './datasetModel';

interface ISharedNotebookLike {
  cells: { length: number } | readonly unknown[];
  getCell(index: number): {
    getSource(): string;
    setSource(value: string): void;
  };
  insertCell(
    index: number,
    cell: { cell_type: 'code'; source: string; metadata: object }
  ): unknown;
}

interface INotebookPanelLike extends Widget {
  context?: { ready: Promise<void> };
  content: {
    activeCellIndex: number;
    model: { sharedModel: ISharedNotebookLike } | null;
  };
}

const NOTEBOOK_CLASS = 'jp-NotebookPanel';

function isNotebookPanel(widget: unknown): widget is INotebookPanelLike {
  return (
    widget instanceof Widget &&
    widget.hasClass(NOTEBOOK_CLASS) &&
    typeof (widget as unknown as { content?: unknown }).content === 'object'
  );
}

export class NotebookInserter {
  /**
   * `cwd` names the folder a new notebook goes to: the default file browser's. Without it JupyterLab picks the
   * last-focused file browser's folder, which may be the kamld: drive's root, where no notebook can be saved.
   */
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _cwd: () => string = () => ''
  ) {
    _app.shell.currentChanged?.connect((_, change) => {
      if (isNotebookPanel(change.newValue)) {
        this._last = change.newValue;
      }
    });
  }

  /** Inserts `source` as a code cell; returns the notebook's widget id. */
  async insert(source: string): Promise<string> {
    let panel = this._last && !this._last.isDisposed ? this._last : null;
    if (!panel) {
      for (const widget of this._app.shell.widgets('main')) {
        if (isNotebookPanel(widget)) {
          panel = widget;
        }
      }
    }
    let created = false;
    if (!panel) {
      // The default kernel, so that no kernel picker interrupts.
      const kernelName =
        this._app.serviceManager.kernelspecs.specs?.default || undefined;
      // Not notebook:create-new: an empty cwd makes it use the last-focused file browser's folder.
      const model = (await this._app.commands.execute(
        'docmanager:new-untitled',
        {
          path: this._cwd(),
          type: 'notebook'
        }
      )) as { path?: string } | undefined;
      if (!model?.path) {
        throw new Error('could not create a notebook');
      }
      const widget: unknown = await this._app.commands.execute(
        'docmanager:open',
        {
          path: model.path,
          factory: 'Notebook',
          ...(kernelName ? { kernel: { name: kernelName } } : {})
        }
      );
      if (!isNotebookPanel(widget)) {
        throw new Error('could not create a notebook');
      }
      panel = widget;
      created = true;
    }
    await panel.context?.ready;
    const notebook = panel.content;
    const shared = notebook.model?.sharedModel;
    if (!shared) {
      throw new Error('the notebook has no model');
    }
    if (
      created &&
      shared.cells.length === 1 &&
      shared.getCell(0).getSource() === ''
    ) {
      // A new notebook's single empty cell takes the code.
      shared.getCell(0).setSource(source);
      notebook.activeCellIndex = 0;
    } else {
      const index = insertionIndex(
        notebook.activeCellIndex,
        shared.cells.length
      );
      shared.insertCell(index, { cell_type: 'code', source, metadata: {} });
      notebook.activeCellIndex = index;
    }
    this._app.shell.activateById(panel.id);
    this._last = panel;
    return panel.id;
  }

  private _last: INotebookPanelLike | null = null;
}
