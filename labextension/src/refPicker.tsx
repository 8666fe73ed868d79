/**
 * The ref a dataset view shows (the draft, a branch, a version or a tag),
 * chosen from groups; the Files and Schema tabs follow it.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IRefOption, refGroups, refOptions } from './datasetModel';
import { DatasetViewModel } from './datasetViewModel';

export function RefPicker(props: {
  model: DatasetViewModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  const options = refOptions(
    model.snapshots,
    model.tags,
    trans.__('Draft'),
    model.branches,
    branch => trans.__('%1 (draft)', branch)
  );
  const groupLabels: Record<IRefOption['group'], string> = {
    draft: trans.__('Main'),
    branch: trans.__('Branches'),
    snapshot: trans.__('Versions'),
    tag: trans.__('Tags')
  };
  return (
    <label className="kamld-Files-ref">
      <span>{trans.__('Ref')}</span>
      <select
        className="jp-mod-styled"
        value={model.ref}
        onChange={event => void model.setRef(event.target.value)}
      >
        {refGroups(options).map(([group, members]) => (
          <optgroup key={group} label={groupLabels[group]}>
            {members.map(option => (
              <option
                key={`${option.group}:${option.value}`}
                value={option.value}
              >
                {option.label}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </label>
  );
}
