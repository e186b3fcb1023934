import { describe, expect, it } from 'vitest';
import { jobIdTime, newJobId } from './ids.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);
const zeros = new Uint8Array(8);
const SAFE = /^j[0-9abcdefghjkmnpqrstvwxyz]{17}$/;

describe('newJobId', () => {
  it('is 18 characters of lowercase letters and digits, starting with j', () => {
    const id = newJobId(Date.UTC(2025, 0, 1), bytes(0, 31, 32, 255, 128, 7, 64, 200));
    expect(id).toHaveLength(18);
    expect(id).toMatch(SAFE);
  });

  it('leaves out the letters that read like digits (i, l, o, u)', () => {
    const all = Array.from({ length: 256 }, (_, i) => newJobId(i * 1_000_003, bytes(i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7))).join('');
    expect(all.slice(1)).not.toMatch(/[ilou]/);
  });

  it('sorts in creation order across many milliseconds', () => {
    const start = Date.UTC(2020, 0, 1);
    const times: number[] = [];
    // Small steps (carries between digits) and large ones (years apart).
    for (let t = start; t < start + 5_000; t += 7) times.push(t);
    for (let t = start; t < Date.UTC(2100, 0, 1); t += 86_400_000 * 37) times.push(t);
    const distinct = [...new Set(times)].sort((a, b) => a - b);
    const ids = distinct.map((t, i) => newJobId(t, bytes(255 - (i % 256), 0, 0, 0, 0, 0, 0, 0)));
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('is ordered by time before the random part', () => {
    const earlier = newJobId(1_700_000_000_000, bytes(255, 255, 255, 255, 255, 255, 255, 255));
    const later = newJobId(1_700_000_000_001, zeros);
    expect(earlier < later).toBe(true);
  });

  it('differs when the random bytes differ within the same millisecond', () => {
    const now = 1_700_000_000_000;
    expect(newJobId(now, zeros)).not.toBe(newJobId(now, bytes(1, 0, 0, 0, 0, 0, 0, 0)));
  });

  it('uses only the first eight random bytes', () => {
    const now = 1_700_000_000_000;
    expect(newJobId(now, bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))).toBe(newJobId(now, bytes(1, 2, 3, 4, 5, 6, 7, 8)));
  });
});

describe('jobIdTime', () => {
  it('reads back the creation time an id was made with', () => {
    for (const t of [0, 1, Date.UTC(2025, 0, 1, 12, 30, 15, 123), Date.UTC(2099, 11, 31)]) {
      expect(jobIdTime(newJobId(t, bytes(9, 8, 7, 6, 5, 4, 3, 2)))).toBe(t);
    }
  });

  it('is undefined for a string that is no job id', () => {
    for (const text of ['j1', '', 'x00000000000000000', 'j0000000000000000', 'j00000000i00000000', 'J000000000000000000']) expect(jobIdTime(text)).toBeUndefined();
  });
});
