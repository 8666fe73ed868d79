/**
 * The sidebar's facet filters: one collapsible group per facet (tags,
 * formats, owners), each value a checkbox with its count. Checking a value
 * narrows the one dataset list to it (the search model adds `field:value`).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { SearchModel } from './searchModel';

export function facetTitle(field: string, trans: TranslationBundle): string {
  switch (field) {
    case 'tag':
      return trans.__('Tags');
    case 'format':
      return trans.__('Formats');
    case 'owner':
      return trans.__('Owners');
    default:
      return field;
  }
}

export function FacetFilters(props: {
  model: SearchModel;
  trans: TranslationBundle;
  id: string;
  hidden: boolean;
}): React.ReactElement {
  const { model, trans, id, hidden } = props;
  return (
    <div
      className="kamld-Search-facets"
      id={id}
      role="group"
      aria-label={trans.__('Filters')}
      hidden={hidden}
    >
      {model.facets.map(facet => {
        const picked = facet.values.filter(v =>
          model.isPicked(facet.field, v.value)
        ).length;
        return (
          <details
            key={facet.field}
            className="kamld-Search-facet"
            data-kamld-facet={facet.field}
            open={picked > 0 || undefined}
          >
            <summary className="kamld-Search-facetTitle">
              {facetTitle(facet.field, trans)}
              {picked > 0 && (
                <span className="kamld-Search-count">
                  {trans.__(' (%1 on)', picked)}
                </span>
              )}
            </summary>
            {facet.values.length === 0 && (
              <div className="kamld-Search-facetEmpty">{trans.__('None')}</div>
            )}
            {facet.values.map(v => (
              <label
                key={v.value}
                className={
                  'kamld-Search-facetValue' +
                  (model.isPicked(facet.field, v.value) ? ' jp-mod-active' : '')
                }
                title={v.value}
              >
                <input
                  type="checkbox"
                  checked={model.isPicked(facet.field, v.value)}
                  onChange={() => void model.toggle(facet.field, v.value)}
                />
                <span className="kamld-Search-facetName">{v.value}</span>
                <span className="kamld-Search-count">{v.count}</span>
              </label>
            ))}
          </details>
        );
      })}
    </div>
  );
}
