/**
 * A main-area view there is only one of (the Platform view, the audit log): opening it again shows the one
 * already open; otherwise `create` makes it, and it is tracked (so the layout restores it), added and shown.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

export function singletonOpener<T extends Widget>(
  app: JupyterFrontEnd,
  tracker: WidgetTracker<MainAreaWidget<T>>,
  create: () => MainAreaWidget<T>
): () => void {
  return () => {
    const existing = tracker.currentWidget;
    if (existing && !existing.isDisposed) {
      app.shell.activateById(existing.id);
      return;
    }
    const view = create();
    view.title.closable = true;
    void tracker.add(view);
    app.shell.add(view, 'main');
    app.shell.activateById(view.id);
  };
}
