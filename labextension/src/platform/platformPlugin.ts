/**
 * Wires the Platform view into JupyterLab: the `kamld:open-platform` command
 * (listed in the palette by workbenchMenus), one view at a time in the main area (restored
 * with the layout), and its status-bar item.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { IStatusBar } from '@jupyterlab/statusbar';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, ToolbarButton } from '@jupyterlab/ui-components';

import { singletonOpener } from '../mainAreaSingleton';
import { auditToolbarButton } from '../audit/auditPlugin';
import { CommandIds } from '../commandIds';
import { ConnectionModel } from '../connectionModel';
import { platformIcon } from '../icons';
import { jupyterTransport } from '../transport';
import { PlatformClient } from './platformApi';
import { PlatformModel } from './platformModel';
import { PlatformStatusItem } from './platformStatusItem';
import { PlatformViewWidget } from './platformView';

export interface IPlatformOptions {
  app: JupyterFrontEnd;
  trans: TranslationBundle;
  connection: ConnectionModel;
  statusBar: IStatusBar | null;
  restorer: ILayoutRestorer | null;
}

export function setupPlatform(o: IPlatformOptions): void {
  const { app, trans } = o;
  const settings: ServerConnection.ISettings =
    app.serviceManager.serverSettings;
  const tracker = new WidgetTracker<MainAreaWidget<PlatformViewWidget>>({
    namespace: 'kamld-platform'
  });
  const open = singletonOpener(app, tracker, () => {
    const model = new PlatformModel(
      new PlatformClient({
        baseUrl: settings.baseUrl,
        transport: jupyterTransport(settings)
      })
    );
    const view = new MainAreaWidget({
      content: new PlatformViewWidget(model, trans)
    });
    view.id = 'kamld-platform';
    view.addClass('kamld-PlatformArea');
    view.title.label = trans.__('Platform');
    view.title.caption = trans.__('Health and activity of the kamld platform');
    view.title.icon = platformIcon;
    view.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Refresh now'),
        onClick: () => void model.refresh()
      })
    );
    view.toolbar.addItem('audit', auditToolbarButton(app, o.connection, trans));
    return view;
  });
  app.commands.addCommand(CommandIds.openPlatform, {
    label: trans.__('Platform Health'),
    caption: trans.__(
      'Open the Platform view: backend health, latency, errors, jobs, storage and index lag'
    ),
    icon: platformIcon,
    execute: open
  });
  void o.restorer?.restore(tracker, {
    command: CommandIds.openPlatform,
    name: () => 'platform'
  });
  o.statusBar?.registerStatusItem('kamld:platform', {
    item: new PlatformStatusItem(
      o.connection,
      trans,
      () => void app.commands.execute(CommandIds.openPlatform)
    ),
    align: 'right',
    rank: 11
  });
}
