/**
 * The SQL editor, a main-area tab: a statement over datasets, Run
 * (Ctrl/Cmd+Enter) and Cancel, the row count and timing, and the result grid.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import { formatCell } from './previewModel';
import { SqlEditorModel } from './sqlEditorModel';

export class SqlEditorWidget extends ReactWidget {
  constructor(
    readonly model: SqlEditorModel,
    private readonly _trans: TranslationBundle
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
        {() => <SqlEditorBody model={this.model} trans={this._trans} />}
      </UseSignal>
    );
  }
}

function SqlEditorBody(props: {
  model: SqlEditorModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  const [text, setText] = React.useState(model.sql);
  const run = (): void => {
    model.setSql(text);
    void model.run();
  };
  const result = model.result;
  return (
    <div className="kamld-SqlEditor-body">
      <textarea
        className="jp-mod-styled kamld-SqlEditor-input"
        aria-label={trans.__('SQL statement')}
        spellCheck={false}
        value={text}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            run();
          }
        }}
      />
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
        <div className="kamld-Preview-scroll kamld-SqlEditor-result">
          <table className="kamld-Table kamld-PreviewTable">
            <thead>
              <tr>
                {result.columns.map((c, i) => (
                  <th key={i} scope="col" title={c.type}>
                    <span className="kamld-PreviewTable-name">{c.name}</span>
                    <span className="kamld-PreviewTable-type">{c.type}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, c) => (
                    <td key={c}>{formatCell(cell)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
