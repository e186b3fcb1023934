// Rows by column: the lake reader hands the sinks each row group's columns as hyparquet
// decoded them (typed arrays where it can), sliced into batches, so no object is built per
// row on the way to PostgreSQL's COPY. A sink may also be given plain row batches (tests,
// small callers); `columnsOf` and `rowsOf` turn one form into the other for the code that
// wants the other.
import { scaledText } from './row-text.ts';
import type { RowBatch, RowValue } from './sink.ts';

/**
 * One column of a batch. `values` holds the RowValue forms (null or undefined for NULL, or
 * a 1 in `nulls` where values is a typed array), except when `scale` is set: then the
 * column is a decimal and each value is its unscaled integer as Parquet stores it (number,
 * bigint, or big-endian two's-complement bytes).
 */
export type ColumnValues = { values: ArrayLike<unknown>; nulls?: Uint8Array; scale?: number };

const isNullAt = (column: ColumnValues, index: number): boolean => {
  const value = column.values[index];
  return value === null || value === undefined || (column.nulls !== undefined && column.nulls[index] === 1);
};

/** Rows `offset` to `offset + rowCount` of `columns`, in the run's column order. */
export type ColumnBatch = { kind: 'columns'; rowCount: number; offset: number; columns: readonly ColumnValues[] };

/** What a load's rows come in: row arrays or column slices. */
export type LoadBatch = RowBatch | ColumnBatch;

const isColumnBatch = (batch: LoadBatch): batch is ColumnBatch => !Array.isArray(batch);

/** A row batch turned into columns of `width` (the run's column count). */
export function columnsOf(batch: LoadBatch, width: number): ColumnBatch {
  if (isColumnBatch(batch)) return batch;
  const columns: ColumnValues[] = [];
  for (let c = 0; c < width; c++) {
    const values = new Array<RowValue>(batch.length);
    for (let r = 0; r < batch.length; r++) values[r] = batch[r]![c] ?? null;
    columns.push({ values });
  }
  return { kind: 'columns', rowCount: batch.length, offset: 0, columns };
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
/** An int64 as a number where a double holds it exactly (nearly always): far cheaper than a BigInt. */
export const exactNumberOf = (value: bigint): bigint | number => (value >= -MAX_EXACT && value <= MAX_EXACT ? Number(value) : value);
/** Below this, one more byte (x * 256 + 255 + 1) stays exact in a double. */
const MAX_SAFE_BY_256 = Math.floor(Number.MAX_SAFE_INTEGER / 256) - 1;

/**
 * The unscaled integer of a decimal as Parquet stores it: int32, int64, or big-endian two's
 * complement bytes. A magnitude below 2^53 is computed in a double, which is much faster
 * than BigInt; wide decimals (precision over 18) usually hold such small values.
 */
export function unscaledOf(raw: unknown): bigint | number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return exactNumberOf(raw);
  const bytes = raw as Uint8Array;
  const negative = bytes.length > 0 && (bytes[0]! & 0x80) !== 0;
  // The magnitude of a negative number is its bytes inverted, plus one.
  const flip = negative ? 0xff : 0;
  let magnitude = 0;
  let i = 0;
  for (; i < bytes.length && magnitude <= MAX_SAFE_BY_256; i++) magnitude = magnitude * 256 + (bytes[i]! ^ flip);
  if (i === bytes.length) return negative ? -(magnitude + 1) : magnitude;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return negative ? value - (1n << BigInt(bytes.length * 8)) : value;
}

/** One value in its RowValue form: decimals as exact text, int64 as a number where exact. */
export function rowValueAt(column: ColumnValues, index: number): RowValue {
  if (isNullAt(column, index)) return null;
  const value = column.values[index];
  if (column.scale !== undefined) return scaledText(unscaledOf(value), column.scale);
  if (typeof value === 'bigint') return exactNumberOf(value);
  return value as RowValue;
}

/**
 * The first row of the batch (counted from the batch's start) that has NULL in one of the
 * columns at `indexes`, with that column's index; undefined when none has. Reads the null
 * masks and values in place: no row is built.
 */
export function firstNullIn(batch: ColumnBatch, indexes: readonly number[]): { row: number; column: number } | undefined {
  let first: { row: number; column: number } | undefined;
  for (const c of indexes) {
    const column = batch.columns[c]!;
    const end = first?.row ?? batch.rowCount;
    for (let r = 0; r < end; r++) {
      if (isNullAt(column, batch.offset + r)) {
        first = { row: r, column: c };
        break;
      }
    }
  }
  return first;
}

/** A batch as row arrays of RowValues (SQL Server's bulk load and the demo read rows). */
export function rowsOf(batch: LoadBatch): RowBatch {
  if (!isColumnBatch(batch)) return batch;
  const rows: RowBatch = new Array(batch.rowCount);
  for (let r = 0; r < batch.rowCount; r++) {
    const row = new Array<RowValue>(batch.columns.length);
    for (let c = 0; c < batch.columns.length; c++) row[c] = rowValueAt(batch.columns[c]!, batch.offset + r);
    rows[r] = row;
  }
  return rows;
}
