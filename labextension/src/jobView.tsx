/**
 * A job's tab in the main area: state, owner, times and resources; inputs
 * and outputs linking to the exact snapshots; the lineage graph (inputs →
 * job → outputs); the events as a timeline; and the live log (follows the
 * end unless scrolled up, with a search box that marks matching lines).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  datasetOf,
  IJob,
  isFinal,
  jobDuration,
  jobTitle,
  snapshotRef
} from './jobApi';
import { JobLog } from './jobLog';
import { JobStateBadge } from './jobStateBadge';
import { JobViewModel } from './jobViewModel';
import { LineageGraph } from './lineageGraph';
import { ILineageGraph, ILineageNode } from './lineageModel';
import { formatTime } from './datasetModel';
import { PersonName } from './personName';

export interface IJobViewActions {
  openDataset: (id: string, ref?: string) => void;
  rerun: (job: IJob) => void;
}

export class JobViewWidget extends ReactWidget {
  constructor(
    readonly model: JobViewModel,
    private readonly _actions: IJobViewActions,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('kamld-JobView');
    this.node.dataset.kamldJob = model.jobId;
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.model.dispose();
    }
    super.dispose();
  }

  protected render(): React.ReactElement {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <JobBody
            model={this.model}
            actions={this._actions}
            trans={this._trans}
          />
        )}
      </UseSignal>
    );
  }
}

/** The job's inputs → job → outputs, with readable snapshot names. */
function jobGraph(job: IJob, model: JobViewModel): ILineageGraph {
  const snapshotNode = (name: string): ILineageNode => {
    const version = model.versions.get(name);
    return {
      id: name,
      kind: 'snapshot',
      label: `${datasetOf(name)}@${version ?? name.split('/').pop()?.slice(0, 7)}`,
      detail: '',
      foreign: false
    };
  };
  const inputs = job.inputs.map(i => i.snapshot).filter(Boolean);
  return {
    nodes: [
      ...inputs.map(snapshotNode),
      {
        id: job.name,
        kind: 'job',
        label: jobTitle(job),
        detail: job.state.toLowerCase(),
        foreign: false
      },
      ...job.outputSnapshots.map(snapshotNode)
    ],
    edges: [
      ...inputs.map(i => ({ from: i, to: job.name, kind: 'read' as const })),
      ...job.outputSnapshots.map(o => ({
        from: job.name,
        to: o,
        kind: 'wrote' as const
      }))
    ]
  };
}

function JobBody(props: {
  model: JobViewModel;
  actions: IJobViewActions;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, actions, trans } = props;
  const job = model.job;
  const graph = React.useMemo(
    () => (job ? jobGraph(job, model) : null),
    [job, model.versions.size]
  );
  if (!job || !graph) {
    return (
      <div className="kamld-JobView-body">
        <p className={model.error ? 'kamld-Form-error' : 'kamld-Muted'}>
          {model.error || trans.__('Loading…')}
        </p>
      </div>
    );
  }
  const openSnapshot = (name: string): void =>
    actions.openDataset(datasetOf(name), snapshotRef(name, model.versions));
  return (
    <div className="kamld-JobView-body">
      <header className="kamld-JobView-header">
        <h2 className="kamld-JobView-title">{jobTitle(job)}</h2>
        <JobStateBadge state={job.state} />
        {!isFinal(job) ? (
          <Button
            small
            className="kamld-JobCancel"
            onClick={() => void model.cancel()}
          >
            {trans.__('Cancel')}
          </Button>
        ) : (
          <Button
            small
            className="kamld-JobRerun"
            onClick={() => actions.rerun(job)}
          >
            {trans.__('Run again')}
          </Button>
        )}
      </header>
      <table className="kamld-Table kamld-JobView-facts">
        <tbody>
          <tr>
            <th scope="row">{trans.__('Id')}</th>
            <td className="kamld-Mono">{job.id}</td>
            <th scope="row">{trans.__('Owner')}</th>
            <td>
              <PersonName name={job.owner} />
            </td>
          </tr>
          <tr>
            <th scope="row">{trans.__('Started')}</th>
            <td>{formatTime(job.startTime) || trans.__('not yet')}</td>
            <th scope="row">{trans.__('Duration')}</th>
            <td>{jobDuration(job)}</td>
          </tr>
          <tr>
            <th scope="row">{trans.__('Flavor')}</th>
            <td>{job.flavor}</td>
            <th scope="row">{trans.__('Image')}</th>
            <td className="kamld-Mono">{job.image}</td>
          </tr>
        </tbody>
      </table>
      <h3>{trans.__('Inputs and outputs')}</h3>
      <ul className="kamld-JobView-io">
        {job.inputs.map(input => (
          <li key={`in:${input.path}`}>
            {trans.__('reads')}{' '}
            <SnapshotLink
              name={input.snapshot}
              model={model}
              open={openSnapshot}
              fallback={input.ref}
            />{' '}
            {trans.__('at /%1', input.path)}
          </li>
        ))}
        {job.outputSnapshots.map(output => (
          <li key={`out:${output}`} className="kamld-JobLineage">
            {trans.__('wrote')}{' '}
            <SnapshotLink
              name={output}
              model={model}
              open={openSnapshot}
              fallback=""
            />
          </li>
        ))}
        {job.outputs.length > 0 && job.outputSnapshots.length === 0 && (
          <li className="kamld-Muted">
            {trans.__(
              'Outputs %1: written when the job succeeds.',
              job.outputs.map(o => datasetOf(o.dataset)).join(', ')
            )}
          </li>
        )}
      </ul>
      <LineageGraph
        graph={graph}
        trans={trans}
        current={job.name}
        onOpen={node => {
          if (node.kind === 'snapshot') {
            openSnapshot(node.id);
          }
        }}
      />
      <h3>{trans.__('Events')}</h3>
      <ol className="kamld-JobEvents">
        {job.events.map((event, n) => (
          <li key={n}>
            <time className="kamld-JobEvents-time" dateTime={event.time}>
              {formatTime(event.time)}
            </time>{' '}
            <JobStateBadge state={event.state} /> {event.reason}
            {event.message ? `: ${event.message}` : ''}
          </li>
        ))}
      </ol>
      <h3>{trans.__('Log')}</h3>
      <JobLog text={model.log} live={!isFinal(job)} trans={trans} />
    </div>
  );
}

function SnapshotLink(props: {
  name: string;
  model: JobViewModel;
  open: (name: string) => void;
  fallback: string;
}): React.ReactElement {
  const version = props.model.versions.get(props.name);
  const label = props.name
    ? `${datasetOf(props.name)}@${version ?? props.name.split('/').pop()?.slice(0, 7)}`
    : props.fallback;
  return (
    <a
      href="#"
      className="kamld-SnapshotLink"
      data-kamld-snapshot={props.name}
      onClick={event => {
        event.preventDefault();
        props.open(props.name);
      }}
    >
      {label}
    </a>
  );
}
