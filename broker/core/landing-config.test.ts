import { describe, expect, it } from 'vitest';
import { AfterSchema, BatchSchema, LandingConfigSchema, overlappingSources, s3FolderPrefix, SourceSchema, SourcesSchema, sourceId, sourcesOverlap } from './landing-config.ts';

describe('SourceSchema', () => {
  it('fills the fs defaults of the issue', () => {
    expect(SourceSchema.parse({ kind: 'fs', path: '/landing/harp' })).toEqual({
      kind: 'fs',
      path: '/landing/harp',
      include: ['**/*.parquet'],
      polling: false,
      interval: 2_000,
      rescan: 300_000,
      ready: { rule: 'stable', quiet: 2_000, marker: '_SUCCESS', temp: ['*.tmp', '_COPYING_*', '*._COPYING_', '.*'], footer_wait: 600_000 },
      touch_is_new: false,
    });
  });

  it('parses human durations and the marker and rename rules', () => {
    const source = SourceSchema.parse({ kind: 'fs', path: '/mnt/share', polling: true, interval: '5s', ready: { rule: 'marker', quiet: '500ms' } });
    expect(source).toMatchObject({ polling: true, interval: 5_000, ready: { rule: 'marker', quiet: 500, marker: '_SUCCESS' } });
    expect(SourceSchema.parse({ kind: 'fs', path: '/x', ready: { rule: 'rename', temp: ['*.part'] } })).toMatchObject({ ready: { rule: 'rename', temp: ['*.part'] } });
  });

  it('fills the s3 defaults', () => {
    expect(SourceSchema.parse({ kind: 's3', bucket: 'landing', prefix: 'harp/' })).toMatchObject({
      kind: 's3',
      bucket: 'landing',
      prefix: 'harp/',
      ready: { rule: 'stable', marker: '_SUCCESS' },
    });
  });

  it('refuses what it cannot use, with the field path', () => {
    const bad = [
      { kind: 'fs', path: 'relative/dir' },
      { kind: 'fs', path: '/x', ready: { rule: 'sometimes' } },
      { kind: 'fs', path: '/x', ready: { quiet: 'soon' } },
      { kind: 'fs', path: '/x', ready: { marker: 'a/_SUCCESS' } },
      { kind: 'fs', path: '/x', unknown: 1 },
      { kind: 's3', bucket: 'Not_A_Bucket' },
      { kind: 's3', bucket: 'landing', ready: { rule: 'rename' } },
      { kind: 'ftp', path: '/x' },
    ];
    for (const source of bad) expect(SourceSchema.safeParse(source).success, JSON.stringify(source)).toBe(false);
    const result = SourceSchema.safeParse({ kind: 'fs', path: '/x', ready: { quiet: 'soon' } });
    expect(result.error?.issues[0]?.path).toEqual(['ready', 'quiet']);
  });

  it('derives a stable id from the location and refuses two sources with the same id', () => {
    expect(sourceId(SourceSchema.parse({ kind: 'fs', path: '/landing/harp/' }))).toBe('fs:/landing/harp');
    expect(sourceId(SourceSchema.parse({ kind: 's3', bucket: 'landing', prefix: 'harp/' }))).toBe('s3:landing/harp/');
    expect(sourceId(SourceSchema.parse({ kind: 'fs', path: '/a', id: 'harp' }))).toBe('harp');
    const twice = SourcesSchema.safeParse([{ kind: 'fs', path: '/a' }, { kind: 'fs', path: '/a/' }]);
    expect(twice.success).toBe(false);
    expect(twice.error?.issues[0]?.path).toEqual([1, 'id']);
  });
});

describe('BatchSchema and AfterSchema', () => {
  it('defaults the batch window to 200 files, 20 GB, 30 s', () => {
    expect(BatchSchema.parse({})).toEqual({ max_files: 200, max_bytes: 20_000_000_000, max_wait: 30_000 });
    expect(BatchSchema.parse({ max_bytes: '1GiB', max_wait: '2m' })).toMatchObject({ max_bytes: 1_073_741_824, max_wait: 120_000 });
    expect(BatchSchema.safeParse({ max_files: 0 }).success).toBe(false);
  });

  it('archives when given an archive location, keeps otherwise, and wants a location for archive', () => {
    expect(AfterSchema.parse({ archive: 's3://lake/archive/harp/' })).toEqual({ on_success: 'archive', archive: 's3://lake/archive/harp/' });
    expect(AfterSchema.parse({})).toEqual({ on_success: 'keep' });
    expect(AfterSchema.parse({ on_success: 'delete', quarantine: '/landing/_quarantine' })).toEqual({ on_success: 'delete', quarantine: '/landing/_quarantine' });
    const missing = AfterSchema.safeParse({ on_success: 'archive' });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues[0]?.path).toEqual(['archive']);
    expect(AfterSchema.safeParse({ archive: 'relative/place' }).success).toBe(false);
  });

  it('parses the whole landing block of the issue', () => {
    const config = LandingConfigSchema.parse({
      sources: [
        { kind: 'fs', path: '/landing/harp', include: ['**/*.parquet'], ready: { rule: 'stable', quiet: '2s' } },
        { kind: 's3', bucket: 'landing', prefix: 'harp/' },
      ],
      batch: { max_files: 200, max_bytes: '20GB', max_wait: '30s' },
      after: { archive: 's3://lake/archive/harp/' },
    });
    expect(config.sources).toHaveLength(2);
    expect(config.batch.max_bytes).toBe(20_000_000_000);
    expect(config.after.on_success).toBe('archive');
    expect(LandingConfigSchema.parse({})).toEqual({ sources: [], batch: { max_files: 200, max_bytes: 20_000_000_000, max_wait: 30_000 }, after: { on_success: 'keep' } });
  });
});

describe('sources that would take the same files', () => {
  const fs = (path: string) => SourceSchema.parse({ kind: 'fs', path });
  const s3 = (bucket: string, prefix: string) => SourceSchema.parse({ kind: 's3', bucket, prefix });

  it('overlap on the same folder (however written) and on a folder inside another, not on siblings that share a name start', () => {
    expect(sourcesOverlap(fs('/landing'), fs('/landing/'))).toBe(true);
    expect(sourcesOverlap(fs('/landing/./sales'), fs('/landing//sales'))).toBe(true);
    expect(sourcesOverlap(fs('/landing'), fs('/landing/sales'))).toBe(true);
    expect(sourcesOverlap(fs('/landing/sales/eu'), fs('/landing/sales'))).toBe(true);
    expect(sourcesOverlap(fs('/'), fs('/landing'))).toBe(true);
    expect(sourcesOverlap(fs('/landing/sales'), fs('/landing/sales-eu'))).toBe(false);
    expect(sourcesOverlap(fs('/landing/a'), fs('/landing/b'))).toBe(false);
  });

  it('overlap for s3 on one bucket when one prefix, as a folder, holds the other', () => {
    expect(sourcesOverlap(s3('landing', 'sales'), s3('landing', 'sales/'))).toBe(true);
    expect(sourcesOverlap(s3('landing', ''), s3('landing', 'sales'))).toBe(true);
    expect(sourcesOverlap(s3('landing', 'sales'), s3('landing', 'sales/eu'))).toBe(true);
    expect(sourcesOverlap(s3('landing', 'sales'), s3('landing', 'salesforce'))).toBe(false);
    expect(sourcesOverlap(s3('landing', 'sales'), s3('other', 'sales'))).toBe(false);
    expect(sourcesOverlap(s3('landing', 'sales'), fs('/sales'))).toBe(false);
  });

  it('are listed in pairs, across pipelines and within one', () => {
    const pairs = overlappingSources([
      { owner: 'a', sources: [fs('/landing/a'), fs('/landing/a/x')] },
      { owner: 'b', sources: [fs('/landing/b')] },
      { owner: 'c', sources: [fs('/landing/b/')] },
    ]);
    expect(pairs.map(({ first, second }) => [first.owner, second.owner])).toEqual([
      ['a', 'a'],
      ['b', 'c'],
    ]);
  });
});

describe('s3FolderPrefix', () => {
  it('takes a prefix as a folder: "sales" and "sales/" are "sales/"; "" is the whole bucket', () => {
    expect(s3FolderPrefix('sales')).toBe('sales/');
    expect(s3FolderPrefix('sales/')).toBe('sales/');
    expect(s3FolderPrefix('sales//')).toBe('sales/');
    expect(s3FolderPrefix('a/b')).toBe('a/b/');
    expect(s3FolderPrefix('')).toBe('');
  });
});
