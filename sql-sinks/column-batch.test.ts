import { describe, expect, it } from 'vitest';
import { columnsOf, firstNullIn, rowsOf, unscaledOf, type ColumnBatch } from './column-batch.ts';

describe('column batches', () => {
  it('reads decimal bytes of any width exactly, negative ones too', () => {
    expect(unscaledOf(new Uint8Array([0xff, 0xfb]))).toBe(-5);
    expect(unscaledOf(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0x7b]))).toBe(123);
    expect(unscaledOf(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x85]))).toBe(-123);
    expect(unscaledOf(new Uint8Array([0x01, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(2n ** 64n);
    expect(unscaledOf(new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(-(2n ** 64n));
    expect(unscaledOf(new Uint8Array([]))).toBe(0);
  });

  it('turns a slice of columns into rows of RowValues: decimals as text, nulls from the mask, int64 as numbers where exact', () => {
    const batch: ColumnBatch = {
      kind: 'columns',
      rowCount: 2,
      offset: 1,
      columns: [
        { values: new Float64Array([0, 1, 2]), nulls: new Uint8Array([0, 0, 1]) },
        { values: [null, -5, 12_345], scale: 2 },
        { values: new BigInt64Array([0n, 7n, 9_007_199_254_740_993n]) },
      ],
    };
    expect(rowsOf(batch)).toEqual([
      [1, '-0.05', 7],
      [null, '123.45', 9_007_199_254_740_993n],
    ]);
  });

  it('turns rows into columns and leaves column batches alone', () => {
    const columns = columnsOf([[1, 'a'], [2, null]], 2);
    expect(columns.columns.map((column) => Array.from(column.values))).toEqual([[1, 2], ['a', null]]);
    expect(columnsOf(columns, 2)).toBe(columns);
  });

  it('finds the first row with a NULL in the given columns, in a column slice (mask or value) and in rows', () => {
    const batch: ColumnBatch = {
      kind: 'columns',
      rowCount: 3,
      offset: 1,
      columns: [
        { values: new Float64Array([0, 1, 2, 3, 4]), nulls: new Uint8Array([1, 0, 0, 1, 0]) },
        { values: ['z', 'a', null, 'c', 'd'] },
        { values: [null, 1, 2, 3, 4] },
      ],
    };
    // Row 0 of the slice is index 1: column 0's NULL at index 0 lies before the slice.
    expect(firstNullIn(batch, [0, 1])).toEqual({ row: 1, column: 1 });
    expect(firstNullIn(batch, [0])).toEqual({ row: 2, column: 0 });
    expect(firstNullIn(batch, [2])).toBeUndefined();
    expect(firstNullIn(columnsOf([[1, 'a'], [2, null], [null, 'c']], 2), [0, 1])).toEqual({ row: 1, column: 1 });
    expect(firstNullIn(columnsOf([[1, 'a']], 2), [0, 1])).toBeUndefined();
  });
});
