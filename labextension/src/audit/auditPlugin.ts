/**
 * Wires the audit view into JupyterLab: the `kamld:open-audit` command
 * (listed in the palette by workbenchMenus; enabled only while GetInfo says
 * the caller is a platform admin), one view at a time in the main area
 * (restored with the layout), and the button that opens it from the
 * Platform view, shown to admins only.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  historyIcon,
  refreshIcon,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { singletonOpener } from '../mainAreaSingleton';
import { CommandIds } from '../commandIds';
import { ConnectionModel } from '../connectionModel';
import { jupyterTransport } from '../transport';
import { AuditClient } from './auditApi';
import { AuditModel } from './auditModel';
import { AuditViewWidget } from './auditView';

export interface IAuditOptions {
  app: JupyterFrontEnd;
  trans: TranslationBundle;
  connection: ConnectionModel;
  restorer: ILayoutRestorer | null;
}

export function setupAudit(o: IAuditOptions): void {
  const { app, trans, connection } = o;
  const settings = app.serviceManager.serverSettings;
  const tracker = new WidgetTracker<MainAreaWidget<AuditViewWidget>>({
    namespace: 'kamld-audit'
  });
  const open = singletonOpener(app, tracker, () => {
    const model = new AuditModel(
      new AuditClient({
        baseUrl: settings.baseUrl,
        transport: jupyterTransport(settings)
      })
    );
    const view = new MainAreaWidget({
      content: new AuditViewWidget(model, trans)
    });
    view.id = 'kamld-audit';
    view.addClass('kamld-AuditArea');
    view.title.label = trans.__('Audit Log');
    view.title.caption = trans.__(
      'Who did what to which dataset (platform admins)'
    );
    view.title.icon = historyIcon;
    view.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Ask for this page again'),
        onClick: () => void model.reload()
      })
    );
    return view;
  });
  app.commands.addCommand(CommandIds.openAudit, {
    label: trans.__('Audit Log'),
    caption: trans.__(
      'Open the audit log: who did what to which dataset (platform admins only)'
    ),
    icon: historyIcon,
    // The server decides (it refuses others with PERMISSION_DENIED, which the view shows); this only keeps
    // the palette from offering what would be refused.
    isEnabled: () => connection.admin,
    execute: open
  });
  let admin = connection.admin;
  connection.changed.connect(() => {
    if (connection.admin !== admin) {
      admin = connection.admin;
      app.commands.notifyCommandChanged(CommandIds.openAudit);
    }
  });
  void o.restorer?.restore(tracker, {
    command: CommandIds.openAudit,
    name: () => 'audit'
  });
}

/** A toolbar button of the Platform view that opens the audit view, hidden while the caller is not an admin. */
export function auditToolbarButton(
  app: JupyterFrontEnd,
  connection: ConnectionModel,
  trans: TranslationBundle
): Widget {
  const button = new ToolbarButton({
    icon: historyIcon,
    label: trans.__('Audit Log'),
    tooltip: trans.__('Who did what to which dataset'),
    onClick: () => void app.commands.execute(CommandIds.openAudit)
  });
  const update = (): void => button.setHidden(!connection.admin);
  update();
  connection.changed.connect(update);
  button.disposed.connect(() => connection.changed.disconnect(update));
  return button;
}
