/** A file's icon by its type, as JupyterLab's file browser shows it. */
import * as React from 'react';

import { fileTypeIcon } from './fileTypeIcon';

export function FileIcon(props: { path: string }): React.ReactElement {
  const Icon = fileTypeIcon(props.path);
  return (
    <Icon.react
      tag="span"
      className="kamld-FileIcon"
      elementPosition="center"
    />
  );
}
