/** A job's state as a small coloured badge (the word is the label, colour only helps). */
import * as React from 'react';

import { JobStateName } from './jobApi';

export function JobStateBadge(props: {
  state: JobStateName;
}): React.ReactElement {
  return (
    <span
      className={`kamld-JobState kamld-mod-${props.state.toLowerCase()}`}
      data-kamld-state={props.state}
    >
      {props.state.toLowerCase()}
    </span>
  );
}
