/**
 * The SQL editor, a main-area tab: a statement over datasets, Run
 * (Ctrl/Cmd+Enter) and Cancel, the row count and timing, and the result grid.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import { ResultGrid } from './resultGrid';
import { SqlCatalog } from './sqlCatalog';
import { SqlCodeEditor } from './sqlCodeEditor';
import { SqlEditorModel } from './sqlEditorModel';

export class SqlEditorWidget extends ReactWidget {
  constructor(
    readonly model: SqlEditorModel,
    private readonly _trans: TranslationBundle,
    readonly catalog: SqlCatalog
  ) {
    super();
    this.addClass('kamld-SqlEditor');
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    void this.model.cancel();
    Signal.clearData(this.model);
    super.dispose();
  }

  render(): React.ReactElement {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <SqlEditorBody
            model={this.model}
            trans={this._trans}
            catalog={this.catalog}
          />
        )}
      </UseSignal>
    );
  }
}

function SqlEditorBody(props: {
  model: SqlEditorModel;
  trans: TranslationBundle;
  catalog: SqlCatalog;
}): React.ReactElement {
  const { model, trans } = props;
  const run = (): void => void model.run();
  const result = model.result;
  return (
    <div className="kamld-SqlEditor-body">
      <SqlInput model={model} trans={trans} catalog={props.catalog} />
      <div className="kamld-SqlEditor-toolbar">
        <Button
          className="kamld-SqlEditor-run"
          disabled={model.running}
          onClick={run}
        >
          {trans.__('Run')}
        </Button>
        <Button
          className="kamld-SqlEditor-cancel"
          minimal
          disabled={!model.running}
          onClick={() => void model.cancel()}
        >
          {trans.__('Cancel')}
        </Button>
        <span className="kamld-Muted kamld-SqlEditor-status" role="status">
          {model.running ? trans.__('Running…') : model.summary()}
        </span>
      </div>
      {model.error && (
        <p className="kamld-Form-error kamld-SqlEditor-error" role="alert">
          {model.error}
        </p>
      )}
      {result && (
        <ResultGrid
          className="kamld-SqlEditor-result"
          columns={result.columns}
          rows={result.rows}
          label={trans.__('Query result')}
        />
      )}
    </div>
  );
}

/**
 * Mounts one CodeMirror view for the editor's lifetime; re-renders of the
 * body keep it (the model holds the text), and the catalog is loaded once.
 */
function SqlInput(props: {
  model: SqlEditorModel;
  trans: TranslationBundle;
  catalog: SqlCatalog;
}): React.ReactElement {
  const { model, trans, catalog } = props;
  const host = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    const editor = new SqlCodeEditor({
      parent: host.current!,
      doc: model.sql,
      catalog,
      ariaLabel: trans.__('SQL statement'),
      placeholder: trans.__('SELECT … FROM "dataset@ref".table'),
      onChange: doc => model.setSql(doc),
      onRun: () => void model.run()
    });
    let live = true;
    catalog.load().then(
      () => live && editor.refreshCatalog(),
      () => undefined // completion then offers keywords only
    );
    return () => {
      live = false;
      editor.destroy();
    };
  }, [model, catalog]);
  return <div ref={host} className="kamld-SqlEditor-input" />;
}
