/**
 * The preview grid under the dataset view's file list: the first rows of a
 * tabular file with typed column headers, windowed in a bounded box.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { PreviewModel } from './previewModel';
import { ResultGrid } from './resultGrid';

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
            aria-label={trans.__('Preview of %1 at %2', model.path, model.ref)}
            data-kamld-preview={model.path}
            data-kamld-preview-ref={model.ref}
          >
            <div className="kamld-Preview-header">
              <h3 className="kamld-Preview-title">
                {trans.__('Preview: %1', model.path)}{' '}
                <span
                  className="kamld-Tag kamld-RefBadge"
                  title={trans.__('The rows shown are those of %1', model.ref)}
                >
                  {model.ref}
                </span>
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
              <ResultGrid
                columns={model.preview.columns}
                rows={model.preview.rows}
                label={trans.__('Rows of %1 at %2', model.path, model.ref)}
              />
            )}
          </section>
        ) : (
          <></>
        )
      }
    </UseSignal>
  );
}
