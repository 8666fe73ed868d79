/**
 * The Lineage tab of a dataset view: the dataset's snapshots, the jobs that
 * wrote them and the snapshots those jobs read, as a graph. A snapshot of
 * this dataset opens its files, one of another dataset opens that dataset,
 * a job opens its tab.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { DatasetViewModel } from './datasetViewModel';
import { LineageGraph } from './lineageGraph';
import {
  datasetLineage,
  datasetOfSnapshot,
  ILineageNode
} from './lineageModel';

export function DatasetLineage(props: {
  model: DatasetViewModel;
  trans: TranslationBundle;
  openDataset: (id: string, ref?: string) => void;
  openJob: (id: string) => void;
}): React.ReactElement {
  const { model, trans } = props;
  const graph = React.useMemo(
    () => datasetLineage(model.datasetId, model.snapshots, model.lineageNames),
    [model.datasetId, model.snapshots, model.lineageNames]
  );
  const open = (node: ILineageNode): void => {
    if (node.kind === 'job') {
      props.openJob(node.id.replace(/^jobs\//, ''));
      return;
    }
    const ref = node.label.includes('@') ? node.label.split('@')[1] : '';
    const dataset = datasetOfSnapshot(node.id);
    if (dataset === model.datasetId) {
      model.setTab('files');
      void model.setRef(ref);
    } else {
      props.openDataset(dataset, ref);
    }
  };
  const current = model.snapshots.find(s => s.version === model.ref)?.name;
  return (
    <section className="kamld-Section kamld-LineageSection">
      <p className="kamld-Muted">
        {trans.__(
          'Snapshots of %1 and the jobs that read and wrote them. Select a node to open it.',
          model.datasetId
        )}
      </p>
      <LineageGraph
        graph={graph}
        onOpen={open}
        trans={trans}
        current={current}
      />
    </section>
  );
}
