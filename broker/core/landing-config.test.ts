import { describe, expect, it } from 'vitest';
import { AfterSchema, BatchSchema, LandingConfigSchema, SourceSchema, SourcesSchema, sourceId } from './landing-config.ts';

describe('SourceSchema', () => {
  it('fills the fs defaults of the issue', () => {
    expect(SourceSchema.parse({ kind: 'fs', path: '/landing/harp' })).toEqual({
      kind: 'fs',
      path: '/landing/harp',
      include: ['**/*.parquet'],
      polling: false,
      interval: 2_000,
      rescan: 300_000,
      ready: { rule: 'stable', quiet: 2_000, marker: '_SUCCESS', temp: ['*.tmp', '_COPYING_*', '*._COPYING_', '.*'] },
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
