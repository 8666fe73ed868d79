/**
 * The "Schema" section of the dataset view: each tabular file at the ref
 * shown, collapsible, with its columns and their statistics. SchemaModel
 * holds the state; this only draws it.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { DRAFT_REF } from './datasetModel';
import {
  formatCount,
  formatDistinct,
  formatNulls,
  formatRange,
  formatSamples,
  ITable,
  SchemaModel,
  tableSummary
} from './schemaModel';
import { HistogramBars } from './histogramBars';
import { HistogramState, isNumericType, ProfileModel } from './profileModel';

export function SchemaSection(props: {
  model: SchemaModel;
  trans: TranslationBundle;
  /** Histograms of numeric columns, when the view computes them. */
  profile?: ProfileModel;
}): React.ReactElement {
  const { model, trans, profile } = props;
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <UseSignal
          signal={(profile?.changed ?? model.changed) as ISignal<unknown, void>}
        >
          {() => (
            <section
              className="kamld-Section kamld-Schema"
              data-kamld-schema-ref={model.ref}
              aria-busy={model.loading}
            >
              <h3>
                {model.ref === DRAFT_REF
                  ? trans.__('Schema of the draft')
                  : trans.__('Schema at %1', model.ref)}
              </h3>
              {model.error && (
                <p className="kamld-Form-error" role="alert">
                  {model.error}
                </p>
              )}
              {model.tables === null && model.loading && (
                <p className="kamld-Muted">{trans.__('Loading…')}</p>
              )}
              {model.tables?.length === 0 && (
                <p className="kamld-Muted kamld-Schema-empty">
                  {trans.__(
                    'No tabular files (CSV, TSV, Parquet or JSON lines) at this ref.'
                  )}
                </p>
              )}
              {model.tables?.map(table => (
                <SchemaTable
                  key={table.path}
                  table={table}
                  expanded={model.isExpanded(table.path)}
                  onToggle={() => model.toggle(table.path)}
                  trans={trans}
                  profile={profile}
                  refName={model.ref}
                />
              ))}
            </section>
          )}
        </UseSignal>
      )}
    </UseSignal>
  );
}

function SchemaTable(props: {
  table: ITable;
  expanded: boolean;
  onToggle: () => void;
  trans: TranslationBundle;
  profile?: ProfileModel;
  refName: string;
}): React.ReactElement {
  const { table, expanded, trans } = props;
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  return (
    <div
      className="kamld-SchemaTable"
      data-kamld-table={table.path}
      data-kamld-expanded={expanded}
    >
      <button
        type="button"
        className="kamld-SchemaTable-header"
        aria-expanded={expanded}
        title={
          expanded
            ? trans.__('Hide the columns of %1', table.path)
            : trans.__('Show the columns of %1', table.path)
        }
        onClick={props.onToggle}
      >
        <Caret.react tag="span" className="kamld-SchemaTable-caret" />
        <span className="kamld-SchemaTable-path kamld-Mono">{table.path}</span>
        <span
          className="kamld-SchemaTable-summary kamld-Muted"
          data-kamld-rows={table.rowCount}
        >
          {tableSummary(table, trans)}
        </span>
      </button>
      {expanded && (
        <ColumnTable
          table={table}
          trans={trans}
          histogram={
            props.profile
              ? column =>
                  props.profile!.histogram(props.refName, table.name, column)
              : undefined
          }
        />
      )}
    </div>
  );
}

function ColumnTable(props: {
  table: ITable;
  trans: TranslationBundle;
  histogram?: (column: string) => HistogramState;
}): React.ReactElement {
  const { table, trans, histogram } = props;
  return (
    <div className="kamld-SchemaTable-scroll">
      <table className="kamld-Table kamld-ColumnTable">
        <thead>
          <tr>
            <th scope="col">{trans.__('Column')}</th>
            <th scope="col">{trans.__('Type')}</th>
            <th scope="col" className="kamld-Num">
              {trans.__('Nulls')}
            </th>
            <th scope="col">{trans.__('Min – max')}</th>
            <th
              scope="col"
              className="kamld-Num"
              title={trans.__('Estimated number of distinct values')}
            >
              {trans.__('Distinct')}
            </th>
            {histogram && <th scope="col">{trans.__('Distribution')}</th>}
            <th scope="col">{trans.__('Samples')}</th>
          </tr>
        </thead>
        <tbody>
          {table.columns.map(column => (
            <tr key={column.name} data-kamld-column={column.name}>
              <td className="kamld-ColumnTable-name kamld-Mono">
                {column.name}
              </td>
              <td className="kamld-ColumnTable-type">
                <span className="kamld-Mono">{column.type}</span>
                {column.nullable && (
                  <span
                    className="kamld-ColumnTable-nullable kamld-Muted"
                    title={trans.__('May hold nulls')}
                  >
                    {' '}
                    {trans.__('nullable')}
                  </span>
                )}
              </td>
              <td className="kamld-Num">
                {formatNulls(column.stats, table.rowCount)}
              </td>
              <td className="kamld-Mono">{formatRange(column.stats)}</td>
              <td className="kamld-Num">{formatDistinct(column.stats)}</td>
              {histogram && (
                <td className="kamld-ColumnTable-histogram">
                  {isNumericType(column.type) && table.rowCount > 0 ? (
                    <HistogramBars
                      state={histogram(column.name)}
                      trans={trans}
                    />
                  ) : null}
                </td>
              )}
              <td
                className="kamld-ColumnTable-samples kamld-Mono"
                title={formatSamples(column.stats)}
              >
                {formatSamples(column.stats)}
              </td>
            </tr>
          ))}
          {table.columns.length === 0 && (
            <tr>
              <td colSpan={histogram ? 7 : 6} className="kamld-Muted">
                {trans.__('No columns were read from %1.', table.path)}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {table.columns.length > 0 && !table.columns.some(c => c.stats) && (
        <p className="kamld-Muted">
          {trans.__(
            'No statistics for these %1 rows yet.',
            formatCount(table.rowCount)
          )}
        </p>
      )}
    </div>
  );
}
