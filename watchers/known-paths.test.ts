import { describe, expect, it } from 'vitest';
import { KnownPaths } from './known-paths.ts';

const fp = (n: number) => n.toString(16).padStart(40, '0');

describe('known paths table', () => {
  it('gives back each version as it was set', () => {
    const known = new KnownPaths();
    known.set('a.parquet', { fingerprint: fp(1), size: 2 ** 40 + 7, mtimeMs: 1_700_000_000_123 });
    known.set('d/b.parquet', { fingerprint: fp(2), size: 0, mtimeMs: 5 });
    expect(known.get('a.parquet')).toEqual({ fingerprint: fp(1), size: 2 ** 40 + 7, mtimeMs: 1_700_000_000_123 });
    expect(known.get('d/b.parquet')).toEqual({ fingerprint: fp(2), size: 0, mtimeMs: 5 });
    expect(known.get('missing')).toBeUndefined();
    expect(known.size).toBe(2);
  });

  it('keeps a fingerprint that is not 40 hex digits exactly as given', () => {
    const known = new KnownPaths();
    known.set('a', { fingerprint: 'whole', size: 1, mtimeMs: 1 });
    expect(known.get('a')).toEqual({ fingerprint: 'whole', size: 1, mtimeMs: 1 });
    // Replaced by a regular record, the odd value does not linger.
    known.set('a', { fingerprint: fp(5), size: 1, mtimeMs: 2 });
    expect(known.get('a')).toEqual({ fingerprint: fp(5), size: 1, mtimeMs: 2 });
  });

  it('says when a stat is the known version, by size and whole-millisecond mtime', () => {
    const known = new KnownPaths();
    known.set('a', { fingerprint: fp(1), size: 10, mtimeMs: 500 });
    expect(known.isKnownVersion('a', { size: 10, mtimeMs: 500.7, ino: 1 })).toBe(true);
    expect(known.isKnownVersion('a', { size: 11, mtimeMs: 500, ino: 1 })).toBe(false);
    expect(known.isKnownVersion('a', { size: 10, mtimeMs: 501, ino: 1 })).toBe(false);
    expect(known.isKnownVersion('b', { size: 10, mtimeMs: 500, ino: 1 })).toBe(false);
  });

  it('holds 100,000 paths across growth and reuses the slots of deleted ones', () => {
    const known = new KnownPaths();
    for (let i = 0; i < 100_000; i += 1) known.set(`d-${i % 100}/f-${i}.parquet`, { fingerprint: fp(i), size: i, mtimeMs: i * 2 });
    expect(known.size).toBe(100_000);
    expect(known.get('d-42/f-99942.parquet')).toEqual({ fingerprint: fp(99_942), size: 99_942, mtimeMs: 199_884 });
    expect(known.delete('d-1/f-1.parquet')).toBe(fp(1));
    expect(known.delete('d-1/f-1.parquet')).toBeUndefined();
    known.set('new.parquet', { fingerprint: fp(7), size: 7, mtimeMs: 7 });
    expect(known.get('new.parquet')).toEqual({ fingerprint: fp(7), size: 7, mtimeMs: 7 });
    expect(known.get('d-0/f-0.parquet')).toEqual({ fingerprint: fp(0), size: 0, mtimeMs: 0 });
    expect(known.pathsUnder('d-2')).toHaveLength(1_000);
    expect(known.pathsUnder('')).toHaveLength(100_000);
  });

  it('names the paths a listing did not see: neither listed nor recorded meanwhile', () => {
    const known = new KnownPaths();
    for (const path of ['a', 'b', 'c']) known.set(path, { fingerprint: fp(1), size: 1, mtimeMs: 1 });
    known.beginListing();
    known.markListed('a');
    known.set('c', { fingerprint: fp(2), size: 2, mtimeMs: 2 });
    known.set('d', { fingerprint: fp(3), size: 3, mtimeMs: 3 });
    expect(known.unlisted()).toEqual(['b']);
    known.beginListing();
    expect(known.unlisted().sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});
