/**
 * A person as shown everywhere in the panel: the display name, with the
 * account name on hover.
 */
import * as React from 'react';

import { people } from './people';

export function PersonName(props: { name: string }): React.ReactElement {
  const shown = people.displayName(props.name);
  return (
    <span
      className="kamld-Person"
      title={shown === props.name ? undefined : props.name}
      data-kamld-account={props.name}
    >
      {shown}
    </span>
  );
}
