/**
 * The SQL editor, a main-area tab: a statement over datasets, Run
 * (Ctrl/Cmd+Enter) and Cancel, the row count and timing, and the result grid.
 */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import { ResultGrid } from './resultGrid';
import { SqlCatalog, tableRefs } from './sqlCatalog';
import { SqlCodeEditor } from './sqlCodeEditor';
import { ISaveTarget, SqlEditorModel } from './sqlEditorModel';

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

  /**
   * "Save as snapshot…": asks where, then has the server run the statement
   * again and store its whole result as Parquet in a new snapshot.
   */
  async saveDialog(): Promise<void> {
    const trans = this._trans;
    let initial: ISaveTarget = {
      dataset: '',
      path: 'result.parquet',
      message: ''
    };
    for (;;) {
      const result = await showDialog({
        title: trans.__('Save result as a dataset snapshot'),
        body: new SaveForm(trans, initial),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Save') })
        ],
        focusNodeSelector: 'input'
      });
      if (!result.button.accept || !result.value) {
        return;
      }
      initial = result.value;
      const out = await this.model.save(result.value);
      if (out.ok) {
        return;
      }
      await showErrorMessage(
        trans.__('Cannot save the result'),
        out.field ? `${out.field}: ${out.message}` : out.message
      );
    }
  }

  render(): React.ReactElement {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <SqlEditorBody
            model={this.model}
            trans={this._trans}
            catalog={this.catalog}
            onSave={() => void this.saveDialog()}
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
  onSave: () => void;
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
        <Button
          className="kamld-SqlEditor-save"
          minimal
          disabled={model.running || model.saving || !result}
          onClick={props.onSave}
        >
          {model.saving ? trans.__('Saving…') : trans.__('Save as snapshot…')}
        </Button>
        <span className="kamld-Muted kamld-SqlEditor-status" role="status">
          {model.running ? trans.__('Running…') : model.summary()}
        </span>
        {model.saveNotice && (
          <span className="kamld-Muted kamld-SqlEditor-saved">
            {model.saveNotice}
          </span>
        )}
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
    const mentioned = tableRefs(model.sql).map(ref => ref.schema.split('@')[0]);
    catalog.load(mentioned).then(
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

/** The save dialog's fields: dataset (new or existing), path and message. */
class SaveForm extends ReactWidget {
  constructor(
    private readonly _trans: TranslationBundle,
    initial: ISaveTarget
  ) {
    super();
    this.addClass('kamld-SaveResultForm');
    this._value = { ...initial };
  }

  getValue(): ISaveTarget {
    return {
      dataset: this._value.dataset.trim(),
      path: this._value.path.trim(),
      message: this._value.message.trim()
    };
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const field = (
      key: keyof ISaveTarget,
      label: string,
      hint: string
    ): React.ReactElement => (
      <label className="kamld-Form-field">
        <span className="kamld-Form-label">{label}</span>
        <input
          className="jp-mod-styled"
          name={key}
          defaultValue={this._value[key]}
          onChange={event => {
            this._value[key] = event.target.value;
          }}
        />
        {hint && <span className="kamld-Form-hint">{hint}</span>}
      </label>
    );
    return (
      <div className="kamld-Form">
        {field(
          'dataset',
          trans.__('Dataset'),
          trans.__('An existing dataset, or a new one to create.')
        )}
        {field(
          'path',
          trans.__('File'),
          trans.__('Path in the dataset, ending in .parquet.')
        )}
        {field('message', trans.__('Message'), '')}
      </div>
    );
  }

  private readonly _value: ISaveTarget;
}
