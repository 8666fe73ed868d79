import { LabIcon } from '@jupyterlab/ui-components';

import driveSvg from '../../style/icons/drive.svg';

/** The kamld: drive browser's sidebar icon (a folder with a dataset); `jp-icon3` follows the theme. */
export const driveIcon = new LabIcon({
  name: 'kamld:drive',
  svgstr: driveSvg
});
