import { describe, expect, it } from 'vitest';
import { timestampText } from './row-text.ts';

describe('timestampText', () => {
  it.each<[bigint | number, string]>([
    [0, '1970-01-01 00:00:00.000000'],
    [-1, '1969-12-31 23:59:59.999999'],
    [1_740_830_400_123_456, '2025-03-01 12:00:00.123456'],
    // Past what a double holds exactly: the reader gives these as BigInts.
    [253_402_300_799_999_999n, '9999-12-31 23:59:59.999999'],
    [-11_676_096_000_000_000n + 1n, '1600-01-01 00:00:00.000001'],
    [-1n, '1969-12-31 23:59:59.999999'],
  ])('%s µs is %s', (micros, text) => expect(timestampText(micros)).toBe(text));
});
