/**
 * Pipeline runs in the main area, newest first; a row opens the run's view.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IPipelineRun, PipelineClient } from './pipelineApi';

export class PipelineRunsView extends ReactWidget {
  constructor(
    private readonly _client: PipelineClient,
    private readonly _trans: TranslationBundle,
    private readonly _open: (runId: string) => void
  ) {
    super();
    this.id = 'kamld-pipeline-runs';
    this.addClass('kamld-PipelineRunsView');
    this.title.label = _trans.__('Pipeline runs');
    this.title.closable = true;
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const got = await this._client.listRuns();
    this._runs = got.ok ? got.value : [];
    this._error = got.ok ? '' : got.failure.message;
    this.update();
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    return (
      <div className="kamld-PipelineRuns">
        <Button
          minimal
          onClick={() => void this.refresh()}
          title={trans.__('Refresh')}
        >
          <refreshIcon.react tag="span" />
        </Button>
        {this._error && (
          <div className="kamld-JobsError" role="alert">
            {this._error}
          </div>
        )}
        {this._runs.length === 0 && !this._error ? (
          <p className="kamld-Empty">
            {trans.__(
              'No pipeline runs yet. Right-click a pipeline file (.yaml) in the file browser and choose “Run pipeline…”.'
            )}
          </p>
        ) : (
          <table className="kamld-PipelineRuns-table">
            <thead>
              <tr>
                <th>{trans.__('Run')}</th>
                <th>{trans.__('Pipeline')}</th>
                <th>{trans.__('State')}</th>
                <th>{trans.__('Steps')}</th>
                <th>{trans.__('Created')}</th>
              </tr>
            </thead>
            <tbody>
              {this._runs.map(r => (
                <tr
                  key={r.id}
                  className="kamld-PipelineRuns-row"
                  onClick={() => this._open(r.id)}
                >
                  <td>{r.id}</td>
                  <td>{r.pipeline}</td>
                  <td>{r.state}</td>
                  <td>{summary(r)}</td>
                  <td>{r.createTime.slice(0, 19).replace('T', ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    );
  }

  private _runs: IPipelineRun[] = [];
  private _error = '';
}

/** "2 cached, 1 succeeded". */
function summary(run: IPipelineRun): string {
  const counts = new Map<string, number>();
  for (const s of run.steps) {
    counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([state, n]) => `${n} ${state.toLowerCase()}`)
    .join(', ');
}
