/**
 * The selected step of a pipeline run: its state and why, its job, its outputs (each opens its dataset)
 * and its log.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { datasetOf, shortSnapshot } from '../jobApi';
import { IPipelineStep, logJob } from './pipelineApi';

export interface IStepDetailProps {
  step: IPipelineStep;
  log: string;
  trans: TranslationBundle;
  openDataset: (id: string) => void;
}

export function StepDetail(props: IStepDetailProps): React.ReactElement {
  const { step, log, trans, openDataset } = props;
  const job = logJob(step);
  const outputs = Object.entries(step.outputs);
  return (
    <div className="kamld-StepDetail" data-step={step.name}>
      <h3 className="kamld-StepDetail-title">
        {step.name} <span className="kamld-StepDetail-state">{step.state}</span>
      </h3>
      {step.cachedFrom && (
        <p className="kamld-StepDetail-cached">
          {trans.__(
            'Outputs reused from %1 (%2)',
            step.cachedFrom,
            step.cachedJob
          )}
        </p>
      )}
      {step.reasons.length > 0 && (
        <ul className="kamld-StepDetail-reasons">
          {step.reasons.map(r => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      {step.message && (
        <p className="kamld-StepDetail-message">{step.message}</p>
      )}
      {step.job && (
        <p className="kamld-StepDetail-job">
          {trans.__('Job %1, attempt %2', step.job, step.attempt)}
        </p>
      )}
      {outputs.length > 0 && (
        <ul className="kamld-StepDetail-outputs">
          {outputs.map(([folder, snapshot]) => (
            <li key={folder}>
              {folder} →{' '}
              <button
                className="jp-Button jp-mod-minimal kamld-StepDetail-output"
                onClick={() => openDataset(datasetOf(snapshot))}
                title={snapshot}
              >
                {shortSnapshot(snapshot)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {job ? (
        <pre className="kamld-StepDetail-log">
          {log || trans.__('(no output yet)')}
        </pre>
      ) : (
        <p className="kamld-Empty">{trans.__('This step has not run yet.')}</p>
      )}
    </div>
  );
}
