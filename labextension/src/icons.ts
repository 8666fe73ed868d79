import { LabIcon } from '@jupyterlab/ui-components';

import datasetsSvg from '../style/icons/datasets.svg';
import platformSvg from '../style/icons/platform.svg';

/** The Datasets panel's sidebar icon; `jp-icon3` follows the theme. */
export const datasetsIcon = new LabIcon({
  name: 'kamld:datasets',
  svgstr: datasetsSvg
});

/** The Platform view's icon (a pulse line). */
export const platformIcon = new LabIcon({
  name: 'kamld:platform',
  svgstr: platformSvg
});
