/**
 * How a data grid shows one cell: numbers right-aligned without binary
 * noise (`1.462`, not `1.4620000000000002`), NULL as a marked `NULL` rather
 * than a blank that looks like an empty string. Pure functions: jest-tested,
 * no JupyterLab imports.
 */

export type CellKind = 'null' | 'number' | 'text';

export interface ICellView {
  text: string;
  kind: CellKind;
}

/**
 * Significant digits a float is shown with. A double holds 15–17; the last
 * one or two are where sums like 0.1 + 0.2 leave their noise.
 */
export const FLOAT_DIGITS = 15;

/**
 * SQL types whose values are numbers (DuckDB and Trino names), with an
 * optional precision; arrays and structs of numbers are not.
 */
const NUMERIC_TYPE =
  /^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|INT\d+|FLOAT\d*|DOUBLE( PRECISION)?|REAL|DECIMAL|NUMERIC)(\(\s*\d+\s*(,\s*\d+\s*)?\))?$/i;

/** SQL types whose values are exact decimals, shown with every digit. */
const EXACT_TYPE = /^(DECIMAL|NUMERIC)(\(\s*\d+\s*(,\s*\d+\s*)?\))?$/i;

/** Whether a column of this SQL type holds numbers (then it is right-aligned). */
export function isNumericType(type: string): boolean {
  return NUMERIC_TYPE.test(type.trim());
}

/** A float at FLOAT_DIGITS significant digits, in its shortest form. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) {
    return String(value);
  }
  return String(Number(value.toPrecision(FLOAT_DIGITS)));
}

/**
 * A cell as shown. `type` is the column's SQL type: numbers that arrive as
 * strings (64-bit integers and decimals travel as JSON strings) are numbers
 * all the same.
 */
export function cellView(value: unknown, type = ''): ICellView {
  if (value === null || value === undefined) {
    return { text: 'NULL', kind: 'null' };
  }
  if (typeof value === 'number') {
    // A DECIMAL is exact: its digits are the value, not binary noise.
    const exact = EXACT_TYPE.test(type.trim());
    return {
      text: exact ? String(value) : formatNumber(value),
      kind: 'number'
    };
  }
  if (typeof value === 'bigint') {
    return { text: value.toString(), kind: 'number' };
  }
  if (typeof value === 'object') {
    return { text: JSON.stringify(value), kind: 'text' };
  }
  const text = String(value);
  return {
    text,
    kind: typeof value === 'string' && isNumericType(type) ? 'number' : 'text'
  };
}
