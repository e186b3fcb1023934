// The watchers' health record: a good listing replaces the last error, an error keeps the last
// good listing (on-call sees both: since when it fails, and when it last worked).
import { describe, expect, it } from 'vitest';
import { SourceHealth, sourceHealthKey } from './source-health.ts';

function fakeRedis() {
  const hashes = new Map<string, Map<string, string>>();
  const hash = (key: string) => hashes.get(key) ?? hashes.set(key, new Map()).get(key)!;
  return {
    hashes,
    hget: async (key: string, field: string) => hash(key).get(field) ?? null,
    hset: async (key: string, field: string, value: string) => (hash(key).set(field, value), 1),
    hgetall: async (key: string) => Object.fromEntries(hash(key)),
  };
}

describe('SourceHealth', () => {
  it('records listings and errors per source, under the prefix', async () => {
    const redis = fakeRedis();
    let now = Date.parse('2026-12-01T10:00:00Z');
    const health = new SourceHealth(redis as never, 'sluice', 'host-a:42', () => now);
    await health.listed('fs:/landing/a', { files: 12, ms: 31.6 });
    now += 60_000;
    await health.failed('fs:/landing/a', 'EACCES: permission denied, scandir /landing/a/x');
    expect(await health.read('fs:/landing/a')).toEqual({
      lastListingAt: '2026-12-01T10:00:00.000Z', files: 12, listingMs: 32,
      error: 'EACCES: permission denied, scandir /landing/a/x', errorAt: '2026-12-01T10:01:00.000Z', process: 'host-a:42',
    });
    now += 60_000;
    await health.listed('fs:/landing/a', { files: 13, ms: 20 });
    expect(await health.read('fs:/landing/a')).toEqual({ lastListingAt: '2026-12-01T10:02:00.000Z', files: 13, listingMs: 20, process: 'host-a:42' });
    expect([...(await health.all()).keys()]).toEqual(['fs:/landing/a']);
    expect([...redis.hashes.keys()]).toEqual([sourceHealthKey('sluice')]);
  });

  it('clips a long error', async () => {
    const health = new SourceHealth(fakeRedis() as never, 'sluice', 'h:1');
    await health.failed('s3:b/p', 'x'.repeat(2_000));
    expect((await health.read('s3:b/p'))!.error).toHaveLength(500);
  });
});
