/**
 * A pipeline run in the main area: its state, the DAG of its steps with live states, and the selected
 * step's detail and log.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { layoutSteps } from './dagLayout';
import { isFinalRun } from './pipelineApi';
import { PipelineDag } from './pipelineDag';
import { PipelineRunModel } from './pipelineRunModel';
import { StepDetail } from './stepDetail';

export class PipelineRunView extends ReactWidget {
  constructor(
    readonly model: PipelineRunModel,
    private readonly _trans: TranslationBundle,
    private readonly _openDataset: (id: string) => void
  ) {
    super();
    this.addClass('kamld-PipelineRunView');
    this.id = `kamld-pipeline-run-${model.runId}`;
    this.title.label = _trans.__('Pipeline %1', model.runId);
    this.title.closable = true;
    model.changed.connect(() => {
      const run = model.run;
      if (run) {
        this.title.label = _trans.__(
          '%1 · %2',
          run.pipeline,
          run.state.toLowerCase()
        );
      }
    });
    model.start();
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const model = this.model;
    const stateLabel = (s: string): string =>
      ({
        WAITING: trans.__('waiting'),
        RUNNING: trans.__('running'),
        SUCCEEDED: trans.__('succeeded'),
        CACHED: trans.__('cached'),
        FAILED: trans.__('failed'),
        CANCELLED: trans.__('cancelled'),
        SKIPPED: trans.__('skipped')
      })[s] ?? s.toLowerCase();
    return (
      <UseSignal signal={model.changed}>
        {() => {
          const run = model.run;
          if (!run) {
            return (
              <div
                className="kamld-PipelineRun"
                role={model.error ? 'alert' : undefined}
              >
                {model.error || trans.__('Loading…')}
              </div>
            );
          }
          const selected = model.selected;
          return (
            <div className="kamld-PipelineRun" data-state={run.state}>
              <div className="kamld-PipelineRun-header">
                <span className="kamld-PipelineRun-name">{run.pipeline}</span>
                <span className="kamld-PipelineRun-id">{run.name}</span>
                <span
                  className={`kamld-PipelineRun-state kamld-mod-${run.state.toLowerCase()}`}
                >
                  {run.state}
                </span>
                {run.message && (
                  <span className="kamld-PipelineRun-message">
                    {run.message}
                  </span>
                )}
                {!isFinalRun(run) && (
                  <Button minimal onClick={() => void model.cancel()}>
                    {trans.__('Cancel run')}
                  </Button>
                )}
              </div>
              {model.error && (
                <div className="kamld-JobsError" role="alert">
                  {model.error}
                </div>
              )}
              <div className="kamld-PipelineRun-graph">
                <PipelineDag
                  layout={layoutSteps(run.steps)}
                  selected={selected?.name ?? ''}
                  onSelect={step => model.select(step)}
                  stateLabel={stateLabel}
                  label={trans.__('Steps of the pipeline run')}
                />
              </div>
              {selected ? (
                <StepDetail
                  step={selected}
                  log={model.log}
                  trans={trans}
                  openDataset={this._openDataset}
                />
              ) : (
                <p className="kamld-Empty">
                  {trans.__('Select a step to see its log and outputs.')}
                </p>
              )}
            </div>
          );
        }}
      </UseSignal>
    );
  }
}
