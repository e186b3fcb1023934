import { describe, expect, it } from 'vitest';
import { columnsOf, type ColumnBatch } from '../column-batch.ts';
import type { RowBatch } from '../sink.ts';
import { sqlTypeOfSpark, type SqlColumn } from '../sql-types.ts';
import { ChunkWriter, writeCopyBinary } from './copy-binary.ts';

const columnsFor = (...types: string[]): SqlColumn[] => types.map((type, i) => ({ name: `c${i}`, type: sqlTypeOfSpark(type)!, nullable: true }));

/** The fields of each row as raw bytes (null for NULL), read back from the COPY binary rows. */
function encode(batch: RowBatch | ColumnBatch, columns: SqlColumn[], chunkBytes = 64): (Buffer | null)[][] {
  const chunks: Buffer[] = [];
  const out = new ChunkWriter(chunkBytes, (chunk) => chunks.push(Buffer.from(chunk)));
  writeCopyBinary(out, columnsOf(batch, columns.length), columns);
  out.flush();
  const data = Buffer.concat(chunks);
  const rows: (Buffer | null)[][] = [];
  for (let at = 0; at < data.length; ) {
    const width = data.readInt16BE(at);
    at += 2;
    const row: (Buffer | null)[] = [];
    for (let c = 0; c < width; c++) {
      const length = data.readInt32BE(at);
      at += 4;
      row.push(length < 0 ? null : data.subarray(at, at + length));
      at += Math.max(length, 0);
    }
    rows.push(row);
  }
  return rows;
}

/** A numeric field as [ndigits, weight, sign, dscale, ...digits]. */
const numeric = (field: Buffer | null): number[] => Array.from({ length: field!.length / 2 }, (_, i) => field!.readUInt16BE(i * 2));

describe('COPY binary encoding', () => {
  it('frames each row with its field count and writes NULL as length -1, across chunk boundaries', () => {
    const rows = encode([[1, 'a'], [null, null], [3, 'ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc']], columnsFor('int', 'string'), 16);
    expect(rows.map((row) => row.map((field) => field && field.length))).toEqual([[4, 1], [null, null], [4, 77]]);
  });

  it('writes integers of each width in network order, and refuses one that does not fit, naming the column', () => {
    const [row] = encode([[-2, 70_000, 9_007_199_254_740_993n]], columnsFor('smallint', 'int', 'bigint'));
    expect(row!.map((field) => field!.toString('hex'))).toEqual(['fffe', '00011170', '0020000000000001']);
    expect(() => encode([[40_000]], columnsFor('smallint'))).toThrow(/column "c0": 40000 is out of range for a 16-bit integer/);
  });

  it('copies int64s straight from a BigInt64Array, and honours a null mask', () => {
    const batch: ColumnBatch = { kind: 'columns', rowCount: 2, offset: 1, columns: [{ values: new BigInt64Array([0n, -1n, 5n]), nulls: new Uint8Array([0, 0, 1]) }] };
    expect(encode(batch, columnsFor('bigint')).map(([field]) => field && field.toString('hex'))).toEqual(['ffffffffffffffff', null]);
  });

  it('writes decimals as numeric from their text, a double, or an unscaled integer and scale', () => {
    const [row] = encode([['12345678901234567.891', '-0.005', 0.1, 'NaN', '1e+21', null]], columnsFor('decimal(20,3)', 'decimal(20,3)', 'decimal(5,1)', 'decimal(5,1)', 'decimal(38,0)', 'decimal(5,1)'));
    expect(numeric(row![0]!)).toEqual([6, 4, 0, 3, 1, 2345, 6789, 123, 4567, 8910]);
    expect(numeric(row![1]!)).toEqual([1, 0xffff, 0x4000, 3, 50]);
    expect(numeric(row![2]!)).toEqual([1, 0xffff, 0, 1, 1000]);
    expect(numeric(row![3]!)).toEqual([0, 0, 0xc000, 0]);
    expect(numeric(row![4]!)).toEqual([6, 5, 0, 0, 10, 0, 0, 0, 0, 0]);
    const scaled: ColumnBatch = { kind: 'columns', rowCount: 2, offset: 0, columns: [{ values: [12345678901234567891n, new Uint8Array([0xff, 0xfb])], scale: 3 }] };
    expect(encode(scaled, columnsFor('decimal(20,3)')).map(([field]) => numeric(field ?? null))).toEqual([
      [6, 4, 0, 3, 1, 2345, 6789, 123, 4567, 8910],
      [1, 0xffff, 0x4000, 3, 50],
    ]);
  });

  it('writes a decimal column into a float column as the nearest double', () => {
    const scaled: ColumnBatch = { kind: 'columns', rowCount: 1, offset: 0, columns: [{ values: [15], scale: 1 }] };
    expect(encode(scaled, columnsFor('double'))[0]![0]!.readDoubleBE(0)).toBe(1.5);
  });

  it('writes dates and timestamps from PostgreSQL epoch (2000-01-01), with microseconds on both sides of 1970', () => {
    const [row] = encode([[10_957, -1, 946_684_800_000_001n]], columnsFor('date', 'timestamp', 'timestamp_ntz'));
    expect(row![0]!.readInt32BE(0)).toBe(0);
    expect(row![1]!.readBigInt64BE(0)).toBe(-946_684_800_000_001n);
    expect(row![2]!.readBigInt64BE(0)).toBe(1n);
  });

  it('keeps the microsecond of a timestamp near the ends of what a double holds (before 1714, after 2255)', () => {
    // -(2^53 - 1) µs is 1684-06-03 (a double holds it; shifted to 2000 it would not be), and
    // 9999-12-31 23:59:59.999999 comes as a BigInt.
    const [row] = encode([[-9_007_199_254_740_991, 253_402_300_799_999_999n]], columnsFor('timestamp', 'timestamp'));
    expect(row![0]!.readBigInt64BE(0)).toBe(-9_007_199_254_740_991n - 946_684_800_000_000n);
    expect(row![1]!.readBigInt64BE(0)).toBe(253_402_300_799_999_999n - 946_684_800_000_000n);
  });

  it('writes strings as UTF-8 with no escaping, and bytes and booleans as they are', () => {
    const [row] = encode([['tab\there\nback\\slash', 'Zürich ✓', new Uint8Array([0, 1, 255]), true, false]], columnsFor('string', 'string', 'binary', 'boolean', 'boolean'));
    expect(row!.map((field) => field!.toString('hex'))).toEqual([
      Buffer.from('tab\there\nback\\slash').toString('hex'),
      Buffer.from('Zürich ✓').toString('hex'),
      '0001ff',
      '01',
      '00',
    ]);
  });
});
