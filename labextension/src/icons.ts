import { LabIcon } from '@jupyterlab/ui-components';

import datasetsSvg from '../style/icons/datasets.svg';

/** The Datasets panel's sidebar icon; `jp-icon3` follows the theme. */
export const datasetsIcon = new LabIcon({
  name: 'kamld:datasets',
  svgstr: datasetsSvg
});
