import { describe, expect, it } from 'vitest';
import { markerDecision, renameDecision, stableDecision, temporaryNameMatcher } from './readiness.ts';

describe('stable rule', () => {
  const quiet = 2_000;

  it('is ready when size and mtime held across at least the quiet period', () => {
    expect(stableDecision({ size: 10, mtimeMs: 5, at: 1_000 }, { size: 10, mtimeMs: 5, at: 3_000 }, quiet)).toEqual({ ready: true });
    expect(stableDecision({ size: 10, mtimeMs: 5, at: 1_000 }, { size: 10, mtimeMs: 5, at: 9_000 }, quiet)).toEqual({ ready: true });
  });

  it('waits out the rest of the quiet period when the observations are too close', () => {
    expect(stableDecision({ size: 10, mtimeMs: 5, at: 1_000 }, { size: 10, mtimeMs: 5, at: 2_999 }, quiet)).toEqual({ ready: false, recheckAt: 3_000 });
  });

  it('starts the quiet period again when the size or the mtime moved', () => {
    expect(stableDecision({ size: 10, mtimeMs: 5, at: 1_000 }, { size: 20, mtimeMs: 5, at: 4_000 }, quiet)).toEqual({ ready: false, recheckAt: 6_000 });
    // Same size, new mtime: a rewrite in place, still being written.
    expect(stableDecision({ size: 10, mtimeMs: 5, at: 1_000 }, { size: 10, mtimeMs: 6, at: 4_000 }, quiet)).toEqual({ ready: false, recheckAt: 6_000 });
  });
});

describe('marker rule', () => {
  it('is ready when the folder holds a marker written no earlier than the file', () => {
    expect(markerDecision({ size: 1, mtimeMs: 100, at: 500 }, { size: 0, mtimeMs: 100, at: 500 }, 1_000)).toEqual({ ready: true });
    expect(markerDecision({ size: 1, mtimeMs: 100, at: 500 }, { size: 0, mtimeMs: 200, at: 500 }, 1_000)).toEqual({ ready: true });
  });

  it('waits without a marker, or with a marker older than the file (left from an earlier drop)', () => {
    expect(markerDecision({ size: 1, mtimeMs: 100, at: 500 }, undefined, 1_000)).toEqual({ ready: false, recheckAt: 1_500 });
    expect(markerDecision({ size: 1, mtimeMs: 300, at: 500 }, { size: 0, mtimeMs: 200, at: 500 }, 1_000)).toEqual({ ready: false, recheckAt: 1_500 });
  });
});

describe('rename rule', () => {
  const temp = temporaryNameMatcher(['*.tmp', '_COPYING_*', '*._COPYING_', '.*']);

  it('ignores temporary names and takes a final name on sight', () => {
    expect(renameDecision('a.parquet.tmp', temp)).toBe('ignore');
    expect(renameDecision('.a.parquet', temp)).toBe('ignore');
    expect(renameDecision('a.parquet._COPYING_', temp)).toBe('ignore');
    expect(renameDecision('a.parquet', temp)).toEqual({ ready: true });
  });
});
