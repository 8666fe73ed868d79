/**
 * The left-sidebar "Datasets" panel.
 *
 * A JupyterLab SidePanel: the sidecar connection as a compact line in the
 * header (it expands only when something is wrong), then a Lumino accordion
 * of sections (`addSection`): the one search-first dataset list and a jobs
 * summary, each with its own title.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';

import { ConnectionModel } from './connectionModel';
import { ConnectionStatusWidget } from './connectionStatus';
import { datasetsIcon } from './icons';

export const DATASETS_PANEL_ID = 'kamld-datasets';

export class DatasetsPanel extends SidePanel {
  constructor(
    private readonly _connection: ConnectionModel,
    trans: TranslationBundle
  ) {
    super();
    this.id = DATASETS_PANEL_ID;
    this.addClass('kamld-DatasetsPanel');
    this.title.icon = datasetsIcon;
    this.title.caption = trans.__('Datasets');

    const heading = document.createElement('h2');
    heading.textContent = trans.__('Datasets');
    this.header.addWidget(new Widget({ node: heading }));

    // No toolbar row: the lists follow changes live, and "Refresh Datasets and Jobs" is in the palette.
    this.toolbar.hide();
    // Not a section: one line in the header while all is well, details when not.
    this.header.addWidget(new ConnectionStatusWidget(_connection, trans));
  }

  /** Checks the sidecar and reloads every section now. */
  refresh(): void {
    void this._connection.refresh();
    for (const handler of this._refreshHandlers) {
      handler();
    }
  }

  /** Runs `handler` too when the panel's refresh button is pressed. */
  addRefreshHandler(handler: () => void): void {
    this._refreshHandlers.push(handler);
  }

  /**
   * Adds a section below the existing ones: the dataset list gets most of
   * the height, the jobs summary (the last) a third.
   */
  addSection(widget: Widget): void {
    this.addWidget(widget);
    if (this.content instanceof AccordionPanel) {
      const count = this.content.widgets.length;
      this.content.setRelativeSizes(
        Array.from({ length: count }, (_, i) =>
          i === count - 1 && count > 1 ? 1 : 2
        )
      );
    }
  }

  // Poll only while someone can see the panel.
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._connection.active = true;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._connection.active = this.isVisible;
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._connection.active = false;
  }

  protected onBeforeDetach(msg: Message): void {
    this._connection.active = false;
    super.onBeforeDetach(msg);
  }

  private readonly _refreshHandlers: Array<() => void> = [];
}
