/**
 * The "Sidecar" section of the Datasets panel: renders the connection view
 * model. All decisions live in connectionState.ts; this file only draws.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ConnectionModel } from './connectionModel';
import {
  IBackendRow,
  IConnectionViewModel,
  ILabeledValue
} from './connectionState';

export class ConnectionStatusWidget extends ReactWidget {
  constructor(
    private readonly _model: ConnectionModel,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('kamld-ConnectionStatus');
    this.title.label = _trans.__('Sidecar');
    this.title.caption = _trans.__('Connection to the kamld sidecar');
  }

  protected render(): React.ReactElement {
    return (
      <UseSignal
        signal={this._model.changed}
        initialArgs={this._model.viewModel}
      >
        {(_, viewModel) => (
          <ConnectionView
            viewModel={viewModel ?? this._model.viewModel}
            trans={this._trans}
            onRetry={() => void this._model.refresh()}
          />
        )}
      </UseSignal>
    );
  }
}

interface IConnectionViewProps {
  viewModel: IConnectionViewModel;
  trans: TranslationBundle;
  onRetry: () => void;
}

/**
 * One line when all is well (a dot, "Connected to kamld 0.1.0" and a
 * Details toggle); the details — what is wrong, versions, backends — open by
 * themselves whenever something is not right.
 */
function ConnectionView(props: IConnectionViewProps): React.ReactElement {
  const { viewModel, trans, onRetry } = props;
  const healthy = viewModel.severity === 'ok';
  const [opened, setOpened] = React.useState(false);
  const open = opened || !healthy;
  return (
    <div
      className={`kamld-Connection${healthy ? ' kamld-mod-compact' : ''}`}
      data-kamld-state={viewModel.state}
      data-kamld-severity={viewModel.severity}
    >
      <div className="kamld-Connection-summary">
        <SeverityDot severity={viewModel.severity} />
        <span
          className="kamld-Connection-title"
          role="status"
          aria-live="polite"
        >
          {viewModel.title}
        </span>
        {healthy && (
          <button
            type="button"
            className="kamld-Connection-toggle"
            aria-expanded={open}
            aria-controls="kamld-Connection-more"
            onClick={() => setOpened(!opened)}
          >
            {open ? trans.__('Hide details') : trans.__('Details')}
          </button>
        )}
      </div>
      <div id="kamld-Connection-more" hidden={!open}>
        {viewModel.details.length > 0 && (
          <ul className="kamld-Connection-details">
            {viewModel.details.map((line, index) => (
              <li key={index}>{line}</li>
            ))}
          </ul>
        )}
        {!viewModel.reachable && viewModel.severity === 'error' && (
          <Button className="kamld-Connection-retry" small onClick={onRetry}>
            {trans.__('Retry now')}
          </Button>
        )}
        <FactTable
          className="kamld-Versions"
          caption={trans.__('Versions')}
          rows={viewModel.versions}
        />
        <FactTable
          className="kamld-SidecarFacts"
          caption={trans.__('Sidecar')}
          rows={viewModel.sidecar}
        />
        {viewModel.backends.length > 0 && (
          <BackendTable rows={viewModel.backends} trans={trans} />
        )}
      </div>
    </div>
  );
}

function SeverityDot(props: { severity: string }): React.ReactElement {
  return (
    <span
      className={`kamld-SeverityDot kamld-mod-${props.severity}`}
      aria-hidden="true"
    />
  );
}

function FactTable(props: {
  className: string;
  caption: string;
  rows: ILabeledValue[];
}): React.ReactElement | null {
  if (props.rows.length === 0) {
    return null;
  }
  return (
    <table className={`kamld-Table ${props.className}`}>
      <caption>{props.caption}</caption>
      <tbody>
        {props.rows.map(row => (
          <tr key={row.label}>
            <th scope="row">{row.label}</th>
            <td>{row.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function BackendTable(props: {
  rows: IBackendRow[];
  trans: TranslationBundle;
}): React.ReactElement {
  const { rows, trans } = props;
  return (
    <table className="kamld-Table kamld-Backends">
      <caption>{trans.__('Backends')}</caption>
      <thead>
        <tr>
          <th scope="col">{trans.__('Capability')}</th>
          <th scope="col">{trans.__('Health')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr
            key={row.capability}
            data-kamld-capability={row.capability}
            title={[row.message, row.location].filter(Boolean).join('\n')}
          >
            {/* Backend under its capability: three columns do not fit a sidebar. */}
            <td>
              <div className="kamld-Backends-capability">{row.capability}</div>
              <div
                className="kamld-Backends-backend"
                title={trans.__('Backend')}
              >
                {row.backend}
              </div>
            </td>
            <td>
              <span className="kamld-Health">
                <SeverityDot severity={row.severity} />
                <span className="kamld-Health-label">{row.healthLabel}</span>
              </span>
              {row.message && (
                <div className="kamld-Health-message">{row.message}</div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
