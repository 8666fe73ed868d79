/**
 * The preview grid under the dataset view's file list: the first rows of a
 * tabular file with typed column headers, scrolling inside a bounded box.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatCell, PreviewModel } from './previewModel';

export function PreviewSection(props: {
  model: PreviewModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  return (
    <UseSignal signal={model.changed}>
      {() =>
        model.path ? (
          <section
            className="kamld-Section kamld-Preview"
            aria-label={trans.__('Preview of %1', model.path)}
            data-kamld-preview={model.path}
          >
            <div className="kamld-Preview-header">
              <h3 className="kamld-Preview-title">
                {trans.__('Preview: %1', model.path)}
              </h3>
              <span className="kamld-Muted">{model.summary()}</span>
              <Button small minimal onClick={() => model.close()}>
                {trans.__('Close')}
              </Button>
            </div>
            {model.loading && <p>{trans.__('Loading…')}</p>}
            {model.error && (
              <p className="kamld-Form-error" role="alert">
                {model.error}
              </p>
            )}
            {model.preview && (
              <div className="kamld-Preview-scroll">
                <table className="kamld-Table kamld-PreviewTable">
                  <thead>
                    <tr>
                      {model.preview.columns.map((c, i) => (
                        <th key={i} scope="col" title={c.type}>
                          <span className="kamld-PreviewTable-name">
                            {c.name}
                          </span>
                          <span className="kamld-PreviewTable-type">
                            {c.type}
                          </span>
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {model.preview.rows.map((row, r) => (
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
          </section>
        ) : (
          <></>
        )
      }
    </UseSignal>
  );
}
