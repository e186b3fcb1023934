import { describe, expect, it } from 'vitest';
import { sqlTypeOfSpark } from '../sql-types.ts';
import { copyEncoder, encodeCopyBatch } from './copy-text.ts';

const encoders = (...types: string[]) => types.map((type) => copyEncoder(sqlTypeOfSpark(type)!));

describe('COPY text encoding', () => {
  it('escapes the characters that would split fields or rows, and writes NULL as \\N', () => {
    const text = encodeCopyBatch([['a\tb', 'line\nnext\r', 'back\\slash'], [null, '', 'plain']], encoders('string', 'string', 'string'));
    expect(text).toBe('a\\tb\tline\\nnext\\r\tback\\\\slash\n\\N\t\tplain\n');
  });

  it('writes exact integers, decimals, floats and booleans', () => {
    expect(encodeCopyBatch([[9007199254740993n, '-0.005', Number.POSITIVE_INFINITY, true]], encoders('bigint', 'decimal(20,3)', 'double', 'boolean'))).toBe(
      '9007199254740993\t-0.005\tInfinity\tt\n',
    );
  });

  it('writes dates and timestamps with their microseconds, before and after 1970, in UTC', () => {
    const micros = Date.UTC(2025, 2, 1, 12, 0, 0) * 1000 + 123_456;
    expect(encodeCopyBatch([[20_148, micros, -1]], encoders('date', 'timestamp', 'timestamp_ntz'))).toBe('2025-03-01\t2025-03-01 12:00:00.123456+00\t1969-12-31 23:59:59.999999\n');
  });

  it('writes bytes in bytea hex form', () => {
    expect(encodeCopyBatch([[new Uint8Array([0, 1, 255])]], encoders('binary'))).toBe('\\\\x0001ff\n');
  });
});
