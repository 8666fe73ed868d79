import { cellView, formatNumber, isNumericType } from '../cellFormat';

describe('formatNumber', () => {
  it('drops binary noise and keeps what the value means', () => {
    expect(formatNumber(1.4620000000000002)).toBe('1.462');
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(5.55)).toBe('5.55');
    expect(formatNumber(-0.000123456)).toBe('-0.000123456');
    expect(formatNumber(3.141592653589793)).toBe('3.14159265358979');
  });
  it('keeps integers, huge and special values as they are', () => {
    expect(formatNumber(150)).toBe('150');
    expect(formatNumber(9007199254740991)).toBe('9007199254740991');
    expect(formatNumber(1e21)).toBe('1e+21');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-Infinity');
  });
});

describe('isNumericType', () => {
  it('knows DuckDB and Trino number types', () => {
    for (const t of [
      'BIGINT',
      'INTEGER',
      'int',
      'SMALLINT',
      'TINYINT',
      'UBIGINT',
      'HUGEINT',
      'DOUBLE',
      'double precision',
      'FLOAT',
      'REAL',
      'DECIMAL(18,3)',
      'decimal(10, 2)',
      'NUMERIC'
    ]) {
      expect([t, isNumericType(t)]).toEqual([t, true]);
    }
  });
  it('leaves everything else left-aligned', () => {
    for (const t of [
      'VARCHAR',
      'DATE',
      'TIMESTAMP',
      'INTERVAL',
      'BOOLEAN',
      'INTEGER[]',
      'STRUCT(a INTEGER)',
      ''
    ]) {
      expect([t, isNumericType(t)]).toEqual([t, false]);
    }
  });
});

describe('cellView', () => {
  it('shows NULL as a marked NULL, not a blank', () => {
    expect(cellView(null, 'DOUBLE')).toEqual({ text: 'NULL', kind: 'null' });
    expect(cellView(undefined)).toEqual({ text: 'NULL', kind: 'null' });
    // The string "NULL" is text, told apart by its kind.
    expect(cellView('NULL', 'VARCHAR')).toEqual({ text: 'NULL', kind: 'text' });
    expect(cellView('', 'VARCHAR')).toEqual({ text: '', kind: 'text' });
  });
  it('marks numbers, also those sent as strings', () => {
    expect(cellView(1.4620000000000002, 'DOUBLE')).toEqual({
      text: '1.462',
      kind: 'number'
    });
    expect(cellView('9223372036854775807', 'BIGINT')).toEqual({
      text: '9223372036854775807',
      kind: 'number'
    });
    expect(cellView('12.50', 'DECIMAL(10,2)')).toEqual({
      text: '12.50',
      kind: 'number'
    });
    expect(cellView('12', 'VARCHAR')).toEqual({ text: '12', kind: 'text' });
  });
  it('shows objects as JSON and booleans as words', () => {
    expect(cellView([1, 2], 'INTEGER[]')).toEqual({
      text: '[1,2]',
      kind: 'text'
    });
    expect(cellView(false, 'BOOLEAN')).toEqual({ text: 'false', kind: 'text' });
  });
  it('shows every digit of an exact DECIMAL', () => {
    expect(cellView(1.4620000000000002, 'DECIMAL(17,16)')).toEqual({
      text: '1.4620000000000002',
      kind: 'number'
    });
  });
});
