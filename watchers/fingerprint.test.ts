import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyChange, contentSample, fsFingerprint, s3Fingerprint, SAMPLE_BYTES, type PathRecord } from './fingerprint.ts';

describe('fingerprints', () => {
  it('are stable strings that change with any part of the identity', () => {
    const base = fsFingerprint('harp', 'a/b.parquet', 100, 1_700_000_000_123);
    expect(base).toMatch(/^[0-9a-f]{40}$/);
    expect(fsFingerprint('harp', 'a/b.parquet', 100, 1_700_000_000_123.9)).toBe(base);
    expect(fsFingerprint('other', 'a/b.parquet', 100, 1_700_000_000_123)).not.toBe(base);
    expect(fsFingerprint('harp', 'a/c.parquet', 100, 1_700_000_000_123)).not.toBe(base);
    expect(fsFingerprint('harp', 'a/b.parquet', 101, 1_700_000_000_123)).not.toBe(base);
    expect(fsFingerprint('harp', 'a/b.parquet', 100, 1_700_000_000_124)).not.toBe(base);
    // Parts cannot shift into each other.
    expect(fsFingerprint('a', 'b/c', 1, 1)).not.toBe(fsFingerprint('a/b', 'c', 1, 1));
  });

  it('use the ETag for s3, without its quotes', () => {
    expect(s3Fingerprint('s3:landing/harp/', 'harp/a.parquet', 5, '"abc"')).toBe(s3Fingerprint('s3:landing/harp/', 'harp/a.parquet', 5, 'abc'));
    expect(s3Fingerprint('s3:landing/harp/', 'harp/a.parquet', 5, '"abc"')).not.toBe(s3Fingerprint('s3:landing/harp/', 'harp/a.parquet', 5, '"abd"'));
  });
});

describe('classifyChange (the touch rule)', () => {
  const previous: PathRecord = { fingerprint: 'f', size: 100, mtimeMs: 1_000, ino: 7, sample: 's' };

  it('says new for an unknown path, same for an unchanged one', () => {
    expect(classifyChange(undefined, { size: 100, mtimeMs: 1_000, ino: 7 }, false)).toBe('new');
    expect(classifyChange(previous, { size: 100, mtimeMs: 1_000.7, ino: 7 }, false)).toBe('same');
  });

  it('asks for a content comparison when only the mtime moved', () => {
    expect(classifyChange(previous, { size: 100, mtimeMs: 2_000, ino: 7 }, false)).toBe('maybe-touch');
  });

  it('says new for a new size, a new inode, no sample to compare, or touch_is_new', () => {
    expect(classifyChange(previous, { size: 101, mtimeMs: 2_000, ino: 7 }, false)).toBe('new');
    expect(classifyChange(previous, { size: 100, mtimeMs: 2_000, ino: 8 }, false)).toBe('new');
    expect(classifyChange({ ...previous, sample: undefined }, { size: 100, mtimeMs: 2_000, ino: 7 }, false)).toBe('new');
    expect(classifyChange(previous, { size: 100, mtimeMs: 2_000, ino: 7 }, true)).toBe('new');
  });
});

describe('contentSample', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-sample-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ignores the mtime and sees a change in the head or the tail', async () => {
    const size = SAMPLE_BYTES * 3;
    const bytes = Buffer.alloc(size, 1);
    const file = join(dir, 'a.parquet');
    await writeFile(file, bytes);
    const first = await contentSample(file, size);
    await utimes(file, new Date(), new Date(Date.now() + 60_000));
    expect(await contentSample(file, size)).toBe(first);
    bytes[size - 1] = 2;
    await writeFile(file, bytes);
    expect(await contentSample(file, size)).not.toBe(first);
    bytes[size - 1] = 1;
    bytes[0] = 3;
    await writeFile(file, bytes);
    expect(await contentSample(file, size)).not.toBe(first);
  });

  it('handles files smaller than one sample', async () => {
    const file = join(dir, 'small.parquet');
    await writeFile(file, 'PAR1xyzPAR1');
    const sample = await contentSample(file, 11);
    await writeFile(file, 'PAR1xyxPAR1');
    expect(await contentSample(file, 11)).not.toBe(sample);
  });
});
